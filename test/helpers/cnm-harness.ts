/**
 * A controller as weftd builds it (MemoryStore, FakeKernel, DefaultIpam over
 * the same store, the built-in drivers, in-memory sandbox files), and the
 * state a refused or undone change must leave as it was.
 */
import pino from 'pino';
import { Controller } from '../../src/cnm/controller.js';
import type { ReconcileReport } from '../../src/cnm/reconcile.js';
import { builtinDrivers } from '../../src/drivers/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { FakeKernel, type FakeKernelOptions } from '../../src/kernel/fake/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MemorySandboxFiles } from './memory-sandbox-files.js';

export interface TestDaemon {
  store: MemoryStore;
  kernel: FakeKernel;
  files: MemorySandboxFiles;
  ipam: DefaultIpam;
  controller: Controller;
  report: ReconcileReport;
}

export interface TestDaemonOptions {
  store?: MemoryStore;
  kernel?: FakeKernel;
  files?: MemorySandboxFiles;
  /** For a new FakeKernel (ignored when `kernel` is given). */
  kernelOptions?: FakeKernelOptions;
}

/** A controller over a fresh store, kernel and files unless given. */
export async function startTestDaemon(given: TestDaemonOptions = {}): Promise<TestDaemon> {
  const store = given.store ?? new MemoryStore();
  const kernel = given.kernel ?? new FakeKernel(given.kernelOptions);
  const files = given.files ?? new MemorySandboxFiles();
  const ipam = await DefaultIpam.open({ store });
  const { controller, report } = await Controller.start({ store, kernel, ipam, drivers: builtinDrivers(), files, log: pino({ level: 'silent' }) });
  return { store, kernel, files, ipam, controller, report };
}

/** weftd restarted: a new IPAM and controller over the same store, kernel and files. */
export async function restartTestDaemon(d: TestDaemon): Promise<TestDaemon> {
  await d.controller.stop();
  d.ipam.close();
  return startTestDaemon(d);
}

/** The kernel model, the current firewall, IPAM's and the controller's keys, and the sandbox files. */
export async function snapshotState(d: Pick<TestDaemon, 'kernel' | 'store' | 'files'>) {
  const kernel = d.kernel.snapshot();
  // nft table handles change with every whole-table replacement; the tables themselves must not.
  for (const ns of Object.values(kernel)) ns.nftTables = ns.nftTables.map((t) => ({ ...t, handle: 0 }));
  const entries = async (prefix: string) => Object.fromEntries((await d.store.list(prefix)).map((e) => [e.key, e.value]));
  return {
    kernel,
    firewall: d.kernel.nftScripts().at(-1),
    ipam: await entries('ipam/'),
    records: await entries('cnm/'),
    files: [...d.files.current.keys()].sort(),
  };
}
