/**
 * Planning a bridge endpoint: a veth whose host end (wv<12 hex of the
 * endpoint id>) is a port of the network's bridge. Where weft owns the
 * sandbox, its end is created there under its final name, with the
 * endpoint's addresses and, when it provides the default route, default
 * routes via the gateways.
 */
import type { EndpointPlacement, EndpointPlan, EndpointSpec, NetworkInfo } from '../driver.js';
import type { KernelOp } from '../../kernel/ops.js';
import { defaultGateways } from '../common/addresses.js';
import { readNetworkData, type LocalEndpointData } from '../common/data.js';
import { corruptDriverData } from '../common/errors.js';
import { endpointMac } from '../common/mac.js';
import { endpointDeviceName, NAME_PREFIX } from '../common/names.js';
import { checkPlacement, sandboxOps, vethOp } from '../common/sandbox.js';

export function planBridgeEndpoint(network: NetworkInfo, endpoint: EndpointSpec, placement: EndpointPlacement): EndpointPlan {
  checkPlacement(placement);
  const data = readNetworkData(network);
  if (data.bridge === undefined) throw corruptDriverData(`network ${network.id} (no bridge)`, { network: network.id });
  const mac = endpointMac(endpoint);
  const hostDevice = endpointDeviceName(NAME_PREFIX.bridgeVeth, endpoint.id);
  const veth = vethOp({ endpointId: endpoint.id, hostName: hostDevice, mtu: data.mtu, mac, master: data.bridge }, placement);
  const ops: KernelOp[] = [veth.op];
  if (placement.kind === 'netns') {
    const defaultVia = placement.defaultGateway && !data.internal ? defaultGateways(network, endpoint) : [];
    const addresses = [endpoint.addressV4, endpoint.addressV6].filter((a): a is string => a !== undefined);
    ops.push(...sandboxOps({ netns: placement.netns, ifname: placement.ifname, addresses, deviceRoutes: [], defaultVia }));
  }
  const endpointData: LocalEndpointData = { hostDevice, ...(veth.srcName !== undefined && { srcName: veth.srcName }) };
  return { ops, data: endpointData, mac, hostDevices: [hostDevice], ...(veth.srcName !== undefined && { srcName: veth.srcName }) };
}
