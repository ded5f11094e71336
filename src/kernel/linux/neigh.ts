/**
 * Neighbours (ARP/NDP entries, incl. proxy entries) and bridge FDB entries
 * (AF_BRIDGE neighbours, incl. VXLAN remotes with `dst`) over rtnetlink.
 */
import type { FdbState, NeighState } from '../kernel.js';
import { attr } from './attrs.js';
import { hasErrno, invalidOp } from './errno.js';
import { AF_BRIDGE, AF_INET, AF_INET6, afOf, canonicalIp, canonicalMac, familyOf, ipBytes, ipText, macBytes, macText } from './inet.js';
import { NDA, type NdHeader, ndmsg, type NeighMsg, NTF, NUD } from './messages.js';
import { CREATE_APPEND, CREATE_EXCL, type Rtnl } from './rtnl.js';

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
  if (!spec.proxy && !spec.mac) throw invalidOp(`neighbour ${spec.ip} on ${spec.dev}: a MAC address is required`);
  const ifindex = await rtnl.indexOf(spec.dev);
  // A proxy add never reports EEXIST (the kernel just updates it), so look first.
  if (spec.proxy && (await hasNeighbour(rtnl, spec))) return false;
  const header = ndmsg({ family: afOf(familyOf(spec.ip)), ifindex, state: NUD.PERMANENT, flags: spec.proxy ? NTF.PROXY : 0 });
  const attrs = [attr(NDA.DST, ipBytes(spec.ip))];
  if (spec.mac && !spec.proxy) attrs.push(attr(NDA.LLADDR, macBytes(spec.mac)));
  try {
    await rtnl.newNeighbour(header, attrs, CREATE_EXCL);
    return true;
  } catch (err) {
    if (hasErrno(err, 'EEXIST') && (await hasNeighbour(rtnl, spec))) return false;
    throw err;
  }
}

/** Delete a neighbour or proxy entry; false when it (or its device) was already gone. */
export async function deleteNeighbour(rtnl: Rtnl, spec: NeighSpec): Promise<boolean> {
  const link = await rtnl.linkByName(spec.dev);
  if (!link) return false;
  const header = ndmsg({ family: afOf(familyOf(spec.ip)), ifindex: link.index, flags: spec.proxy ? NTF.PROXY : 0 });
  try {
    await rtnl.deleteNeighbour(header, [attr(NDA.DST, ipBytes(spec.ip))]);
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
    rtnl.neighbours(AF_INET, NTF.PROXY),
    rtnl.neighbours(AF_INET6, NTF.PROXY),
  ]);
  const names = new Map(links.map((l) => [l.index, l.ifname ?? '']));
  return dumps.flat().flatMap((m) => toNeighState(m, names));
}

function toNeighState(m: NeighMsg, names: Map<number, string>): NeighState[] {
  if ((m.family !== AF_INET && m.family !== AF_INET6) || !m.dst) return [];
  return [
    {
      dev: names.get(m.ifindex) ?? '',
      ip: ipText(m.dst),
      mac: m.lladdr?.length === 6 ? macText(m.lladdr) : undefined,
      proxy: (m.flags & NTF.PROXY) !== 0,
    },
  ];
}

/**
 * FDB state and flags: on a VXLAN device (`self`) an entry must be
 * PERMANENT; on a bridge port (`master`) PERMANENT would mean "local to the
 * bridge", so a forwarding entry is NOARP ("static").
 */
function fdbRequest(spec: FdbSpec, ifindex: number): { header: NdHeader; attrs: Buffer[] } {
  const self = isSelf(spec);
  const attrs = [attr(NDA.LLADDR, macBytes(spec.mac))];
  if (spec.dst) attrs.push(attr(NDA.DST, ipBytes(spec.dst)));
  return {
    header: { family: AF_BRIDGE, ifindex, state: self ? NUD.PERMANENT : NUD.NOARP, flags: self ? NTF.SELF : NTF.MASTER },
    attrs,
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
  const { header, attrs } = fdbRequest(spec, ifindex);
  try {
    await rtnl.newNeighbour(ndmsg(header), attrs, append ? CREATE_APPEND : CREATE_EXCL);
    return true;
  } catch (err) {
    if (hasErrno(err, 'EEXIST') && (await hasFdb(rtnl, spec))) return false;
    throw err;
  }
}

/** Delete an FDB entry (just this remote, when `dst` is given); false when already gone. */
export async function deleteFdb(rtnl: Rtnl, spec: FdbSpec): Promise<boolean> {
  const link = await rtnl.linkByName(spec.dev);
  if (!link) return false;
  const { header, attrs } = fdbRequest(spec, link.index);
  try {
    await rtnl.deleteNeighbour(ndmsg({ ...header, state: 0 }), attrs);
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
  const names = new Map(links.map((l) => [l.index, l.ifname ?? '']));
  return entries.flatMap((m) => {
    if (m.family !== AF_BRIDGE || !m.lladdr) return [];
    const fdb: FdbState = { dev: names.get(m.ifindex) ?? '', mac: macText(m.lladdr), self: (m.flags & NTF.SELF) !== 0 };
    if (m.dst) fdb.dst = ipText(m.dst);
    if (m.master) fdb.master = names.get(m.master);
    return [fdb];
  });
}
