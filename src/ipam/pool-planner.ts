/**
 * Turns a pool request into a new, not yet registered AddressPool: validates
 * the subnet and subPool, checks overlaps with the space's pools and the
 * routes in use, or picks a subnet from the default pools. Pure: no store.
 */
import { AddressPool, type PoolSpec } from './address-pool.js';
import { type Family, cidrContains, formatCidr, parseCidr } from './cidr.js';
import { type DefaultPool, chooseSubnet, describeDefaultPools } from './default-pools.js';
import { badCidr, invalidArgument, noDefaultPool, poolOverlap } from './errors.js';
import type { PoolRequest } from './ipam.js';
import { type PoolRegistry, poolIdOf } from './pool-registry.js';
import type { RouteObstacles } from './routes.js';

/**
 * Pool option: comma-separated addresses to reserve when the pool is created
 * (aux addresses that should never be handed out), e.g. `10.1.0.250,10.1.0.251`.
 */
export const RESERVED_ADDRESSES_OPTION = 'weft.ipam.reserved-addresses';

export interface PlanContext {
  space: string;
  registry: PoolRegistry;
  /** The space's default pools (both families). */
  defaults: readonly DefaultPool[];
  /** Routes to avoid; absent where routes do not matter (the global space). */
  routes?: RouteObstacles;
}

export interface PoolPlan {
  pool: AddressPool;
  /** Reserved addresses (plain IPs), already marked in `pool`. */
  reserved: string[];
}

export function planPool(req: PoolRequest, ctx: PlanContext): PoolPlan {
  // The plugin protocol sends "" for "none".
  const subnet = req.pool || undefined;
  const subPool = req.subPool || undefined;
  const options = { ...(req.options ?? {}) };
  if (subPool !== undefined && subnet === undefined) {
    throw invalidArgument(`subPool ${subPool} needs an explicit pool`, { subPool });
  }
  const spec = subnet === undefined ? autoSpec(req.v6 === true ? 6 : 4, options, ctx) : explicitSpec(req, options, ctx);
  const pool = new AddressPool(spec);
  return { pool, reserved: reserveOptionAddresses(pool) };
}

function explicitSpec(req: PoolRequest, options: Record<string, string>, ctx: PlanContext): PoolSpec {
  const cidr = parseCidr(req.pool!);
  if (req.v6 !== undefined && req.v6 !== (cidr.family === 6)) {
    throw badCidr(req.pool!, `an IPv${cidr.family} subnet in a request for IPv${req.v6 ? 6 : 4}`);
  }
  const subPool = req.subPool ? parseCidr(req.subPool) : undefined;
  const subnet = formatCidr(cidr);
  if (subPool && !cidrContains(cidr, subPool)) {
    throw badCidr(req.subPool!, `subPool is not inside pool ${subnet}`);
  }
  const existing = ctx.registry.overlapping(ctx.space, cidr);
  if (existing) {
    throw poolOverlap(subnet, `pool ${existing.subnet} (pool id ${existing.id})`, { poolId: existing.id });
  }
  const route = ctx.routes?.firstOverlap(cidr);
  if (route) throw poolOverlap(subnet, `route ${route.text} in use on the host`, { route: route.text });
  const id = poolIdOf(ctx.space, subnet, subPool && formatCidr(subPool));
  return { id, addressSpace: ctx.space, cidr, subPool, auto: false, options };
}

function autoSpec(family: Family, options: Record<string, string>, ctx: PlanContext): PoolSpec {
  const cidr = chooseSubnet(ctx.defaults, family, (candidate) => {
    const byPool = ctx.registry.blockedUntil(ctx.space, candidate);
    const byRoute = ctx.routes?.blockedUntil(candidate);
    if (byPool === undefined || byRoute === undefined) return byPool ?? byRoute;
    return byPool > byRoute ? byPool : byRoute;
  });
  if (!cidr) throw noDefaultPool(ctx.space, family, describeDefaultPools(ctx.defaults, family));
  const id = poolIdOf(ctx.space, formatCidr(cidr));
  return { id, addressSpace: ctx.space, cidr, auto: true, options };
}

/** Marks the addresses of RESERVED_ADDRESSES_OPTION in the pool; throws on a bad or duplicate one. */
function reserveOptionAddresses(pool: AddressPool): string[] {
  const text = pool.options[RESERVED_ADDRESSES_OPTION];
  if (!text) return [];
  const reserved: string[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const offset = pool.offsetOf(item);
    pool.checkAssignable(offset, item);
    if (!pool.reserve(offset)) continue;
    reserved.push(pool.addressAt(offset));
  }
  return reserved;
}
