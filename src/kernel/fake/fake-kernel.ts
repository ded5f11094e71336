/**
 * A recording, in-memory Kernel for unit tests. It runs plans through the
 * same applyPlan/teardownPlan as the Linux kernel, against a model that
 * answers like the kernel does (EEXIST, ENODEV, ENETUNREACH, cascading
 * deletes), records every op it ran, and fails chosen ops on request.
 *
 * openSocket is not supported: there is no namespace to open a socket in,
 * and a made-up fd would fail later and further from the cause. It throws
 * WEFT_KERNEL_UNSUPPORTED; DNS tests should bind sockets themselves.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import { applyPlan, teardownPlan } from '../apply.js';
import type {
  AddrState,
  ApplyOptions,
  FdbState,
  Feature,
  Kernel,
  KernelFeatures,
  LinkState,
  NeighState,
  RouteState,
} from '../kernel.js';
import { describeOp, type KernelOp } from '../ops.js';
import { FakeExecutor, type FakeCall, type FakeCore } from './fake-executor.js';
import { DEFAULT_FAKE_FEATURES, unsupported } from './features.js';
import { FaultInjector, type Fault, type OpMatcher } from './faults.js';
import { setUpHost, type FakeHostOptions } from './host.js';
import { FakeWorld, nsLabel } from './model.js';
import { listNft } from './nft.js';
import {
  addressStates,
  fdbStates,
  linkStates,
  neighbourStates,
  routeStates,
  snapshotWorld,
  type NamespaceSnapshot,
} from './reads.js';
import { readSysctl } from './sysctl.js';

export interface FakeKernelOptions extends FakeHostOptions {
  /** Overrides of DEFAULT_FAKE_FEATURES (this machine: no dummy, vlan, ipvlan, ipvs, esp, wireguard). */
  features?: Partial<KernelFeatures>;
}

export class FakeKernel implements Kernel {
  private readonly world = new FakeWorld();
  private readonly featureSet: KernelFeatures;
  private readonly faults = new FaultInjector();
  private readonly recorded: FakeCall[] = [];
  private seq = 0;
  private closed = false;

  constructor(options: FakeKernelOptions = {}) {
    this.featureSet = { ...DEFAULT_FAKE_FEATURES, ...options.features };
    setUpHost(this.world, options);
  }

  // ---- recording -------------------------------------------------------

  /** Every op run since the last clearCalls(), in order, rollback and teardown ops included. */
  get calls(): readonly FakeCall[] {
    return this.recorded;
  }

  /** The calls as one line each, e.g. 'rollback link.del link br0 @(daemon) → applied'. */
  get log(): string[] {
    return this.recorded.map((c) => {
      const error = c.error ? ` (${c.error.code})` : '';
      return `${c.phase} ${c.op.op} ${describeOp(c.op)} @${nsLabel(c.netns)} → ${c.outcome}${error}`;
    });
  }

  clearCalls(): void {
    this.recorded.splice(0);
  }

  // ---- fault injection -------------------------------------------------

  /** Fail ops that `match` (always, unless `fault.times`); returns a function removing the fault. */
  failOn(match: OpMatcher, fault?: Fault): () => void {
    return this.faults.add(match, fault);
  }

  /** Fail the n-th op run from now (1 = the next one), once; rollback and teardown ops count too. */
  failAt(n: number, fault?: Omit<Fault, 'times'>): () => void {
    return this.faults.at(n, fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  // ---- inspection beyond the Kernel interface --------------------------

  /** The whole model, for asserting that a rollback left everything as it was. */
  snapshot(): Record<string, NamespaceSnapshot> {
    return snapshotWorld(this.world);
  }

  /** The nftables scripts applied in `netns`, in order (undo scripts included). */
  nftScripts(netns?: string): string[] {
    return [...this.world.get(netns).nft.scripts];
  }

  // ---- Kernel ------------------------------------------------------------

  async apply(ops: readonly KernelOp[], options: ApplyOptions = {}): Promise<KernelOp[]> {
    this.checkOpen();
    return applyPlan(new FakeExecutor(this.core(), 'apply'), ops, options.netns);
  }

  async teardown(ops: readonly KernelOp[], options: ApplyOptions = {}): Promise<void> {
    this.checkOpen();
    await teardownPlan(new FakeExecutor(this.core(), 'teardown'), ops, options.netns);
  }

  async netnsList(): Promise<string[]> {
    return this.world.names();
  }

  async netnsExists(name: string): Promise<boolean> {
    return this.world.has(name);
  }

  async links(netns?: string): Promise<LinkState[]> {
    return linkStates(this.world.get(netns));
  }

  async addresses(netns?: string): Promise<AddrState[]> {
    return addressStates(this.world.get(netns));
  }

  async routes(netns?: string): Promise<RouteState[]> {
    return routeStates(this.world.get(netns));
  }

  async neighbours(netns?: string): Promise<NeighState[]> {
    return neighbourStates(this.world.get(netns));
  }

  async fdb(netns?: string): Promise<FdbState[]> {
    return fdbStates(this.world.get(netns));
  }

  async sysctlGet(key: string, netns?: string): Promise<string> {
    const value = readSysctl(this.world.get(netns), key);
    if (value === undefined) {
      throw new WeftError(ErrorCodes.KERNEL_NOT_FOUND, 'NotFound', `no sysctl ${key} in netns ${nsLabel(netns)}`, {
        details: { key, netns, errno: 'ENOENT' },
      });
    }
    return value;
  }

  async nftList(netns?: string, table?: { family: string; name: string }): Promise<unknown> {
    return listNft(this.world.get(netns).nft, table);
  }

  async features(): Promise<KernelFeatures> {
    return { ...this.featureSet };
  }

  async require(feature: Feature, purpose: string): Promise<void> {
    if (!this.featureSet[feature]) throw unsupported(feature, purpose);
  }

  openSocket(netns: string, family: 4 | 6, type: 'udp' | 'tcp', address: string, port: number): number {
    throw new WeftError(
      ErrorCodes.KERNEL_UNSUPPORTED,
      'NotImplemented',
      `openSocket is not supported by the fake kernel (asked for ${type}${family} ${address}:${port} in netns ${netns})`,
      { details: { netns, family, type, address, port } },
    );
  }

  /** The fake deletes at once: nothing is ever left waiting. */
  async settle(): Promise<void> {
    this.checkOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private core(): FakeCore {
    return {
      world: this.world,
      features: this.featureSet,
      faults: this.faults,
      record: (call) => {
        this.seq += 1;
        this.recorded.push({ seq: this.seq, ...call });
      },
    };
  }

  private checkOpen(): void {
    if (this.closed) throw new WeftError(ErrorCodes.INTERNAL, 'Internal', 'the fake kernel was closed');
  }
}
