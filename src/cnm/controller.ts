/**
 * The CNM controller: owns networks, endpoints and sandboxes. Every change
 * follows validate → IPAM → driver plan → kernel apply (rollback on failure)
 * → store commit → events, one change at a time.
 */
import type { Driver } from '../drivers/driver.js';
import type { Ipam } from '../ipam/ipam.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type {
  ConnectRequest,
  NetworkApi,
  NetworkCreateRequest,
  NetworkFilter,
  NetworkInspect,
  SandboxCreateRequest,
  SandboxInspect,
} from './api-types.js';
import type { ControllerContext } from './context.js';
import type { JoinInfo } from '../drivers/driver.js';
import { engineCreateEndpoint, engineCreateNetwork, engineDeleteEndpoint, engineDeleteNetwork, engineEndpointInfo, engineJoin, engineLeave } from './engine-ops.js';
import { engineProgramPorts, engineRevokePorts } from './engine-ports.js';
import { engineAddressReleased, ENGINE_STALE_AFTER_MS, sweepEngineEndpoints } from './engine-sweep.js';
import type { EngineApi, EngineEndpointAnswer, EngineEndpointRequest, EngineNetworkRequest } from './engine-types.js';
import type { PortSpec } from './records.js';
import { connect, disconnect } from './endpoint-ops.js';
import { ControllerEvents } from './events.js';
import { FirewallTracker } from './firewall-tracker.js';
import { inspectNetwork, inspectSandbox } from './inspect.js';
import { findNetwork, findSandbox } from './lookup.js';
import { createNetwork, pruneNetworks, removeNetwork } from './network-ops.js';
import type { PluginLookup } from './plugins.js';
import { matchesFilter } from './network-filter.js';
import { reconcile, type ReconcileReport } from './reconcile.js';
import { Repository } from './repository.js';
import type { SandboxFiles } from './sandbox-files.js';
import { createSandbox, removeSandbox } from './sandbox-ops.js';
import { SerialQueue } from '../util/serial-queue.js';

export interface ControllerOptions {
  store: Store;
  kernel: Kernel;
  ipam: Ipam;
  drivers: readonly Driver[];
  /** Remote drivers and IPAMs (third-party Docker plugins) for names that are not built in. */
  plugins?: PluginLookup;
  files: SandboxFiles;
  log: Logger;
  /** Name of the default bridge's Linux bridge. */
  defaultBridgeName?: string;
  /** How long an engine endpoint's sandbox end may sit unmoved in the daemon's namespace before the sweep drops it. */
  engineStaleAfterMs?: number;
}

export class Controller implements NetworkApi, EngineApi {
  readonly events = new ControllerEvents();
  private readonly ctx: ControllerContext;
  private readonly lock = new SerialQueue();

  private constructor(private readonly options: ControllerOptions) {
    this.ctx = {
      repo: new Repository(options.store),
      kernel: options.kernel,
      ipam: options.ipam,
      drivers: new Map(options.drivers.map((d) => [d.name, d])),
      plugins: options.plugins,
      files: options.files,
      firewall: new FirewallTracker(),
      events: this.events,
      log: options.log,
    };
  }

  /** Load the records, reconcile the kernel with them, and make the predefined networks. */
  static async start(options: ControllerOptions): Promise<{ controller: Controller; report: ReconcileReport }> {
    const controller = new Controller(options);
    await controller.ctx.repo.load();
    const report = await controller.lock.run(() =>
      reconcile(controller.ctx, { defaultBridgeName: options.defaultBridgeName ?? 'weft0' }),
    );
    return { controller, report };
  }

  /** Read access for the other daemon components (DNS, plugin adapter). */
  get repository(): Repository {
    return this.ctx.repo;
  }

  createNetwork(req: NetworkCreateRequest): Promise<NetworkInspect> {
    return this.lock.run(async () => inspectNetwork(this.ctx.repo, await createNetwork(this.ctx, req)));
  }

  async listNetworks(filter: NetworkFilter = {}): Promise<NetworkInspect[]> {
    return [...this.ctx.repo.networks.values()]
      .filter((n) => matchesFilter(n, filter))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((n) => inspectNetwork(this.ctx.repo, n));
  }

  async inspectNetwork(ref: string): Promise<NetworkInspect> {
    return inspectNetwork(this.ctx.repo, findNetwork(this.ctx.repo, ref));
  }

  removeNetwork(ref: string): Promise<void> {
    return this.lock.run(() => removeNetwork(this.ctx, ref));
  }

  pruneNetworks(): Promise<string[]> {
    return this.lock.run(() => pruneNetworks(this.ctx));
  }

  async connect(req: ConnectRequest): Promise<void> {
    await this.lock.run(() => connect(this.ctx, req));
  }

  disconnect(network: string, sandbox: string, _force?: boolean): Promise<void> {
    return this.lock.run(() => disconnect(this.ctx, network, sandbox));
  }

  createSandbox(req: SandboxCreateRequest): Promise<SandboxInspect> {
    return this.lock.run(async () => inspectSandbox(this.ctx.repo, await createSandbox(this.ctx, req)));
  }

  async listSandboxes(): Promise<SandboxInspect[]> {
    return [...this.ctx.repo.sandboxes.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => inspectSandbox(this.ctx.repo, s));
  }

  async inspectSandbox(ref: string): Promise<SandboxInspect> {
    return inspectSandbox(this.ctx.repo, findSandbox(this.ctx.repo, ref));
  }

  removeSandbox(ref: string, _force?: boolean): Promise<void> {
    return this.lock.run(() => removeSandbox(this.ctx, ref));
  }

  // The Docker engine's calls (plugin protocol), serialized with every other change.

  async engineCreateNetwork(req: EngineNetworkRequest): Promise<void> {
    await this.lock.run(() => engineCreateNetwork(this.ctx, req));
  }

  engineDeleteNetwork(networkId: string): Promise<void> {
    return this.lock.run(() => engineDeleteNetwork(this.ctx, networkId));
  }

  engineCreateEndpoint(req: EngineEndpointRequest): Promise<EngineEndpointAnswer> {
    return this.lock.run(() => engineCreateEndpoint(this.ctx, req));
  }

  engineDeleteEndpoint(networkId: string, endpointId: string): Promise<void> {
    return this.lock.run(() => engineDeleteEndpoint(this.ctx, networkId, endpointId));
  }

  engineJoin(networkId: string, endpointId: string, sandboxKey: string): Promise<JoinInfo> {
    return this.lock.run(() => engineJoin(this.ctx, networkId, endpointId, sandboxKey));
  }

  engineLeave(networkId: string, endpointId: string): Promise<void> {
    return this.lock.run(() => engineLeave(this.ctx, networkId, endpointId));
  }

  engineProgramExternalConnectivity(networkId: string, endpointId: string, ports: PortSpec[]): Promise<void> {
    return this.lock.run(() => engineProgramPorts(this.ctx, networkId, endpointId, ports));
  }

  engineRevokeExternalConnectivity(networkId: string, endpointId: string): Promise<void> {
    return this.lock.run(() => engineRevokePorts(this.ctx, networkId, endpointId));
  }

  async engineEndpointInfo(networkId: string, endpointId: string): Promise<Record<string, string>> {
    return engineEndpointInfo(this.ctx, networkId, endpointId);
  }

  engineAddressReleased(poolId: string, address: string): Promise<void> {
    return this.lock.run(() => engineAddressReleased(this.ctx, poolId, address));
  }

  sweepEngineEndpoints(): Promise<string[]> {
    return this.lock.run(() => sweepEngineEndpoints(this.ctx, this.options.engineStaleAfterMs ?? ENGINE_STALE_AFTER_MS));
  }

  /** Wait for the change in progress, then refuse new ones. */
  async stop(): Promise<void> {
    await this.lock.run(async () => undefined);
  }
}
