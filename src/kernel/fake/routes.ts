/**
 * Routes as the kernel keeps them: connected (proto kernel) routes come and
 * go with addresses and link state; a gateway must be reachable through a
 * link-scope route (ENETUNREACH otherwise); a device must exist and be up.
 * Measured on this machine's kernel:
 *  - a link going down loses every route through it, and its IPv6 addresses;
 *  - an IPv4 /32 gets no prefix route, an IPv6 /128 does;
 *  - an IPv4 destination with host bits set is EINVAL, IPv6 is masked.
 */
import type { RouteSpec } from '../ops.js';
import { errno } from './errno.js';
import {
  cidrContains,
  formatCidr,
  formatIp,
  hasHostBits,
  networkOf,
  parseCidr,
  parseIp,
  type Cidr,
  type Family,
} from './ip.js';
import { requireLink, type FakeAddress, type FakeLink, type FakeNamespace, type FakeRoute } from './model.js';

const MAIN_TABLE = 254;

interface ParsedRoute {
  dst: Cidr;
  family: Family;
  via?: string;
  table: number;
  metric: number;
}

/** Add a route; false when the identical route is already there. */
export function addRoute(ns: FakeNamespace, spec: RouteSpec): boolean {
  const parsed = parseRoute(spec, true);
  const dev = resolveDevice(ns, spec, parsed);
  if (spec.src !== undefined && !isLocalAddress(ns, spec.src)) {
    throw errno('EINVAL', `invalid prefsrc address ${spec.src}`);
  }
  const dst = formatCidr({ ...parsed.dst, address: networkOf(parsed.dst) });
  const existing = ns.routes.find(
    (r) => r.family === parsed.family && r.table === parsed.table && r.dst === dst && r.metric === parsed.metric,
  );
  if (existing) {
    if (existing.via === parsed.via && existing.dev === dev) return false;
    throw errno('EEXIST', `route ${dst} table ${parsed.table} already exists via ${existing.via ?? existing.dev}`);
  }
  ns.routes.push({
    dst,
    family: parsed.family,
    ...(parsed.via !== undefined && { via: parsed.via }),
    dev,
    table: parsed.table,
    metric: parsed.metric,
    scope: spec.scope ?? (parsed.via ? 'universe' : 'link'),
    protocol: 'boot',
    ...(spec.src !== undefined && { src: spec.src }),
  });
  return true;
}

/** Delete the first route matching `spec` (unspecified fields match anything); false when none does. */
export function deleteRoute(ns: FakeNamespace, spec: RouteSpec): boolean {
  const parsed = parseRoute(spec, false);
  const dst = formatCidr({ ...parsed.dst, address: networkOf(parsed.dst) });
  const index = ns.routes.findIndex(
    (r) =>
      r.family === parsed.family &&
      r.table === parsed.table &&
      r.dst === dst &&
      (parsed.via === undefined || r.via === parsed.via) &&
      (spec.dev === undefined || r.dev === spec.dev) &&
      (spec.metric === undefined || r.metric === parsed.metric),
  );
  if (index < 0) return false;
  ns.routes.splice(index, 1);
  return true;
}

function parseRoute(spec: RouteSpec, strict: boolean): ParsedRoute {
  const gateway = spec.via === undefined ? undefined : parseIp(spec.via);
  if (spec.via !== undefined && !gateway) throw errno('EINVAL', `invalid gateway ${spec.via}`);
  const family: Family = spec.family ?? gateway?.family ?? parseCidr(spec.dst)?.family ?? 4;
  const dst = spec.dst === 'default' ? { family, address: 0n, prefix: 0 } : parseCidr(spec.dst);
  if (!dst) throw errno('EINVAL', `invalid route destination ${spec.dst}`);
  if (dst.family !== family || (gateway && gateway.family !== family)) {
    throw errno('EINVAL', `route ${spec.dst}: address families do not match`);
  }
  // The IPv4 FIB refuses host bits in the destination; IPv6 silently masks them.
  if (strict && family === 4 && hasHostBits(dst)) {
    throw errno('EINVAL', `invalid prefix for given prefix length: ${spec.dst}`);
  }
  return {
    dst,
    family,
    ...(gateway && { via: formatIp(gateway.family, gateway.value) }),
    table: spec.table ?? MAIN_TABLE,
    metric: spec.metric ?? (family === 6 ? 1024 : 0),
  };
}

/** The device the route goes out of: the one named, or the one whose link-scope route covers the gateway. */
function resolveDevice(ns: FakeNamespace, spec: RouteSpec, parsed: ParsedRoute): string {
  if (spec.dev !== undefined) {
    const link = requireLink(ns, spec.dev);
    if (!link.up) throw errno('ENETDOWN', `nexthop device ${spec.dev} is not up`);
  }
  if (parsed.via === undefined) {
    if (spec.dev === undefined) throw errno('EINVAL', `route ${spec.dst} needs a gateway or a device`);
    return spec.dev;
  }
  const gateway = parseIp(parsed.via)!;
  const covering = ns.routes
    .filter(
      (r) =>
        r.via === undefined &&
        (r.table === MAIN_TABLE || r.table === parsed.table) &&
        (spec.dev === undefined || r.dev === spec.dev) &&
        cidrContains(parseCidr(r.dst)!, gateway.family, gateway.value),
    )
    .sort((a, b) => parseCidr(b.dst)!.prefix - parseCidr(a.dst)!.prefix)[0];
  if (!covering) throw errno('ENETUNREACH', `nexthop has invalid gateway ${parsed.via}: no connected route covers it`);
  return covering.dev;
}

function isLocalAddress(ns: FakeNamespace, ip: string): boolean {
  const wanted = parseIp(ip);
  return wanted !== undefined && ns.addresses.some((a) => parseCidr(a.cidr)?.address === wanted.value);
}

/** The proto-kernel prefix route an address brings, if any. */
function connectedRoute(address: FakeAddress, link: FakeLink): FakeRoute | undefined {
  const cidr = parseCidr(address.cidr)!;
  // Loopback prefixes go to the local table, which reads do not show; an IPv4 /32 has no prefix route.
  if (link.loopback || (cidr.family === 4 && cidr.prefix === 32)) return undefined;
  return {
    dst: formatCidr({ ...cidr, address: networkOf(cidr) }),
    family: cidr.family,
    dev: address.dev,
    table: MAIN_TABLE,
    metric: cidr.family === 6 ? 256 : 0,
    scope: 'link',
    protocol: 'kernel',
    ...(cidr.family === 4 && { src: formatIp(4, cidr.address) }),
  };
}

function sameRoute(a: FakeRoute, b: FakeRoute): boolean {
  return a.dst === b.dst && a.dev === b.dev && a.table === b.table && a.protocol === b.protocol && a.metric === b.metric;
}

/** Called when an address is added and when its link comes up: the kernel adds the prefix route only on an up link. */
export function addConnectedRoute(ns: FakeNamespace, address: FakeAddress, link: FakeLink): void {
  const route = connectedRoute(address, link);
  if (!route || !link.up || ns.routes.some((r) => sameRoute(r, route))) return;
  ns.routes.push(route);
}

/** Called when an address goes: its prefix route goes too, unless another address on the link has the same prefix. */
export function removeConnectedRoute(ns: FakeNamespace, address: FakeAddress, link: FakeLink): void {
  const route = connectedRoute(address, link);
  if (!route) return;
  const stillCovered = ns.addresses.some((a) => {
    const other = a.dev === link.name ? connectedRoute(a, link) : undefined;
    return other !== undefined && sameRoute(other, route);
  });
  if (!stillCovered) ns.routes = ns.routes.filter((r) => !sameRoute(r, route));
}

export function flushRoutesOf(ns: FakeNamespace, dev: string, family?: Family): void {
  ns.routes = ns.routes.filter((r) => r.dev !== dev || (family !== undefined && r.family !== family));
}
