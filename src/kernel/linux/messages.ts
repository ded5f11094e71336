/**
 * rtnetlink message bodies, encoded and decoded here rather than by the
 * `netlink` package's generic struct layer: that layer costs about as much
 * CPU per request as the round trip to the kernel itself, and we need only
 * a handful of fields. Layouts are from include/uapi/linux/{rtnetlink,
 * if_link,if_addr,neighbour}.h; the host is little-endian like the kernel ABI.
 */
import { IFLA, parseAttrs } from './attrs.js';

export { IFLA };

export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
  NEWNEIGH: 28, DELNEIGH: 29, GETNEIGH: 30,
} as const;

export const NLM_F = { DUMP: 0x300, EXCL: 0x200, CREATE: 0x400, APPEND: 0x800 } as const;

export const IFF_UP = 0x1;
/** RTEXT_FILTER_SKIP_STATS: dumps without the (large) statistics blocks. */
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;
export const IFA = { ADDRESS: 1, LOCAL: 2, FLAGS: 8 } as const;
export const IFA_F_NODAD = 0x02;
export const RTA = { DST: 1, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, TABLE: 15 } as const;
export const RTPROT_STATIC = 4;
export const RTN_UNICAST = 1;
export const RT_SCOPE = { universe: 0, link: 253, host: 254, nowhere: 255 } as const;
export const NDA = { DST: 1, LLADDR: 2, MASTER: 9 } as const;
export const NUD = { NOARP: 0x40, PERMANENT: 0x80 } as const;
export const NTF = { SELF: 0x02, MASTER: 0x04, PROXY: 0x08 } as const;

// ---- headers (the fixed struct at the start of each message) ----

export interface IfInfoHeader {
  family?: number;
  index?: number;
  flags?: number;
  change?: number;
}

/** struct ifinfomsg (16 bytes). */
export function ifinfomsg(h: IfInfoHeader = {}): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(h.family ?? 0, 0);
  b.writeInt32LE(h.index ?? 0, 4);
  b.writeUInt32LE(h.flags ?? 0, 8);
  b.writeUInt32LE(h.change ?? 0, 12);
  return b;
}

export interface IfAddrHeader {
  family: number;
  prefixlen?: number;
  flags?: number;
  scope?: number;
  index?: number;
}

/** struct ifaddrmsg (8 bytes). */
export function ifaddrmsg(h: IfAddrHeader): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(h.family, 0);
  b.writeUInt8(h.prefixlen ?? 0, 1);
  b.writeUInt8(h.flags ?? 0, 2);
  b.writeUInt8(h.scope ?? 0, 3);
  b.writeUInt32LE(h.index ?? 0, 4);
  return b;
}

export interface RtHeader {
  family: number;
  dstLen?: number;
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
}

/** struct rtmsg (12 bytes). */
export function rtmsg(h: RtHeader): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(h.family, 0);
  b.writeUInt8(h.dstLen ?? 0, 1);
  b.writeUInt8(h.table ?? 0, 4);
  b.writeUInt8(h.protocol ?? 0, 5);
  b.writeUInt8(h.scope ?? 0, 6);
  b.writeUInt8(h.type ?? 0, 7);
  return b;
}

export interface NdHeader {
  family: number;
  ifindex?: number;
  state?: number;
  flags?: number;
}

/** struct ndmsg (12 bytes). */
export function ndmsg(h: NdHeader): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(h.family, 0);
  b.writeInt32LE(h.ifindex ?? 0, 4);
  b.writeUInt16LE(h.state ?? 0, 8);
  b.writeUInt8(h.flags ?? 0, 10);
  return b;
}

// ---- decoded replies: only the fields weft reads ----

export interface LinkMsg {
  index: number;
  flags: number;
  ifname?: string;
  mtu?: number;
  address?: Buffer;
  master?: number;
  group?: number;
  /** Payload of IFLA_LINKINFO (see attrs.parseLinkInfo). */
  linkinfo?: Buffer;
  /** IFLA_LINK: the lower device (macvlan/vlan parent) or the veth peer's ifindex. */
  link?: number;
  /** Present when IFLA_LINK refers to another namespace. */
  linkNetnsid?: number;
}

export interface AddrMsg {
  family: number;
  prefixlen: number;
  index: number;
  local?: Buffer;
  address?: Buffer;
}

export interface RouteMsg {
  family: number;
  dstLen: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  dst?: Buffer;
  gateway?: Buffer;
  oif?: number;
  priority?: number;
}

export interface NeighMsg {
  family: number;
  ifindex: number;
  state: number;
  flags: number;
  dst?: Buffer;
  lladdr?: Buffer;
  master?: number;
}

const u32At = (b: Buffer | undefined): number | undefined => (b && b.length >= 4 ? b.readUInt32LE(0) : undefined);
const str = (b: Buffer | undefined): string | undefined => b?.toString('utf8').replace(/\0+$/, '');

export function decodeLink(data: Buffer): LinkMsg {
  const a = parseAttrs(data.subarray(16));
  return {
    index: data.readInt32LE(4),
    flags: data.readUInt32LE(8),
    ifname: str(a.get(IFLA.IFNAME)),
    mtu: u32At(a.get(IFLA.MTU)),
    address: a.get(IFLA.ADDRESS),
    master: u32At(a.get(IFLA.MASTER)),
    group: u32At(a.get(IFLA.GROUP)),
    linkinfo: a.get(IFLA.LINKINFO),
    link: u32At(a.get(IFLA.LINK)),
    linkNetnsid: a.has(IFLA.LINK_NETNSID) ? a.get(IFLA.LINK_NETNSID)!.readInt32LE(0) : undefined,
  };
}

export function decodeAddress(data: Buffer): AddrMsg {
  const a = parseAttrs(data.subarray(8));
  return { family: data.readUInt8(0), prefixlen: data.readUInt8(1), index: data.readUInt32LE(4), local: a.get(IFA.LOCAL), address: a.get(IFA.ADDRESS) };
}

export function decodeRoute(data: Buffer): RouteMsg {
  const a = parseAttrs(data.subarray(12));
  return {
    family: data.readUInt8(0),
    dstLen: data.readUInt8(1),
    // RTA_TABLE carries tables above 255; rtm_table then says 252 (compat).
    table: u32At(a.get(RTA.TABLE)) ?? data.readUInt8(4),
    protocol: data.readUInt8(5),
    scope: data.readUInt8(6),
    type: data.readUInt8(7),
    dst: a.get(RTA.DST),
    gateway: a.get(RTA.GATEWAY),
    oif: u32At(a.get(RTA.OIF)),
    priority: u32At(a.get(RTA.PRIORITY)),
  };
}

export function decodeNeigh(data: Buffer): NeighMsg {
  const a = parseAttrs(data.subarray(12));
  return {
    family: data.readUInt8(0),
    ifindex: data.readInt32LE(4),
    state: data.readUInt16LE(8),
    flags: data.readUInt8(10),
    dst: a.get(NDA.DST),
    lladdr: a.get(NDA.LLADDR),
    master: u32At(a.get(NDA.MASTER)),
  };
}
