/**
 * Join for the local drivers: the gateway(s) as plain IPs, and on the Docker
 * path the device the engine must move into the container (SrcName) and
 * the prefix it renames it with. Internal networks give no gateway: they
 * have no way out, so a default route through them would be a dead end.
 */
import type { EndpointInfo, JoinInfo, NetworkInfo } from '../driver.js';
import { firstGatewayIp } from './addresses.js';
import { readEndpointData, readNetworkData } from './data.js';

export function localJoin(network: NetworkInfo, endpoint: EndpointInfo): JoinInfo {
  const data = readNetworkData(network);
  const ep = readEndpointData(endpoint);
  const gateway = data.internal || !endpoint.addressV4 ? undefined : firstGatewayIp(network.v4);
  const gatewayV6 = data.internal || !endpoint.addressV6 ? undefined : firstGatewayIp(network.v6);
  return {
    ...(ep.srcName !== undefined && { interfaceName: { srcName: ep.srcName, dstPrefix: 'eth' } }),
    ...(gateway !== undefined && { gateway }),
    ...(gatewayV6 !== undefined && { gatewayV6 }),
    staticRoutes: [],
    disableGatewayService: false,
  };
}
