/**
 * Routes over rtnetlink.
 */
import { rt } from 'netlink';
import type { RouteState } from '../kernel.js';
import type { RouteSpec } from '../ops.js';
import { hasErrno } from './errno.js';
import { AF_INET, AF_INET6, afOf, canonicalIp, familyOf, ipBytes, ipText, parseCidr } from './inet.js';
import type { RouteMessage, Rtnl } from './rtnl.js';

const MAIN_TABLE = 254;
const LOCAL_TABLE = 255;
const SCOPES = { universe: rt.RouteScope.UNIVERSE, link: rt.RouteScope.LINK, host: rt.RouteScope.HOST } as const;

interface RouteRequest {
  data: rt.Route;
  attrs: rt.RouteAttrs;
}

/** Add a route; false when an identical one (same dst, table, via, dev, metric) is there. */
export async function addRoute(rtnl: Rtnl, spec: RouteSpec): Promise<boolean> {
  const req = await buildRequest(rtnl, spec, 'add');
  try {
    await rtnl.newRoute(req.data, req.attrs);
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
    await rtnl.deleteRoute(req.data, req.attrs);
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
  const data: rt.Route = {
    family: afOf(family),
    dstLen: dst?.prefix ?? 0,
    // Tables above 255 only fit in RTA_TABLE.
    table: table < 256 ? table : 0,
    ...(purpose === 'add'
      ? { protocol: rt.RouteProtocol.STATIC, type: rt.RouteType.UNICAST, scope: SCOPES[spec.scope ?? (spec.via ? 'universe' : 'link')] }
      : // NOWHERE matches any scope on delete; type and protocol 0 match any.
        { scope: rt.RouteScope.NOWHERE }),
  };
  const attrs: rt.RouteAttrs = { table };
  if (dst) attrs.dst = ipBytes(dst.address);
  if (spec.via) attrs.gateway = ipBytes(spec.via);
  if (spec.dev) attrs.oif = await rtnl.indexOf(spec.dev);
  if (spec.src) attrs.prefsrc = ipBytes(spec.src);
  if (spec.metric !== undefined) attrs.priority = spec.metric;
  return { data, attrs };
}

async function hasRoute(rtnl: Rtnl, spec: RouteSpec): Promise<boolean> {
  const family = routeFamily(spec);
  const dst = spec.dst === 'default' ? 'default' : `${canonicalIp(parseCidr(spec.dst).address)}/${parseCidr(spec.dst).prefix}`;
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

type RouteStateWithMetric = RouteState & { metric?: number };

/** Unicast routes of every table but `local`. */
export async function listRoutes(rtnl: Rtnl, families: Array<4 | 6> = [4, 6]): Promise<RouteStateWithMetric[]> {
  const [links, ...dumps] = await Promise.all([rtnl.links(), ...families.map((f) => rtnl.routes(afOf(f)))]);
  const names = new Map(links.map((l) => [l.data.index ?? 0, l.attrs.ifname ?? '']));
  return dumps.flat().flatMap((m) => toRouteState(m, names));
}

function toRouteState(m: RouteMessage, names: Map<number, string>): RouteStateWithMetric[] {
  const family = m.data.family === AF_INET ? 4 : m.data.family === AF_INET6 ? 6 : undefined;
  const table = m.attrs.table ?? m.data.table ?? 0;
  if (!family || table === LOCAL_TABLE || enumValue(m.data.type, rt.RouteType) !== rt.RouteType.UNICAST) return [];
  return [
    {
      dst: m.data.dstLen && m.attrs.dst ? `${ipText(m.attrs.dst)}/${m.data.dstLen}` : 'default',
      family,
      via: m.attrs.gateway ? ipText(m.attrs.gateway) : undefined,
      dev: m.attrs.oif ? names.get(m.attrs.oif) : undefined,
      table,
      scope: enumName(m.data.scope, rt.RouteScope),
      protocol: enumName(m.data.protocol, rt.RouteProtocol),
      metric: m.attrs.priority,
    },
  ];
}

/** The netlink package types enum fields as "number or key name"; normalise to the number. */
function enumValue<E extends Record<string, string | number>>(value: number | string | undefined, e: E): number | undefined {
  if (typeof value === 'string') return e[value] as number | undefined;
  return value;
}

function enumName<E extends Record<string, string | number>>(value: number | string | undefined, e: E): string | undefined {
  const number = enumValue(value, e);
  if (number === undefined) return undefined;
  const name = e[number];
  return typeof name === 'string' ? name.toLowerCase() : String(number);
}
