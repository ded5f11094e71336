/**
 * Planning a macvlan endpoint: a macvlan on the network's parent with a MAC
 * from its IPv4 address. Where weft owns the sandbox it is created directly
 * there under its final name (its parent stays in the daemon's namespace:
 * parentNs null) and configured: addresses, and default routes via the
 * network's gateway (the router on the parent's LAN) when this endpoint
 * provides them. On the Docker path it stays in the daemon's namespace as
 * wm<12 hex of the endpoint id> for the engine to move. With a host shim,
 * the host gets a route to each of the endpoint's addresses via the shim.
 */
import type { KernelOp, LinkSpec } from '../../kernel/ops.js';
import type { EndpointPlacement, EndpointPlan, EndpointSpec, NetworkInfo } from '../driver.js';
import { defaultGateways, hostCidr } from '../common/addresses.js';
import { endpointMac } from '../common/mac.js';
import { endpointDeviceName, NAME_PREFIX, WEFT_LINK_GROUP } from '../common/names.js';
import { checkPlacement, sandboxOps } from '../common/sandbox.js';
import { readMacvlanNetworkData, type MacvlanEndpointData } from './data.js';

export function planMacvlanEndpoint(network: NetworkInfo, endpoint: EndpointSpec, placement: EndpointPlacement): EndpointPlan {
  checkPlacement(placement);
  const data = readMacvlanNetworkData(network);
  const mac = endpointMac(endpoint);
  const link: LinkSpec = {
    name: '',
    kind: 'macvlan',
    mac,
    group: WEFT_LINK_GROUP,
    ...(data.mtu !== undefined && { mtu: data.mtu }),
    macvlan: { parent: data.parent, mode: data.mode },
  };
  const addresses = [endpoint.addressV4, endpoint.addressV6].filter((a): a is string => a !== undefined);
  const ops: KernelOp[] = [];
  let srcName: string | undefined;
  if (placement.kind === 'netns') {
    const { netns, ifname } = placement;
    ops.push({ op: 'link.add', ns: netns, link: { ...link, name: ifname, macvlan: { ...link.macvlan!, parentNs: null } } });
    const defaultVia = placement.defaultGateway && !data.internal ? defaultGateways(network, endpoint) : [];
    ops.push(...sandboxOps({ netns, ifname, addresses, deviceRoutes: [], defaultVia }));
  } else {
    srcName = endpointDeviceName(NAME_PREFIX.macvlan, endpoint.id);
    ops.push({ op: 'link.add', link: { ...link, name: srcName } });
  }
  if (data.shim !== undefined) {
    ops.push(...addresses.map((a): KernelOp => ({ op: 'route.add', route: { dst: hostCidr(a), dev: data.shim } })));
  }
  const endpointData: MacvlanEndpointData = srcName === undefined ? {} : { srcName };
  return { ops, data: endpointData, mac, hostDevices: [], ...(srcName !== undefined && { srcName }) };
}
