/**
 * Netlink attributes: encoders, a parser, and the nested IFLA_LINKINFO of
 * each link kind (bridge, veth with its peer, vxlan, macvlan, vlan, dummy).
 * Attribute numbers are from include/uapi/linux/if_link.h.
 */
import { isIPv4 } from 'node:net';
import type { LinkSpec, MacvlanMode } from '../ops.js';
import { invalidOp } from './errno.js';
import { ipBytes, ipText, macBytes } from './inet.js';

/** IFLA_* (top level of a link message). */
export const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, LINK: 5, MASTER: 10, LINKINFO: 18, GROUP: 27, NET_NS_FD: 28, EXT_MASK: 29, LINK_NETNSID: 37 } as const;
/** IFLA_INFO_* (inside IFLA_LINKINFO). */
const INFO = { KIND: 1, DATA: 2, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;
/** IFLA_BRPORT_MODE: hairpin (include/uapi/linux/if_link.h). */
const BRPORT_MODE = 4;
const VETH_INFO_PEER = 1;
const VXLAN = { ID: 1, LINK: 3, LOCAL: 4, LEARNING: 7, PORT: 15, LOCAL6: 17 } as const;
const MACVLAN_MODE = 1;
const VLAN_ID = 1;
const IFINFOMSG_LEN = 16;

const MACVLAN_MODES: Record<MacvlanMode, number> = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 };

/** One attribute: 4-byte header (length, type), payload, padding to 4 bytes. */
export function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

export const nested = (type: number, ...children: Buffer[]): Buffer => attr(type, Buffer.concat(children));
export const strAttr = (type: number, value: string): Buffer => attr(type, Buffer.from(`${value}\0`));
export const u8Attr = (type: number, value: number): Buffer => attr(type, Buffer.from([value]));

export function u16Attr(type: number, value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return attr(type, b);
}

export function be16Attr(type: number, value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return attr(type, b);
}

export function u32Attr(type: number, value: number): Buffer {
  return attr(type, u32(value));
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

/** Index-resolved facts that building a link needs (names alone mean nothing to the kernel). */
export interface LinkInfoContext {
  /** ifindex of vxlan.dev, macvlan.parent or vlan.parent, in the link's namespace. */
  lowerIndex?: number;
  /** fd of the namespace the veth peer goes to; absent: the link's own. */
  peerNsFd?: number;
}

/** IFLA_LINKINFO that sets bridge-port hairpin mode on an enslaved link. */
export function bridgePortHairpin(on: boolean): Buffer {
  return attr(
    IFLA.LINKINFO,
    Buffer.concat([attr(INFO.SLAVE_KIND, Buffer.from('bridge\0')), attr(INFO.SLAVE_DATA, attr(BRPORT_MODE, Buffer.from([on ? 1 : 0])))]),
  );
}

/** The IFLA_LINKINFO attribute for a link spec: the kind, then its IFLA_INFO_DATA. */
export function linkInfo(spec: LinkSpec, ctx: LinkInfoContext): Buffer {
  const kind = strAttr(INFO.KIND, spec.kind);
  const data = infoData(spec, ctx);
  return data ? nested(IFLA.LINKINFO, kind, nested(INFO.DATA, ...data)) : nested(IFLA.LINKINFO, kind);
}

/** IFLA_LINKINFO with just a kind (for kinds LinkSpec does not model, e.g. in the feature probe). */
export const bareLinkInfo = (kind: string): Buffer => nested(IFLA.LINKINFO, strAttr(INFO.KIND, kind));

function infoData(spec: LinkSpec, ctx: LinkInfoContext): Buffer[] | undefined {
  switch (spec.kind) {
    case 'veth':
      return [vethPeer(spec, ctx)];
    case 'vxlan':
      return vxlanData(spec, ctx);
    case 'macvlan':
      if (!spec.macvlan) throw invalidOp(`macvlan ${spec.name}: missing macvlan options`);
      return [u32Attr(MACVLAN_MODE, MACVLAN_MODES[spec.macvlan.mode])];
    case 'vlan':
      if (!spec.vlan) throw invalidOp(`vlan ${spec.name}: missing vlan options`);
      return [u16Attr(VLAN_ID, spec.vlan.id)];
    case 'bridge':
    case 'dummy':
      return undefined;
  }
}

/**
 * VETH_INFO_PEER carries a whole ifinfomsg plus IFLA attributes for the
 * peer. IFLA_NET_NS_FD there makes the kernel create the peer directly in its
 * target namespace under its final name: no later move (~15 ms each).
 */
function vethPeer(spec: LinkSpec, ctx: LinkInfoContext): Buffer {
  if (!spec.veth) throw invalidOp(`veth ${spec.name}: missing peer`);
  const peer = spec.veth;
  const attrs = [strAttr(IFLA.IFNAME, peer.name)];
  const mtu = peer.mtu ?? spec.mtu;
  if (mtu !== undefined) attrs.push(u32Attr(IFLA.MTU, mtu));
  if (peer.mac) attrs.push(attr(IFLA.ADDRESS, macBytes(peer.mac)));
  if (spec.group !== undefined) attrs.push(u32Attr(IFLA.GROUP, spec.group));
  if (ctx.peerNsFd !== undefined) attrs.push(u32Attr(IFLA.NET_NS_FD, ctx.peerNsFd));
  return nested(VETH_INFO_PEER, Buffer.alloc(IFINFOMSG_LEN), ...attrs);
}

function vxlanData(spec: LinkSpec, ctx: LinkInfoContext): Buffer[] {
  const vx = spec.vxlan;
  if (!vx) throw invalidOp(`vxlan ${spec.name}: missing vxlan options`);
  const out = [u32Attr(VXLAN.ID, vx.vni), be16Attr(VXLAN.PORT, vx.port ?? 4789), u8Attr(VXLAN.LEARNING, vx.learning ? 1 : 0)];
  if (vx.local) out.push(attr(isIPv4(vx.local) ? VXLAN.LOCAL : VXLAN.LOCAL6, ipBytes(vx.local)));
  if (ctx.lowerIndex !== undefined) out.push(u32Attr(VXLAN.LINK, ctx.lowerIndex));
  return out;
}

/** Top-level attributes of a nested buffer, by type (the nested flag masked off). */
export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.set(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

/** What a dumped link's IFLA_LINKINFO says about it. */
export interface ParsedLinkInfo {
  kind?: string;
  vni?: number;
  vxlanPort?: number;
  vxlanLocal?: string;
  vxlanLearning?: boolean;
  /** ifindex of the vxlan underlay device. */
  vxlanLink?: number;
  macvlanMode?: number;
  vlanId?: number;
}

/** Parse the IFLA_LINKINFO payload (as the netlink package hands it over). */
export function parseLinkInfo(payload: Buffer | undefined): ParsedLinkInfo {
  if (!payload) return {};
  const info = parseAttrs(payload);
  const kind = info.get(INFO.KIND)?.toString('utf8').replace(/\0+$/, '');
  const data = info.get(INFO.DATA);
  const parsed: ParsedLinkInfo = { kind };
  if (!data) return parsed;
  const attrs = parseAttrs(data);
  if (kind === 'vxlan') Object.assign(parsed, parseVxlan(attrs));
  if (kind === 'macvlan') parsed.macvlanMode = attrs.get(MACVLAN_MODE)?.readUInt32LE(0);
  if (kind === 'vlan') parsed.vlanId = attrs.get(VLAN_ID)?.readUInt16LE(0);
  return parsed;
}

function parseVxlan(attrs: Map<number, Buffer>): ParsedLinkInfo {
  const local = attrs.get(VXLAN.LOCAL) ?? attrs.get(VXLAN.LOCAL6);
  const link = attrs.get(VXLAN.LINK)?.readUInt32LE(0);
  return {
    vni: attrs.get(VXLAN.ID)?.readUInt32LE(0),
    vxlanPort: attrs.get(VXLAN.PORT)?.readUInt16BE(0),
    vxlanLearning: attrs.get(VXLAN.LEARNING)?.readUInt8(0) === 1,
    vxlanLocal: local ? ipText(local) : undefined,
    vxlanLink: link ? link : undefined,
  };
}

/** The ops.ts name of a macvlan mode number. */
export function macvlanModeName(mode: number | undefined): MacvlanMode | undefined {
  return (Object.keys(MACVLAN_MODES) as MacvlanMode[]).find((name) => MACVLAN_MODES[name] === mode);
}
