/**
 * Planning a nat endpoint: a point-to-point veth (host end wn<12 hex of the
 * endpoint id>) and host routes instead of a bridge.
 *
 * IPv4: the host end carries the gateway as a /32 (Linux allows one address
 * on several links), a /32 route to the endpoint, and proxy ARP, so a
 * sandbox that has the address with the network's prefix ARPs for its
 * neighbours and the host answers for them: all traffic goes through the
 * host, where the firewall applies.
 *
 * IPv6 has no proxy NDP without one entry per neighbour, so the sandbox
 * gets its address as a /128 (nothing is on-link), a device route to the
 * gateway and the default route via it; the host end carries the gateway as
 * a /128 and a /128 route to the endpoint. On the Docker path the engine
 * configures the sandbox with the network prefix instead: IPv6 between two
 * endpoints of one nat network then needs that path's own routes.
 */
import type { EndpointPlacement, EndpointPlan, EndpointSpec, NetworkInfo } from '../driver.js';
import type { KernelOp } from '../../kernel/ops.js';
import { defaultGateways, firstGatewayIp, hostCidr } from '../common/addresses.js';
import { readNetworkData, type LocalEndpointData } from '../common/data.js';
import { endpointMac } from '../common/mac.js';
import { endpointDeviceName, NAME_PREFIX } from '../common/names.js';
import { checkPlacement, sandboxOps, vethOp } from '../common/sandbox.js';

export function planNatEndpoint(network: NetworkInfo, endpoint: EndpointSpec, placement: EndpointPlacement): EndpointPlan {
  checkPlacement(placement);
  const data = readNetworkData(network);
  const mac = endpointMac(endpoint);
  const hostDevice = endpointDeviceName(NAME_PREFIX.natVeth, endpoint.id);
  const veth = vethOp({ endpointId: endpoint.id, hostName: hostDevice, mtu: data.mtu, mac }, placement);
  const ops: KernelOp[] = [veth.op, ...hostSideOps(network, endpoint, hostDevice)];
  if (placement.kind === 'netns') {
    const gw6 = endpoint.addressV6 === undefined ? undefined : firstGatewayIp(network.v6);
    const addresses = [endpoint.addressV4, endpoint.addressV6 && hostCidr(endpoint.addressV6)].filter((a): a is string => !!a);
    ops.push(
      ...sandboxOps({
        netns: placement.netns,
        ifname: placement.ifname,
        addresses,
        deviceRoutes: gw6 === undefined ? [] : [hostCidr(gw6)],
        defaultVia: placement.defaultGateway && !data.internal ? defaultGateways(network, endpoint) : [],
      }),
    );
  }
  const endpointData: LocalEndpointData = { hostDevice, ...(veth.srcName !== undefined && { srcName: veth.srcName }) };
  return { ops, data: endpointData, mac, hostDevices: [hostDevice], ...(veth.srcName !== undefined && { srcName: veth.srcName }) };
}

/** Host end: sysctls, the gateway address(es) and the route(s) to the endpoint. */
function hostSideOps(network: NetworkInfo, endpoint: EndpointSpec, dev: string): KernelOp[] {
  const ops: KernelOp[] = [
    // The host answers the sandbox's ARP for its neighbours (they are behind other veths).
    { op: 'sysctl.set', key: `net.ipv4.conf.${dev}.proxy_arp`, value: '1' },
    // Published ports reached through 127.0.0.1 leave through this veth with a loopback source.
    { op: 'sysctl.set', key: `net.ipv4.conf.${dev}.route_localnet`, value: '1' },
  ];
  const families = [
    { address: endpoint.addressV4, gateway: firstGatewayIp(network.v4) },
    { address: endpoint.addressV6, gateway: firstGatewayIp(network.v6) },
  ];
  for (const { address, gateway } of families) {
    if (address === undefined) continue;
    if (gateway !== undefined) ops.push({ op: 'addr.add', dev, cidr: hostCidr(gateway) });
    ops.push({ op: 'route.add', route: { dst: hostCidr(address), dev } });
  }
  return ops;
}
