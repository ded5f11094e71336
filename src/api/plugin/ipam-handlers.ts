/**
 * IpamDriver.* (reference §3), 1:1 onto the daemon's one IPAM instance, so
 * engine pools and weft's own never overlap. Releases of what is already
 * gone succeed (the engine only logs their errors, and replays or gateway
 * releases may name addresses it never got from here).
 */
import type { EngineApi } from '../../cnm/engine-types.js';
import { ErrorCodes, isWeftError } from '../../errors/index.js';
import type { Ipam } from '../../ipam/ipam.js';
import type { Logger } from '../../log/logger.js';
import { optionalBool, optionalString, requiredString, stringMap } from './decode.js';
import type { PluginHandler } from './network-handlers.js';

const ALREADY_GONE: ReadonlySet<string> = new Set([ErrorCodes.POOL_NOT_FOUND, ErrorCodes.ADDRESS_NOT_ALLOCATED]);

async function idempotent(log: Logger, what: Record<string, unknown>, release: () => Promise<void>): Promise<void> {
  try {
    await release();
  } catch (err) {
    if (!isWeftError(err) || !ALREADY_GONE.has(err.code)) throw err;
    log.debug({ ...what, code: err.code }, 'ipam release of something already gone');
  }
}

export function ipamHandlers(ipam: Ipam, engine: EngineApi, log: Logger): Record<string, PluginHandler> {
  return {
    'IpamDriver.GetCapabilities': async () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }),
    'IpamDriver.GetDefaultAddressSpaces': async () => {
      const spaces = ipam.defaultAddressSpaces();
      return { LocalDefaultAddressSpace: spaces.localDefaultAddressSpace, GlobalDefaultAddressSpace: spaces.globalDefaultAddressSpace };
    },
    'IpamDriver.RequestPool': async (body) => {
      const pool = optionalString(body, 'Pool');
      const subPool = optionalString(body, 'SubPool');
      const res = await ipam.requestPool({
        addressSpace: requiredString(body, 'AddressSpace'),
        ...(pool !== '' && { pool }),
        ...(subPool !== '' && { subPool }),
        options: stringMap(body, 'Options'),
        v6: optionalBool(body, 'V6'),
      });
      return { PoolID: res.poolId, Pool: res.pool, Data: res.data };
    },
    'IpamDriver.ReleasePool': async (body) => {
      const poolId = requiredString(body, 'PoolID');
      await idempotent(log, { poolId }, () => ipam.releasePool(poolId));
      return {};
    },
    'IpamDriver.RequestAddress': async (body) => {
      const address = optionalString(body, 'Address');
      const res = await ipam.requestAddress({
        poolId: requiredString(body, 'PoolID'),
        ...(address !== '' && { address }),
        options: stringMap(body, 'Options'),
      });
      return { Address: res.address, Data: res.data };
    },
    'IpamDriver.ReleaseAddress': async (body) => {
      const poolId = requiredString(body, 'PoolID');
      const address = requiredString(body, 'Address');
      await idempotent(log, { poolId, address }, () => ipam.releaseAddress(poolId, address));
      await engine.engineAddressReleased(poolId, address);
      return {};
    },
  };
}
