/**
 * The model seen through the Kernel read methods, in the shapes kernel.ts
 * defines (optional fields absent rather than undefined, so results compare
 * with toEqual the same way the real implementation's do), and a whole-model
 * snapshot for "nothing changed" assertions.
 */
import type { AddrState, FdbState, LinkState, NeighState, RouteState } from '../kernel.js';
import { nsLabel, type FakeLink, type FakeNamespace, type FakeRoute, type FakeWorld, type LinkRef, type NftTable } from './model.js';

export function linkStates(ns: FakeNamespace): LinkState[] {
  return [...ns.links.values()].sort((a, b) => a.index - b.index).map(linkState);
}

function linkState(link: FakeLink): LinkState {
  return {
    name: link.name,
    index: link.index,
    ...(link.kind !== undefined && { kind: link.kind }),
    mtu: link.mtu,
    mac: link.mac,
    up: link.up,
    ...(link.master !== undefined && { master: link.master }),
    group: link.group,
  };
}

export function addressStates(ns: FakeNamespace): AddrState[] {
  return ns.addresses.map((a) => ({ dev: a.dev, cidr: a.cidr, family: a.family }));
}

export function routeStates(ns: FakeNamespace): RouteState[] {
  return ns.routes.map(routeState);
}

function routeState(route: FakeRoute): RouteState {
  return {
    dst: route.dst.endsWith('/0') ? 'default' : route.dst,
    family: route.family,
    ...(route.via !== undefined && { via: route.via }),
    dev: route.dev,
    table: route.table,
    scope: route.scope,
    protocol: route.protocol,
  };
}

export function neighbourStates(ns: FakeNamespace): NeighState[] {
  return ns.neighbours.map((n) => ({ dev: n.dev, ip: n.ip, ...(n.mac !== undefined && { mac: n.mac }), proxy: n.proxy }));
}

export function fdbStates(ns: FakeNamespace): FdbState[] {
  return ns.fdb.map((e) => ({
    dev: e.dev,
    mac: e.mac,
    ...(e.dst !== undefined && { dst: e.dst }),
    ...(e.master !== undefined && { master: e.master }),
    self: e.self,
  }));
}

export interface NamespaceSnapshot {
  links: (LinkState & { peer?: LinkRef; sysctls: Record<string, string> })[];
  addresses: AddrState[];
  routes: RouteState[];
  neighbours: NeighState[];
  fdb: FdbState[];
  sysctls: Record<string, string>;
  nftTables: NftTable[];
}

/**
 * Everything observable, keyed by namespace ('(daemon)' for the daemon's
 * own). The applied-scripts history is left out: it only grows, even when a
 * rollback restores every table.
 */
export function snapshotWorld(world: FakeWorld): Record<string, NamespaceSnapshot> {
  const result: Record<string, NamespaceSnapshot> = {};
  for (const ns of world.all()) {
    result[nsLabel(ns.name)] = {
      links: linkStates(ns).map((state) => {
        const link = ns.links.get(state.name)!;
        return { ...state, ...(link.peer && { peer: { ...link.peer } }), sysctls: Object.fromEntries(link.sysctls) };
      }),
      addresses: sorted(addressStates(ns)),
      routes: sorted(routeStates(ns)),
      neighbours: sorted(neighbourStates(ns)),
      fdb: sorted(fdbStates(ns)),
      sysctls: Object.fromEntries(ns.sysctls),
      nftTables: ns.nft.tables.map((t) => ({ ...t })),
    };
  }
  return result;
}

/** Table entries in a stable order: a rollback may re-add an entry at the end of its list. */
function sorted<T>(entries: T[]): T[] {
  const keyed = entries.map((entry) => ({ entry, key: JSON.stringify(entry) }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.entry);
}
