/**
 * Routes over rtnetlink.
 */
import type { RouteState } from '../kernel.js';
import type { RouteSpec } from '../ops.js';
import { attr, u32Attr } from './attrs.js';
import { hasErrno } from './errno.js';
import { AF_INET, AF_INET6, afOf, canonicalIp, familyOf, ipBytes, ipText, parseCidr } from './inet.js';
import { type RouteMsg, RT_SCOPE, RTA, rtmsg, RTN_UNICAST, RTPROT_STATIC } from './messages.js';
import type { Rtnl } from './rtnl.js';

const MAIN_TABLE = 254;
const LOCAL_TABLE = 255;
const SCOPE_NAMES = new Map<number, string>(Object.entries(RT_SCOPE).map(([name, value]) => [value, name]));
const PROTOCOL_NAMES = new Map<number, string>([[1, 'redirect'], [2, 'kernel'], [3, 'boot'], [4, 'static'], [9, 'ra'], [16, 'dhcp']]);

interface RouteRequest {
  header: Buffer;
  attrs: Buffer[];
}

/** Add a route; false when an identical one (same dst, table, via, dev, metric) is there. */
export async function addRoute(rtnl: Rtnl, spec: RouteSpec): Promise<boolean> {
  const req = await buildRequest(rtnl, spec, 'add');
  try {
    await rtnl.newRoute(req.header, req.attrs);
    return true;
  } catch (err) {
    if (hasErrno(err, 'EEXIST') && (await hasRoute(rtnl, spec))) return false;
    throw err;
  }
}

/** Delete a route; false when it (or its device) was already gone. */
export async function deleteRoute(rtnl: Rtnl, spec: RouteSpec): Promise<boolean> {
  let req: RouteRequest;
  try {
    req = await buildRequest(rtnl, spec, 'del');
  } catch (err) {
    if (hasErrno(err, 'ENODEV')) return false;
    throw err;
  }
  try {
    await rtnl.deleteRoute(req.header, req.attrs);
    return true;
  } catch (err) {
    if (hasErrno(err, 'ESRCH', 'ENODEV', 'ENOENT')) return false;
    throw err;
  }
}

function routeFamily(spec: RouteSpec): 4 | 6 {
  if (spec.dst !== 'default') return parseCidr(spec.dst).family;
  return spec.family ?? (spec.via ? familyOf(spec.via) : 4);
}

async function buildRequest(rtnl: Rtnl, spec: RouteSpec, purpose: 'add' | 'del'): Promise<RouteRequest> {
  const family = routeFamily(spec);
  const dst = spec.dst === 'default' ? undefined : parseCidr(spec.dst);
  const table = spec.table ?? MAIN_TABLE;
  const header = rtmsg({
    family: afOf(family),
    dstLen: dst?.prefix ?? 0,
    // Tables above 255 only fit in RTA_TABLE.
    table: table < 256 ? table : 0,
    ...(purpose === 'add'
      ? { protocol: RTPROT_STATIC, type: RTN_UNICAST, scope: RT_SCOPE[spec.scope ?? (spec.via ? 'universe' : 'link')] }
      : // NOWHERE matches any scope on delete; type and protocol 0 match any.
        { scope: RT_SCOPE.nowhere }),
  });
  const attrs = [u32Attr(RTA.TABLE, table)];
  if (dst) attrs.push(attr(RTA.DST, ipBytes(dst.address)));
  if (spec.via) attrs.push(attr(RTA.GATEWAY, ipBytes(spec.via)));
  if (spec.dev) attrs.push(u32Attr(RTA.OIF, await rtnl.indexOf(spec.dev)));
  if (spec.src) attrs.push(attr(RTA.PREFSRC, ipBytes(spec.src)));
  if (spec.metric !== undefined) attrs.push(u32Attr(RTA.PRIORITY, spec.metric));
  return { header, attrs };
}

async function hasRoute(rtnl: Rtnl, spec: RouteSpec): Promise<boolean> {
  const family = routeFamily(spec);
  const cidr = spec.dst === 'default' ? undefined : parseCidr(spec.dst);
  const dst = cidr ? `${canonicalIp(cidr.address)}/${cidr.prefix}` : 'default';
  const via = spec.via ? canonicalIp(spec.via) : undefined;
  const routes = await listRoutes(rtnl, [family]);
  return routes.some(
    (r) =>
      r.dst === dst &&
      r.table === (spec.table ?? MAIN_TABLE) &&
      r.via === via &&
      (spec.dev === undefined || r.dev === spec.dev) &&
      (spec.metric === undefined || r.metric === spec.metric),
  );
}

export type RouteStateWithMetric = RouteState & { metric?: number };

/** Unicast routes of every table but `local`. */
export async function listRoutes(rtnl: Rtnl, families: Array<4 | 6> = [4, 6]): Promise<RouteStateWithMetric[]> {
  const [links, ...dumps] = await Promise.all([rtnl.links(), ...families.map((f) => rtnl.routes(afOf(f)))]);
  const names = new Map(links.map((l) => [l.index, l.ifname ?? '']));
  return dumps.flat().flatMap((m) => toRouteState(m, names));
}

function toRouteState(m: RouteMsg, names: Map<number, string>): RouteStateWithMetric[] {
  const family = m.family === AF_INET ? 4 : m.family === AF_INET6 ? 6 : undefined;
  if (!family || m.table === LOCAL_TABLE || m.type !== RTN_UNICAST) return [];
  return [
    {
      dst: m.dstLen && m.dst ? `${ipText(m.dst)}/${m.dstLen}` : 'default',
      family,
      via: m.gateway ? ipText(m.gateway) : undefined,
      dev: m.oif ? names.get(m.oif) : undefined,
      table: m.table,
      scope: SCOPE_NAMES.get(m.scope) ?? String(m.scope),
      protocol: PROTOCOL_NAMES.get(m.protocol) ?? String(m.protocol),
      metric: m.priority,
    },
  ];
}
