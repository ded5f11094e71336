/**
 * The real Kernel: rtnetlink sockets opened inside each namespace, sysctls
 * opened inside it, nft run inside it. Ordering, rollback and teardown come
 * from apply.ts; this class wires the parts and answers the read-side queries.
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
  OpenSocketOptions,
  LinkState,
  NeighState,
  RouteState,
} from '../kernel.js';
import type { KernelOp } from '../ops.js';
import { listAddresses } from './addresses.js';
import { hasErrno } from './errno.js';
import type { NetnsAddon } from './addon.js';
import { type ExecutorPhase, LinuxExecutor } from './executor.js';
import { probeFeatures } from './features.js';
import { toLinkStates } from './links.js';
import type { KernelLogger } from './logger.js';
import { listFdb, listNeighbours } from './neigh.js';
import { NetnsRegistry } from './netns.js';
import { Nft } from './nft.js';
import { listRoutes } from './routes.js';
import { LinkReaper, retireVeth } from './reaper.js';
import { RtnlPool } from './rtnl.js';
import { Sysctls } from './sysctl.js';

export interface LinuxKernelDeps {
  addon: NetnsAddon;
  registry: NetnsRegistry;
  logger?: KernelLogger;
}

/** Why a feature matters, for WEFT_KERNEL_UNSUPPORTED messages. */
const FEATURE_HINTS: Record<Feature, string> = {
  veth: 'module veth',
  bridge: 'module bridge',
  vxlan: 'module vxlan',
  macvlan: 'module macvlan',
  dummy: 'module dummy',
  vlan: 'module 8021q',
  ipvlan: 'module ipvlan',
  ipvs: 'module ip_vs',
  esp: 'modules esp4/esp6 with AES-GCM (rfc4106)',
  wireguard: 'module wireguard',
  nftables: 'nf_tables and the nft tool',
  xfrm: 'module xfrm_user',
};

export class LinuxKernel implements Kernel {
  private readonly rtnl: RtnlPool;
  private readonly sysctls: Sysctls;
  private readonly nft: Nft;
  private readonly reaper: LinkReaper;
  private featuresProbe: Promise<KernelFeatures> | undefined;

  constructor(private readonly deps: LinuxKernelDeps) {
    this.rtnl = new RtnlPool(deps.addon, deps.registry, deps.logger);
    this.sysctls = new Sysctls(deps.addon, deps.registry);
    this.nft = new Nft(deps.registry);
    this.reaper = new LinkReaper(async (group) => {
      await this.rtnl.get(undefined).deleteGroup(group).catch((err: unknown) => {
        if (!hasErrno(err, 'ENODEV')) throw err;
      });
      return true;
    }, deps.logger);
  }

  apply(ops: readonly KernelOp[], options: ApplyOptions = {}): Promise<KernelOp[]> {
    return applyPlan(this.executor('apply'), ops, options.netns);
  }

  teardown(ops: readonly KernelOp[], options: ApplyOptions = {}): Promise<void> {
    return teardownPlan(this.executor('teardown'), ops, options.netns);
  }

  async netnsList(): Promise<string[]> {
    return this.deps.registry.list();
  }

  async netnsExists(name: string): Promise<boolean> {
    return this.deps.registry.exists(name);
  }

  async links(netns?: string): Promise<LinkState[]> {
    return toLinkStates(await this.rtnl.get(netns).links());
  }

  addresses(netns?: string): Promise<AddrState[]> {
    return listAddresses(this.rtnl.get(netns));
  }

  async routes(netns?: string): Promise<RouteState[]> {
    return (await listRoutes(this.rtnl.get(netns))).map(({ metric: _metric, ...route }) => route);
  }

  neighbours(netns?: string): Promise<NeighState[]> {
    return listNeighbours(this.rtnl.get(netns));
  }

  fdb(netns?: string): Promise<FdbState[]> {
    return listFdb(this.rtnl.get(netns));
  }

  async sysctlGet(key: string, netns?: string): Promise<string> {
    return this.sysctls.read(key, netns);
  }

  nftList(netns?: string, table?: { family: string; name: string }): Promise<unknown> {
    return this.nft.list(netns, table);
  }

  /** Probed once (in a scratch namespace) and cached for the life of this kernel. */
  features(): Promise<KernelFeatures> {
    this.featuresProbe ??= probeFeatures({
      addon: this.deps.addon,
      registry: this.deps.registry,
      rtnl: this.rtnl,
      nft: this.nft,
      logger: this.deps.logger,
    }).catch((err: unknown) => {
      this.featuresProbe = undefined;
      throw err;
    });
    return this.featuresProbe;
  }

  async require(feature: Feature, purpose: string): Promise<void> {
    if ((await this.features())[feature]) return;
    throw new WeftError(
      ErrorCodes.KERNEL_UNSUPPORTED,
      'NotImplemented',
      `${purpose} needs ${feature}, which this kernel lacks (${FEATURE_HINTS[feature]} not available)`,
      { details: { feature, purpose } },
    );
  }

  openSocket(netns: string, family: 4 | 6, type: 'udp' | 'tcp', address: string, port: number, options: OpenSocketOptions = {}): number {
    const { fd } = this.deps.registry.handle(netns);
    return this.deps.addon.openSocketIn(fd, family, type === 'tcp' ? 1 : 2, address, port, options.reusePort === true);
  }

  private readonly retire = async (hostName: string, peerNs: string, peerName: string): Promise<boolean> => {
    try {
      return await retireVeth(this.rtnl.get(undefined), hostName, this.rtnl.get(peerNs), peerName);
    } finally {
      // Even after a failure the host end may be in the group already.
      this.reaper.schedule();
    }
  };

  /** One per apply/teardown: it tracks whether it is undoing (see LinuxExecutor). */
  private executor(phase: ExecutorPhase): LinuxExecutor {
    const { registry, logger } = this.deps;
    return new LinuxExecutor({ registry, rtnl: this.rtnl, sysctl: this.sysctls, nft: this.nft, logger, retireVeth: this.retire }, phase);
  }

  /** Veths retired by teardowns (and any left by an earlier run) deleted. */
  settle(): Promise<void> {
    return this.reaper.settle();
  }

  async close(): Promise<void> {
    await this.reaper.close();
    this.rtnl.close();
    this.deps.registry.close();
  }
}
