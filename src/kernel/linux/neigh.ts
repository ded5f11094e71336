/**
 * Neighbours (ARP/NDP entries, incl. proxy entries) and bridge FDB entries
 * (AF_BRIDGE neighbours, incl. VXLAN remotes with `dst`) over rtnetlink.
 */
import type { rt } from 'netlink';
import type { FdbState, NeighState } from '../kernel.js';
import { hasErrno } from './errno.js';
import { AF_BRIDGE, AF_INET, AF_INET6, afOf, canonicalIp, canonicalMac, familyOf, ipBytes, ipText, macBytes, macText } from './inet.js';
import { CREATE_APPEND, CREATE_EXCL, type NeighborMessage, type Rtnl } from './rtnl.js';

export interface NeighSpec {
  dev: string;
  ip: string;
  mac?: string;
  proxy?: boolean;
}

export interface FdbSpec {
  dev: string;
  mac: string;
  dst?: string;
  self?: boolean;
}

const ZERO_MAC = '00:00:00:00:00:00';

/** Add a permanent neighbour (or a proxy entry); false when an identical one is there. */
export async function addNeighbour(rtnl: Rtnl, spec: NeighSpec): Promise<boolean> {
  if (!spec.proxy && !spec.mac) throw new TypeError(`neighbour ${spec.ip} on ${spec.dev}: a MAC address is required`);
  const ifindex = await rtnl.indexOf(spec.dev);
  // A proxy add never reports EEXIST (the kernel just updates it), so look first.
  if (spec.proxy && (await hasNeighbour(rtnl, spec))) return false;
  const data: rt.Neighbor = {
    family: afOf(familyOf(spec.ip)),
    ifindex,
    state: { permanent: true },
    ...(spec.proxy ? { flags: { proxy: true } } : {}),
  };
  const attrs: rt.NeighborAttrs = { dst: ipBytes(spec.ip), ...(spec.mac && !spec.proxy ? { lladdr: macBytes(spec.mac) } : {}) };
  try {
    await rtnl.newNeighbour(data, attrs, CREATE_EXCL);
    return true;
  } catch (err) {
    if (hasErrno(err, 'EEXIST') && (await hasNeighbour(rtnl, spec))) return false;
    throw err;
  }
}

/** Delete a neighbour or proxy entry; false when it (or its device) was already gone. */
export async function deleteNeighbour(rtnl: Rtnl, spec: NeighSpec): Promise<boolean> {
  const link = await rtnl.linkByName(spec.dev);
  if (!link?.data.index) return false;
  const data: rt.Neighbor = { family: afOf(familyOf(spec.ip)), ifindex: link.data.index, ...(spec.proxy ? { flags: { proxy: true } } : {}) };
  try {
    await rtnl.deleteNeighbour(data, { dst: ipBytes(spec.ip) });
    return true;
  } catch (err) {
    if (hasErrno(err, 'ENOENT', 'ENODEV')) return false;
    throw err;
  }
}

async function hasNeighbour(rtnl: Rtnl, spec: NeighSpec): Promise<boolean> {
  const ip = canonicalIp(spec.ip);
  const mac = spec.mac && !spec.proxy ? canonicalMac(spec.mac) : undefined;
  const found = await listNeighbours(rtnl);
  return found.some((n) => n.dev === spec.dev && n.ip === ip && n.proxy === (spec.proxy ?? false) && (!mac || n.mac === mac));
}

export async function listNeighbours(rtnl: Rtnl): Promise<NeighState[]> {
  const [links, ...dumps] = await Promise.all([
    rtnl.links(),
    rtnl.neighbours(AF_INET),
    rtnl.neighbours(AF_INET6),
    rtnl.neighbours(AF_INET, true),
    rtnl.neighbours(AF_INET6, true),
  ]);
  const names = new Map(links.map((l) => [l.data.index ?? 0, l.attrs.ifname ?? '']));
  return dumps.flat().flatMap((m) => toNeighState(m, names));
}

function toNeighState(m: NeighborMessage, names: Map<number, string>): NeighState[] {
  if ((m.data.family !== AF_INET && m.data.family !== AF_INET6) || !m.attrs.dst) return [];
  return [
    {
      dev: names.get(m.data.ifindex ?? 0) ?? '',
      ip: ipText(m.attrs.dst),
      mac: m.attrs.lladdr?.length === 6 ? macText(m.attrs.lladdr) : undefined,
      proxy: m.data.flags?.proxy === true,
    },
  ];
}

/**
 * FDB state and flags: on a VXLAN device (`self`) an entry must be
 * PERMANENT; on a bridge port (`master`) PERMANENT would mean "local to the
 * bridge", so a forwarding entry is NOARP ("static").
 */
function fdbRequest(spec: FdbSpec, ifindex: number): { data: rt.Neighbor; attrs: rt.NeighborAttrs } {
  const self = isSelf(spec);
  return {
    data: {
      family: AF_BRIDGE,
      ifindex,
      state: self ? { permanent: true } : { noarp: true },
      flags: self ? { self: true } : { master: true },
    },
    attrs: { lladdr: macBytes(spec.mac), ...(spec.dst ? { dst: ipBytes(spec.dst) } : {}) },
  };
}

/** Unsaid: an entry with a remote `dst` belongs to the (vxlan) device itself, others to the bridge. */
const isSelf = (spec: FdbSpec): boolean => spec.self ?? spec.dst !== undefined;

/**
 * Add an FDB entry; false when an identical one is there. The all-zeros MAC
 * with a dst is VXLAN's flood list, which holds many remotes: append to it.
 */
export async function addFdb(rtnl: Rtnl, spec: FdbSpec): Promise<boolean> {
  const ifindex = await rtnl.indexOf(spec.dev);
  const append = canonicalMac(spec.mac) === ZERO_MAC && spec.dst !== undefined;
  if (append && (await hasFdb(rtnl, spec))) return false;
  const { data, attrs } = fdbRequest(spec, ifindex);
  try {
    await rtnl.newNeighbour(data, attrs, append ? CREATE_APPEND : CREATE_EXCL);
    return true;
  } catch (err) {
    if (hasErrno(err, 'EEXIST') && (await hasFdb(rtnl, spec))) return false;
    throw err;
  }
}

/** Delete an FDB entry (just this remote, when `dst` is given); false when already gone. */
export async function deleteFdb(rtnl: Rtnl, spec: FdbSpec): Promise<boolean> {
  const link = await rtnl.linkByName(spec.dev);
  if (!link?.data.index) return false;
  const { data, attrs } = fdbRequest(spec, link.data.index);
  try {
    await rtnl.deleteNeighbour({ ...data, state: {} }, attrs);
    return true;
  } catch (err) {
    if (hasErrno(err, 'ENOENT', 'ENODEV')) return false;
    throw err;
  }
}

async function hasFdb(rtnl: Rtnl, spec: FdbSpec): Promise<boolean> {
  const mac = canonicalMac(spec.mac);
  const dst = spec.dst ? canonicalIp(spec.dst) : undefined;
  const self = isSelf(spec);
  return (await listFdb(rtnl)).some((f) => f.dev === spec.dev && f.mac === mac && f.dst === dst && f.self === self);
}

export async function listFdb(rtnl: Rtnl): Promise<FdbState[]> {
  const [links, entries] = await Promise.all([rtnl.links(), rtnl.neighbours(AF_BRIDGE)]);
  const names = new Map(links.map((l) => [l.data.index ?? 0, l.attrs.ifname ?? '']));
  return entries.flatMap((m) => {
    if (m.data.family !== AF_BRIDGE || !m.attrs.lladdr) return [];
    const fdb: FdbState = {
      dev: names.get(m.data.ifindex ?? 0) ?? '',
      mac: macText(m.attrs.lladdr),
      self: m.data.flags?.self === true,
    };
    if (m.attrs.dst) fdb.dst = ipText(m.attrs.dst);
    if (m.attrs.master) fdb.master = names.get(m.attrs.master);
    return [fdb];
  });
}
