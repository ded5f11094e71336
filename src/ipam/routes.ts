/**
 * Routes and addresses in use in the daemon's namespace, as obstacles for
 * pool choice. Entries are CIDR text, optionally followed by a description
 * (`10.1.0.0/24 dev eth0`), which error messages quote. Default routes are
 * ignored: every subnet "overlaps" them.
 */
import { type Cidr, type Family, cidrLast, cidrsOverlap, parseRouteCidr } from './cidr.js';
import { mergedRangeList, type RangeList } from './range-list.js';

export interface RouteInUse {
  cidr: Cidr;
  /** The entry as given, for messages. */
  text: string;
}

export function parseRoutes(entries: readonly string[]): RouteInUse[] {
  const routes: RouteInUse[] = [];
  for (const entry of entries) {
    const text = entry.trim();
    const cidr = parseRouteCidr(text.split(/\s+/, 1)[0] ?? '');
    if (cidr && cidr.prefix > 0) routes.push({ cidr, text });
  }
  return routes;
}

export class RouteObstacles {
  private readonly merged: Record<Family, RangeList<null>>;

  constructor(private readonly routes: readonly RouteInUse[]) {
    const ranges = (family: Family) =>
      routes
        .filter((r) => r.cidr.family === family)
        .map((r) => ({ start: r.cidr.network, end: cidrLast(r.cidr), value: null }));
    this.merged = { 4: mergedRangeList(ranges(4)), 6: mergedRangeList(ranges(6)) };
  }

  /** The end of the routed range blocking the subnet, or undefined if none does. */
  blockedUntil(cidr: Cidr): bigint | undefined {
    return this.merged[cidr.family].overlapping(cidr.network, cidrLast(cidr))?.end;
  }

  /** The first route entry the subnet overlaps (for an error message). */
  firstOverlap(cidr: Cidr): RouteInUse | undefined {
    return this.routes.find((r) => cidrsOverlap(r.cidr, cidr));
  }
}
