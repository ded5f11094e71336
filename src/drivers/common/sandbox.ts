/**
 * The ops both local drivers use to make an endpoint's veth and to
 * configure its sandbox end. Where weft owns the sandbox (placement
 * `netns`) the peer is created directly in the sandbox under its final name
 * and configured there; on the Docker path (placement `host`) both ends stay
 * in the daemon's namespace and the engine moves and configures the peer.
 */
import type { EndpointPlacement } from '../driver.js';
import type { KernelOp } from '../../kernel/ops.js';
import { invalidArgument } from './errors.js';
import { endpointDeviceName, IFNAME_MAX, NAME_PREFIX, WEFT_LINK_GROUP } from './names.js';

export interface VethRequest {
  endpointId: string;
  /** Host-side name (derived from the endpoint id by the driver). */
  hostName: string;
  mtu: number;
  /** MAC of the sandbox end. */
  mac: string;
  /** Bridge to enslave the host end to. */
  master?: string;
}

export interface VethPlan {
  op: KernelOp;
  /** The sandbox end's name in the daemon's namespace, for placement `host`. */
  srcName?: string;
}

export function vethOp(request: VethRequest, placement: EndpointPlacement): VethPlan {
  const { hostName, mtu, mac, master } = request;
  // A bridge port in hairpin mode lets a sandbox reach its own published ports
  // (DNAT back to the port the frame came from, switched at L2 under br_netfilter).
  const host = {
    name: hostName,
    kind: 'veth' as const,
    mtu,
    up: true,
    group: WEFT_LINK_GROUP,
    ...(master !== undefined && { master, hairpin: true }),
  };
  if (placement.kind === 'netns') {
    return { op: { op: 'link.add', link: { ...host, veth: { name: placement.ifname, ns: placement.netns, mac, mtu } } } };
  }
  const srcName = endpointDeviceName(NAME_PREFIX.container, request.endpointId);
  return { op: { op: 'link.add', link: { ...host, veth: { name: srcName, mac, mtu } } }, srcName };
}

/** How the sandbox end is configured (placement `netns` only). */
export interface SandboxConfig {
  netns: string;
  ifname: string;
  /** CIDRs to put on the interface. */
  addresses: string[];
  /** Device routes to add before the defaults (e.g. the nat gateway's /128). */
  deviceRoutes: string[];
  /** Default-route gateways (plain IPs), when this endpoint provides the default route. */
  defaultVia: string[];
}

export function sandboxOps(config: SandboxConfig): KernelOp[] {
  const ns = config.netns;
  const dev = config.ifname;
  return [
    { op: 'link.set', ns, name: dev, set: { up: true } },
    ...config.addresses.map((cidr): KernelOp => ({ op: 'addr.add', ns, dev, cidr })),
    ...config.deviceRoutes.map((dst): KernelOp => ({ op: 'route.add', ns, route: { dst, dev } })),
    ...config.defaultVia.map(
      (via): KernelOp => ({ op: 'route.add', ns, route: { dst: 'default', family: via.includes(':') ? 6 : 4, via, dev } }),
    ),
  ];
}

/** A placement the controller built: a namespace name and a valid interface name. */
export function checkPlacement(placement: EndpointPlacement): void {
  if (placement.kind !== 'netns') return;
  if (placement.netns === '' || placement.netns.includes('/')) {
    throw invalidArgument(`invalid sandbox namespace name ${JSON.stringify(placement.netns)}`, { netns: placement.netns });
  }
  const name = placement.ifname;
  if (name.length === 0 || name.length > IFNAME_MAX || !/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..') {
    throw invalidArgument(`invalid sandbox interface name ${JSON.stringify(name)}`, { ifname: name });
  }
}
