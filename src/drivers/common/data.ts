/**
 * The driverData the local drivers persist with networks and endpoints, and
 * typed readers for it. Later calls get it back from the store, so it is
 * checked rather than trusted.
 */
import type { EndpointInfo, NetworkInfo } from '../driver.js';
import { corruptDriverData } from './errors.js';

/** What createNetwork decided and createEndpoint/join need again. */
export interface LocalNetworkData {
  [key: string]: unknown;
  /** The Linux bridge (bridge driver only). */
  bridge?: string;
  mtu: number;
  icc: boolean;
  masquerade: boolean;
  internal: boolean;
  hostBindingIpv4?: string;
}

export interface LocalEndpointData {
  [key: string]: unknown;
  /** Host-side end of the endpoint's veth. */
  hostDevice: string;
  /** Sandbox-side end in the daemon's namespace (placement `host` only), for Join's SrcName. */
  srcName?: string;
}

export function readNetworkData(network: NetworkInfo): LocalNetworkData {
  const data = network.driverData;
  const ok =
    typeof data.mtu === 'number' &&
    typeof data.icc === 'boolean' &&
    typeof data.masquerade === 'boolean' &&
    typeof data.internal === 'boolean' &&
    (data.bridge === undefined || typeof data.bridge === 'string') &&
    (data.hostBindingIpv4 === undefined || typeof data.hostBindingIpv4 === 'string');
  if (!ok) throw corruptDriverData(`network ${network.id}`, { network: network.id });
  return data as LocalNetworkData;
}

export function readEndpointData(endpoint: EndpointInfo): LocalEndpointData {
  const data = endpoint.driverData;
  const ok = typeof data.hostDevice === 'string' && (data.srcName === undefined || typeof data.srcName === 'string');
  if (!ok) throw corruptDriverData(`endpoint ${endpoint.id}`, { endpoint: endpoint.id });
  return data as LocalEndpointData;
}
