/**
 * Drivers and IPAMs by name: a built-in first, else a third-party Docker
 * plugin (a remote driver), discovered and activated on first use. The
 * lookup itself lives outside cnm (src/drivers/remote, wired by daemon.ts);
 * cnm only knows this port.
 */
import { ErrorCodes, WeftError } from '../errors/index.js';
import type { Driver } from '../drivers/driver.js';
import type { Ipam } from '../ipam/ipam.js';
import type { ControllerContext } from './context.js';

export interface PluginLookup {
  /** A remote network driver by plugin name; WEFT_PLUGIN_* errors when it cannot be had. */
  networkDriver(name: string): Promise<Driver>;
  /** A remote network driver that is registered already (for lookups that cannot wait). */
  activeNetworkDriver(name: string): Driver | undefined;
  /** A remote IPAM by plugin name. */
  ipamDriver(name: string): Promise<Ipam>;
}

export const BUILTIN_IPAM = 'default';

/** The network driver called `name`: built-ins win, as in dockerd. */
export async function loadDriver(ctx: ControllerContext, name: string): Promise<Driver> {
  const builtin = ctx.drivers.get(name);
  if (builtin) return builtin;
  if (!ctx.plugins) {
    throw new WeftError(ErrorCodes.UNKNOWN_DRIVER, 'NotFound', `plugin "${name}" not found: weft has no network driver of that name`);
  }
  return ctx.plugins.networkDriver(name);
}

/** The IPAM called `name` (absent or 'default': the built-in one). */
export async function ipamFor(ctx: ControllerContext, name: string | undefined): Promise<Ipam> {
  if (!name || name === BUILTIN_IPAM) return ctx.ipam;
  if (!ctx.plugins) {
    throw new WeftError(ErrorCodes.UNKNOWN_DRIVER, 'NotFound', `IPAM driver "${name}" not found: weft has only "${BUILTIN_IPAM}"`);
  }
  return ctx.plugins.ipamDriver(name);
}

/** For teardown paths: the driver, or undefined (logged) when its plugin cannot be reached; removal goes on. */
export async function driverForRemoval(ctx: ControllerContext, name: string, ids: Record<string, string>): Promise<Driver | undefined> {
  try {
    return await loadDriver(ctx, name);
  } catch (err) {
    ctx.log.warn({ err, driver: name, ...ids }, 'driver unavailable; removing without telling it');
    return undefined;
  }
}
