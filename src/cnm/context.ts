import type { Driver } from '../drivers/driver.js';
import type { Ipam } from '../ipam/ipam.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Logger } from '../log/logger.js';
import type { ControllerEvents } from './events.js';
import type { FirewallTracker } from './firewall-tracker.js';
import type { PluginLookup } from './plugins.js';
import type { Repository } from './repository.js';
import type { SandboxFiles } from './sandbox-files.js';

/** What every controller operation works with; built once by the Controller. */
export interface ControllerContext {
  repo: Repository;
  kernel: Kernel;
  ipam: Ipam;
  drivers: ReadonlyMap<string, Driver>;
  /** Third-party Docker plugins as drivers and IPAMs (-d / --ipam-driver NAME); absent: built-ins only. */
  plugins?: PluginLookup;
  files: SandboxFiles;
  firewall: FirewallTracker;
  events: ControllerEvents;
  log: Logger;
}
