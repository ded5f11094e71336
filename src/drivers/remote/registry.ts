/**
 * Remote drivers and IPAMs by plugin name, for the controller (its
 * PluginLookup): built-in names are never looked up as plugins (a built-in
 * always wins, as in dockerd), a network driver is registered after a good
 * NetworkDriver.GetCapabilities, an IPAM after IpamDriver.GetCapabilities
 * (404 is fine) and GetDefaultAddressSpaces. Each is made once per process.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { Ipam } from '../../ipam/ipam.js';
import { RemoteIpam } from '../../ipam/remote/remote-ipam.js';
import type { Driver } from '../driver.js';
import { hasStatus } from './errors.js';
import { PluginRegistry, type PluginRegistryOptions } from './plugins.js';
import { capabilitiesOf } from './protocol.js';
import { RemoteDriver } from './remote-driver.js';

/** dockerd's built-in network drivers (and weft's nat): a plugin may not take these names. */
const BUILTIN_NETWORK_DRIVERS: ReadonlySet<string> = new Set(['bridge', 'host', 'null', 'overlay', 'macvlan', 'ipvlan', 'nat']);
const BUILTIN_IPAM_DRIVERS: ReadonlySet<string> = new Set(['default', 'null']);

export class RemoteDriverRegistry {
  readonly plugins: PluginRegistry;
  private readonly drivers = new Map<string, Promise<RemoteDriver>>();
  private readonly ready = new Map<string, RemoteDriver>();
  private readonly ipams = new Map<string, Promise<RemoteIpam>>();

  constructor(options: PluginRegistryOptions | PluginRegistry = {}) {
    this.plugins = options instanceof PluginRegistry ? options : new PluginRegistry(options);
  }

  networkDriver(name: string): Promise<Driver> {
    if (BUILTIN_NETWORK_DRIVERS.has(name)) return Promise.reject(unknownBuiltin('network', name));
    return this.once(this.drivers, name, async () => {
      const plugin = await this.plugins.get(name, 'NetworkDriver');
      const caps = capabilitiesOf(name, await plugin.client.call('NetworkDriver.GetCapabilities'));
      const driver = new RemoteDriver(name, plugin.client, caps);
      this.ready.set(name, driver);
      return driver;
    });
  }

  /** A network driver that is registered already (for lookups that cannot wait). */
  activeNetworkDriver(name: string): Driver | undefined {
    return this.ready.get(name);
  }

  ipamDriver(name: string): Promise<Ipam> {
    if (BUILTIN_IPAM_DRIVERS.has(name)) return Promise.reject(unknownBuiltin('IPAM', name));
    return this.once(this.ipams, name, async () => {
      const plugin = await this.plugins.get(name, 'IpamDriver');
      await plugin.client.call('IpamDriver.GetCapabilities').catch((err: unknown) => {
        if (!hasStatus(err, 404)) throw err;
      });
      return RemoteIpam.fromAnswer(name, plugin.client, await plugin.client.call('IpamDriver.GetDefaultAddressSpaces'));
    });
  }

  /** One registration per name; a failed one is forgotten so the next use tries again. */
  private once<T>(cache: Map<string, Promise<T>>, name: string, make: () => Promise<T>): Promise<T> {
    const cached = cache.get(name);
    if (cached) return cached;
    const made = make();
    cache.set(name, made);
    made.catch(() => {
      if (cache.get(name) === made) cache.delete(name);
    });
    return made;
  }
}

function unknownBuiltin(what: string, name: string): WeftError {
  return new WeftError(ErrorCodes.UNKNOWN_DRIVER, 'NotFound', `weft has no ${what} driver "${name}" (a Docker built-in name, never looked up as a plugin)`, {
    details: { driver: name },
  });
}
