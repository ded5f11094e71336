/**
 * Links over rtnetlink: create (every setting in one request, veth peers
 * directly in their namespace), delete, change, and read back.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { LinkState } from '../kernel.js';
import type { LinkChanges, LinkKind, LinkSpec } from '../ops.js';
import { attr, bridgePortHairpin, linkInfo, macvlanModeName, parseLinkInfo, strAttr, u32Attr } from './attrs.js';
import { hasErrno, invalidOp, KernelErrno } from './errno.js';
import { canonicalMac, macBytes, macText } from './inet.js';
import { IFF_UP, IFLA, type IfInfoHeader, type LinkMsg } from './messages.js';
import { CREATE_EXCL, type Rtnl } from './rtnl.js';

/** The module a link kind needs, for "this kernel lacks it" messages. */
const KIND_MODULES: Record<string, string> = { dummy: 'dummy', vlan: '8021q', ipvlan: 'ipvlan', wireguard: 'wireguard' };

export function unsupportedLinkKind(kind: string, cause?: unknown): WeftError {
  const module = KIND_MODULES[kind] ?? kind;
  return new WeftError(
    ErrorCodes.KERNEL_UNSUPPORTED,
    'NotImplemented',
    `this kernel has no '${kind}' link support (module ${module} not available)`,
    { cause, details: { kind, module, errno: 'EOPNOTSUPP' } },
  );
}

const isUp = (link: LinkMsg): boolean => (link.flags & IFF_UP) !== 0;

/** ifinfomsg flags and change mask that set up or down; nothing when `up` is not asked for. */
function upHeader(up: boolean | undefined): IfInfoHeader {
  return up === undefined ? {} : { flags: up ? IFF_UP : 0, change: IFF_UP };
}

export function toLinkStates(msgs: LinkMsg[]): LinkState[] {
  const names = new Map(msgs.map((m) => [m.index, m.ifname ?? '']));
  return msgs.map((m) => ({
    name: m.ifname ?? '',
    index: m.index,
    kind: parseLinkInfo(m.linkinfo).kind,
    mtu: m.mtu ?? 0,
    mac: m.address?.length === 6 ? macText(m.address) : undefined,
    up: isUp(m),
    master: m.master ? names.get(m.master) : undefined,
    group: m.group ?? 0,
  }));
}

/** Where the parts of a new link are, beyond the namespace of the socket it is made through. */
export interface AddLinkContext {
  /** fd of the namespace the veth peer goes to; absent: the link's own. */
  peerNsFd?: number;
  /**
   * The link's lower device (a macvlan parent) is in another namespace: the
   * request goes through that namespace's socket, which resolves the parent,
   * and IFLA_NET_NS_FD creates the device directly in the link's namespace.
   */
  across?: { lower: Rtnl; linkNsFd: number };
}

/**
 * Create a link. Returns false when an identical one (same kind, kind
 * options and asked-for settings) is already there; a different link of that
 * name is EEXIST, a kind the kernel lacks is WEFT_KERNEL_UNSUPPORTED.
 */
export async function addLink(rtnl: Rtnl, spec: LinkSpec, ctx: AddLinkContext = {}): Promise<boolean> {
  const lower = lowerName(spec);
  const sender = ctx.across?.lower ?? rtnl;
  if (ctx.across && spec.master !== undefined) throw invalidOp(`link ${spec.name}: no master for a link made from another namespace`);
  // Both lookups at once: one round trip instead of two.
  const [lowerIndex, master] = await Promise.all([
    lower === undefined ? undefined : sender.indexOf(lower),
    spec.master === undefined ? undefined : rtnl.indexOf(spec.master),
  ]);
  const attrs = [strAttr(IFLA.IFNAME, spec.name), linkInfo(spec, { lowerIndex, peerNsFd: ctx.peerNsFd })];
  if (spec.mtu !== undefined) attrs.push(u32Attr(IFLA.MTU, spec.mtu));
  if (spec.mac) attrs.push(attr(IFLA.ADDRESS, macBytes(spec.mac)));
  if (spec.group !== undefined) attrs.push(u32Attr(IFLA.GROUP, spec.group));
  if (master !== undefined) attrs.push(u32Attr(IFLA.MASTER, master));
  // macvlan and vlan name their parent with IFLA_LINK; vxlan has its own attribute.
  if (lowerIndex !== undefined && spec.kind !== 'vxlan') attrs.push(u32Attr(IFLA.LINK, lowerIndex));
  if (ctx.across) attrs.push(u32Attr(IFLA.NET_NS_FD, ctx.across.linkNsFd));
  if (spec.hairpin && master === undefined) throw invalidOp(`link ${spec.name}: hairpin needs a master bridge`);
  try {
    await sender.newLink(upHeader(spec.up), attrs, CREATE_EXCL);
  } catch (err) {
    if (hasErrno(err, 'EOPNOTSUPP')) throw unsupportedLinkKind(spec.kind, err);
    if (hasErrno(err, 'EEXIST') && (await matchesExisting(rtnl, spec, master))) {
      // Not ours to undo, but the asked-for port mode is idempotent to (re)apply.
      if (spec.hairpin) await rtnl.setLink({}, [strAttr(IFLA.IFNAME, spec.name), bridgePortHairpin(true)]);
      return false;
    }
    throw err;
  }
  // Bridge-port settings apply once the link is a port, so they take a second message;
  // if it fails, the link this call made goes too (apply only undoes completed ops).
  if (spec.hairpin) {
    await rtnl.setLink({}, [strAttr(IFLA.IFNAME, spec.name), bridgePortHairpin(true)]).catch(async (err: unknown) => {
      await rtnl.deleteLink(spec.name).catch(() => undefined);
      throw err;
    });
  }
  return true;
}

function lowerName(spec: LinkSpec): string | undefined {
  if (spec.kind === 'vxlan') return spec.vxlan?.dev;
  if (spec.kind === 'macvlan') return spec.macvlan?.parent;
  if (spec.kind === 'vlan') return spec.vlan?.parent;
  return undefined;
}

async function matchesExisting(rtnl: Rtnl, spec: LinkSpec, masterIndex: number | undefined): Promise<boolean> {
  const link = await rtnl.linkByName(spec.name);
  if (!link) return false;
  const info = parseLinkInfo(link.linkinfo);
  const checks: boolean[] = [
    info.kind === spec.kind,
    spec.mtu === undefined || link.mtu === spec.mtu,
    spec.mac === undefined || (link.address !== undefined && macText(link.address) === canonicalMac(spec.mac)),
    masterIndex === undefined || link.master === masterIndex,
    spec.up === undefined || isUp(link) === spec.up,
    spec.group === undefined || link.group === spec.group,
    spec.vxlan === undefined || info.vni === spec.vxlan.vni,
    spec.macvlan === undefined || macvlanModeName(info.macvlanMode) === spec.macvlan.mode,
    spec.vlan === undefined || info.vlanId === spec.vlan.id,
  ];
  return checks.every(Boolean);
}

/** Delete a link; false when it was already gone. */
export async function deleteLink(rtnl: Rtnl, name: string): Promise<boolean> {
  try {
    await rtnl.deleteLink(name);
    return true;
  } catch (err) {
    if (hasErrno(err, 'ENODEV')) return false;
    throw err;
  }
}

/**
 * The spec that would recreate an existing link (for the inverse of a
 * link.del that came without one), or undefined when there is no such link.
 * A veth whose peer lives in another namespace cannot be described from
 * here: it comes back with `veth` unset.
 */
export async function specOfLink(rtnl: Rtnl, name: string): Promise<LinkSpec | undefined> {
  const link = await rtnl.linkByName(name);
  if (!link) return undefined;
  const info = parseLinkInfo(link.linkinfo);
  const nameOf = async (index: number | undefined) => (index ? (await rtnl.linkByIndex(index))?.ifname : undefined);
  const spec: LinkSpec = {
    name,
    kind: (info.kind ?? 'unknown') as LinkKind,
    mtu: link.mtu,
    mac: link.address ? macText(link.address) : undefined,
    up: isUp(link),
    group: link.group,
    master: await nameOf(link.master),
  };
  switch (info.kind) {
    case 'vxlan':
      return { ...spec, vxlan: { vni: info.vni ?? 0, port: info.vxlanPort, local: info.vxlanLocal, learning: info.vxlanLearning, dev: await nameOf(info.vxlanLink) } };
    case 'macvlan':
      // IFLA_LINK_NETNSID present: the parent is in another namespace, which we cannot name from here.
      if (link.linkNetnsid !== undefined) return spec;
      return { ...spec, macvlan: { mode: macvlanModeName(info.macvlanMode) ?? 'bridge', parent: (await nameOf(link.link)) ?? '' } };
    case 'vlan':
      return { ...spec, vlan: { id: info.vlanId ?? 0, parent: (await nameOf(link.link)) ?? '' } };
    case 'veth':
      // IFLA_LINK_NETNSID present: the peer is elsewhere and we cannot name its namespace.
      if (link.linkNetnsid !== undefined || !link.link) return spec;
      return { ...spec, veth: { name: (await nameOf(link.link)) ?? '' } };
    default:
      return spec;
  }
}

export interface SetOutcome {
  changed: boolean;
  prev: LinkChanges;
}

/** Change mtu/mac/master/up; `prev` holds the values before, for the inverse. */
export async function setLink(rtnl: Rtnl, name: string, set: LinkChanges): Promise<SetOutcome> {
  if (set.mac === undefined && set.master === undefined) return setByName(rtnl, name, set);
  // The current state and the new master's index in one round trip.
  const [link, wantedMaster] = await Promise.all([rtnl.linkByName(name), resolveMaster(rtnl, set)]);
  if (!link) throw noSuchLink(rtnl, name);
  const prev = await currentValues(rtnl, link, set);
  const attrs: Buffer[] = [];
  if (set.mtu !== undefined && set.mtu !== prev.mtu) attrs.push(u32Attr(IFLA.MTU, set.mtu));
  if (set.mac !== undefined && canonicalMac(set.mac) !== prev.mac) attrs.push(attr(IFLA.ADDRESS, macBytes(set.mac)));
  if (wantedMaster !== undefined && wantedMaster !== (link.master ?? 0)) attrs.push(u32Attr(IFLA.MASTER, wantedMaster));
  const flipUp = set.up !== undefined && set.up !== prev.up;
  if (attrs.length === 0 && !flipUp) return { changed: false, prev };
  await rtnl.setLink({ index: link.index, ...upHeader(flipUp ? set.up : undefined) }, attrs);
  return { changed: true, prev };
}

/**
 * mtu and up alone: read and change in one round trip. The kernel runs the
 * two requests in order, so the read shows the state before the change; and
 * setting an mtu or up/down to what it already is changes nothing, so the
 * change can be sent before knowing whether it is needed.
 */
async function setByName(rtnl: Rtnl, name: string, set: LinkChanges): Promise<SetOutcome> {
  const attrs = [strAttr(IFLA.IFNAME, name)];
  if (set.mtu !== undefined) attrs.push(u32Attr(IFLA.MTU, set.mtu));
  const [link] = await Promise.all([rtnl.linkByName(name), rtnl.setLink(upHeader(set.up), attrs)]);
  if (!link) throw noSuchLink(rtnl, name);
  const prev = await currentValues(rtnl, link, set);
  return { changed: (set.mtu !== undefined && set.mtu !== prev.mtu) || (set.up !== undefined && set.up !== prev.up), prev };
}

function noSuchLink(rtnl: Rtnl, name: string): KernelErrno {
  return new KernelErrno('ENODEV', `no link ${name}${rtnl.netns ? ` in netns ${rtnl.netns}` : ''}`);
}

/** ifindex of the wanted master: 0 releases the link, undefined leaves it as it is. */
async function resolveMaster(rtnl: Rtnl, set: LinkChanges): Promise<number | undefined> {
  if (set.master === undefined) return undefined;
  if (set.master === null) return 0;
  return rtnl.indexOf(set.master);
}

async function currentValues(rtnl: Rtnl, link: LinkMsg, set: LinkChanges): Promise<LinkChanges> {
  const prev: LinkChanges = {};
  if (set.mtu !== undefined) prev.mtu = link.mtu;
  if (set.mac !== undefined && link.address) prev.mac = macText(link.address);
  if (set.master !== undefined) prev.master = link.master ? ((await rtnl.linkByIndex(link.master))?.ifname ?? null) : null;
  if (set.up !== undefined) prev.up = isUp(link);
  return prev;
}
