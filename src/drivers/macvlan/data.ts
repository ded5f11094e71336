/**
 * The driverData of macvlan networks and endpoints, and typed readers for
 * it. Later calls get it back from the store, so it is checked, not trusted.
 */
import type { MacvlanMode } from '../../kernel/ops.js';
import type { EndpointInfo, NetworkInfo } from '../driver.js';
import { corruptDriverData } from '../common/errors.js';

/**
 * How the network's parent came to be. `existing`: it was there (a host
 * interface, or a sub-interface weft did not make); `vlan` and `dummy`: the
 * network's plan adds it (a VLAN sub-interface is shared by every weft
 * network on it, and goes with the last).
 */
export type ParentOrigin = 'existing' | 'vlan' | 'dummy';

export interface MacvlanNetworkData {
  [key: string]: unknown;
  /** The device the network's macvlans sit on. */
  parent: string;
  parentOrigin: ParentOrigin;
  mode: MacvlanMode;
  /** No default route for sandboxes: --internal, or no parent. */
  internal: boolean;
  mtu?: number;
  /** The host shim (weft.macvlan.host_shim). */
  shim?: string;
}

export interface MacvlanEndpointData {
  [key: string]: unknown;
  /** The macvlan in the daemon's namespace (placement `host` only), for Join's SrcName. */
  srcName?: string;
}

const MODES = new Set(['bridge', 'private', 'vepa', 'passthru']);
const ORIGINS = new Set(['existing', 'vlan', 'dummy']);

function isNetworkData(data: Record<string, unknown>): data is MacvlanNetworkData {
  return (
    typeof data.parent === 'string' &&
    ORIGINS.has(data.parentOrigin as string) &&
    MODES.has(data.mode as string) &&
    typeof data.internal === 'boolean' &&
    (data.mtu === undefined || typeof data.mtu === 'number') &&
    (data.shim === undefined || typeof data.shim === 'string')
  );
}

export function readMacvlanNetworkData(network: NetworkInfo): MacvlanNetworkData {
  if (!isNetworkData(network.driverData)) throw corruptDriverData(`network ${network.id}`, { network: network.id });
  return network.driverData;
}

/** Another network's data, or undefined when it is not a macvlan network's (for checks across networks). */
export function peerNetworkData(network: NetworkInfo): MacvlanNetworkData | undefined {
  return isNetworkData(network.driverData) ? network.driverData : undefined;
}

export function readMacvlanEndpointData(endpoint: EndpointInfo): MacvlanEndpointData {
  const data = endpoint.driverData;
  if (data.srcName !== undefined && typeof data.srcName !== 'string') {
    throw corruptDriverData(`endpoint ${endpoint.id}`, { endpoint: endpoint.id });
  }
  return data as MacvlanEndpointData;
}
