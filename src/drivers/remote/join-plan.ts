/**
 * What dockerd does after a remote driver's Join (reference §4.2 step 8),
 * as kernel ops, because weft owns the sandbox: move the plugin's SrcName
 * device from the daemon's namespace into the sandbox under its final name,
 * set the MAC, the addresses, bring it up, add the on-link (type 1) then the
 * next-hop (type 0) static routes, then the default route(s) via the
 * returned gateway when this endpoint provides the sandbox's default route.
 */
import type { JoinInfo } from '../driver.js';
import type { KernelOp } from '../../kernel/ops.js';

export interface JoinPlacement {
  netns: string;
  ifname: string;
  /** The device the plugin made in the daemon's namespace. */
  srcName: string;
  addresses: string[];
  mac?: string;
  defaultGateway: boolean;
}

const isDefaultDst = (dst: string): boolean => dst === '0.0.0.0/0' || dst === '::/0';
const familyOf = (ip: string): 4 | 6 => (ip.includes(':') ? 6 : 4);

export function joinOps(join: JoinInfo, p: JoinPlacement): KernelOp[] {
  const ns = p.netns;
  const dev = p.ifname;
  // A default route in a static route would clash with the one another endpoint gives the sandbox.
  const routes = join.staticRoutes.filter((r) => p.defaultGateway || !isDefaultDst(r.destination));
  const onLink = routes.filter((r) => r.routeType === 1);
  const viaHop = routes.filter((r) => r.routeType === 0);
  const defaults: string[] = [];
  // dockerd programs the IPv6 gateway only next to an IPv4 one.
  if (p.defaultGateway && join.gateway) defaults.push(join.gateway, ...(join.gatewayV6 ? [join.gatewayV6] : []));
  return [
    { op: 'link.move', name: p.srcName, toNs: ns, newName: dev },
    ...(p.mac ? [{ op: 'link.set', ns, name: dev, set: { mac: p.mac } } satisfies KernelOp] : []),
    ...p.addresses.map((cidr): KernelOp => ({ op: 'addr.add', ns, dev, cidr })),
    { op: 'link.set', ns, name: dev, set: { up: true } },
    ...onLink.map((r): KernelOp => ({ op: 'route.add', ns, route: { dst: r.destination, dev, scope: 'link' } })),
    ...viaHop.map((r): KernelOp => ({ op: 'route.add', ns, route: { dst: r.destination, via: r.nextHop, dev } })),
    ...defaults.map((via): KernelOp => ({ op: 'route.add', ns, route: { dst: 'default', family: familyOf(via), via, dev } })),
  ];
}
