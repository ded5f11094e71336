/**
 * The composition root: reads the configuration, builds every component and
 * wires them together. Nothing else in weft constructs its own dependencies.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { startGrpcServer } from './api/grpc/server.js';
import { startPluginServer } from './api/plugin/index.js';
import { Controller } from './cnm/controller.js';
import type { ReconcileReport } from './cnm/reconcile.js';
import { EtcNetnsFiles } from './cnm/sandbox-files.js';
import type { WeftConfig } from './config/config.js';
import { DnsService, EmbeddedDnsFiles } from './dns/index.js';
import { builtinDrivers } from './drivers/index.js';
import { RemoteDriverRegistry } from './drivers/remote/index.js';
import { DefaultIpam } from './ipam/default-ipam.js';
import type { Feature, Kernel } from './kernel/kernel.js';
import { cidrsInUse } from './kernel/in-use.js';
import { createLinuxKernel } from './kernel/linux/index.js';
import type { Logger } from './log/logger.js';
import { LocalStore } from './store/local.js';
import type { Store } from './store/store.js';
import { weftVersion } from './version.js';

export interface Daemon {
  readonly config: WeftConfig;
  readonly kernel: Kernel;
  readonly store: Store;
  readonly ipam: DefaultIpam;
  readonly controller: Controller;
  readonly reconciled: ReconcileReport;
  stop(): Promise<void>;
}

/** Features whose absence changes what weft can offer; logged once at start. */
const OPTIONAL_FEATURES: readonly Feature[] = ['dummy', 'vlan', 'ipvlan', 'ipvs', 'esp', 'wireguard'];

export async function startDaemon(config: WeftConfig, log: Logger): Promise<Daemon> {
  log.info({ version: weftVersion(), root: config.root, pid: process.pid }, 'weftd starting');
  mkdirSync(config.root, { recursive: true, mode: 0o700 });
  const store = new LocalStore(join(config.root, 'weft.db'));
  const kernel = createLinuxKernel({ logger: log.child({ component: 'kernel' }) });
  let dns: DnsService | undefined;
  try {
    const features = await kernel.features();
    const missing = OPTIONAL_FEATURES.filter((f) => !features[f]);
    log.info({ features }, 'kernel features probed');
    if (missing.length > 0) log.warn({ missing }, 'kernel lacks optional features; the drivers that need them will refuse with a clear error');
    const ipam = await DefaultIpam.open({
      store,
      defaultPools: config.defaultAddressPools,
      defaultPoolsV6: config.defaultAddressPoolsV6,
      routesInUse: () => cidrsInUse(kernel),
      log: log.child({ component: 'ipam' }),
    });
    const { controller, report } = await Controller.start({
      store,
      kernel,
      ipam,
      drivers: builtinDrivers(),
      // Names that are not built in: third-party Docker plugins, found as dockerd finds them.
      plugins: new RemoteDriverRegistry({
        dirs: config.pluginDirs,
        timeouts: { requestMs: config.pluginRequestTimeoutMs, retryWindowMs: config.pluginRetryWindowMs },
        log: log.child({ component: 'plugins' }),
      }),
      // Sandboxes' resolv.conf names the embedded DNS; their --dns servers become its upstreams.
      files: new EmbeddedDnsFiles(new EtcNetnsFiles(config.resolvConf)),
      log: log.child({ component: 'cnm' }),
    });
    // After reconcile (the sandboxes' namespaces exist again), before the APIs (no event is missed).
    dns = await DnsService.start({
      kernel,
      controller,
      resolvConf: config.resolvConf,
      log: log.child({ component: 'dns' }),
      workers: availableParallelism() > 1 ? 1 : 0,
    });
    const grpc = await startGrpcServer({
      socketPath: config.socket,
      api: controller,
      version: weftVersion(),
      log: log.child({ component: 'grpc' }),
    });
    const plugin = await startPluginServer({
      socketPath: config.pluginSocket,
      engine: controller,
      ipam,
      log: log.child({ component: 'plugin' }),
      sweepIntervalMs: config.pluginSweepIntervalMs,
    }).catch(async (err: unknown) => {
      await grpc.close();
      throw err;
    });
    log.info({ socket: config.socket, pluginSocket: config.pluginSocket }, 'weftd ready');
    return {
      config,
      kernel,
      store,
      ipam,
      controller,
      reconciled: report,
      async stop() {
        log.info('weftd stopping');
        await plugin.close();
        await grpc.close();
        await controller.stop();
        await dns?.stop();
        ipam.close();
        await kernel.close();
        await store.close();
      },
    };
  } catch (err) {
    await dns?.stop().catch(() => undefined);
    await kernel.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}
