/** A controller on the FakeKernel with the plugin server on a temp socket, for in-process plugin tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startPluginServer, type RunningPluginServer } from '../../src/api/plugin/index.js';
import { Controller } from '../../src/cnm/controller.js';
import type { ReconcileReport } from '../../src/cnm/reconcile.js';
import { builtinDrivers } from '../../src/drivers/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MemorySandboxFiles } from './memory-sandbox-files.js';

export interface PluginHarness {
  store: MemoryStore;
  kernel: FakeKernel;
  ipam: DefaultIpam;
  controller: Controller;
  report: ReconcileReport;
  server: RunningPluginServer;
  socket: string;
  dir: string;
}

export interface HarnessOptions {
  bodyLimit?: number;
  handlerTimeoutMs?: number;
  engineStaleAfterMs?: number;
}

export async function startHarness(given: Partial<Pick<PluginHarness, 'store' | 'kernel' | 'dir'>> = {}, options: HarnessOptions = {}): Promise<PluginHarness> {
  const store = given.store ?? new MemoryStore();
  const kernel = given.kernel ?? new FakeKernel();
  const dir = given.dir ?? mkdtempSync(join(tmpdir(), 'weft-plugin-'));
  const log = pino({ level: 'silent' });
  const ipam = await DefaultIpam.open({ store });
  const { controller, report } = await Controller.start({
    store, kernel, ipam, drivers: builtinDrivers(), files: new MemorySandboxFiles(), log, engineStaleAfterMs: options.engineStaleAfterMs,
  });
  const socket = join(dir, 'weft.sock');
  const server = await startPluginServer({ socketPath: socket, engine: controller, ipam, log, sweepIntervalMs: 0, bodyLimit: options.bodyLimit, handlerTimeoutMs: options.handlerTimeoutMs });
  return { store, kernel, ipam, controller, report, server, socket, dir };
}

/** weftd restarts: new IPAM, controller and server over the same store, kernel and directory. */
export async function restartHarness(h: PluginHarness, options: HarnessOptions = {}): Promise<PluginHarness> {
  await stopHarness(h, { keepDir: true });
  return startHarness(h, options);
}

export async function stopHarness(h: PluginHarness, opts: { keepDir?: boolean } = {}): Promise<void> {
  await h.server.close();
  await h.controller.stop();
  h.ipam.close();
  if (!opts.keepDir) rmSync(h.dir, { recursive: true, force: true });
}

/** A 64-hex id like the engine's, distinct per tag. */
export function engineId(tag: string): string {
  return Buffer.from(tag.padEnd(32, '.')).toString('hex').slice(0, 64);
}
