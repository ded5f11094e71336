/**
 * Links over rtnetlink: create (every setting in one request, veth peers
 * directly in their namespace), delete, change, and read back.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { LinkState } from '../kernel.js';
import type { LinkChanges, LinkKind, LinkSpec } from '../ops.js';
import { IFLA, linkInfoPayload, macvlanModeName, parseLinkInfo, u32, upFlags } from './attrs.js';
import { hasErrno, KernelErrno } from './errno.js';
import { canonicalMac, macBytes, macText } from './inet.js';
import { CREATE_EXCL, type LinkMessage, type Rtnl } from './rtnl.js';

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

export function toLinkStates(msgs: LinkMessage[]): LinkState[] {
  const names = new Map(msgs.map((m) => [m.data.index ?? 0, m.attrs.ifname ?? '']));
  return msgs.map((m) => ({
    name: m.attrs.ifname ?? '',
    index: m.data.index ?? 0,
    kind: parseLinkInfo(m.attrs.linkinfo).kind,
    mtu: m.attrs.mtu ?? 0,
    mac: m.attrs.address?.length === 6 ? macText(m.attrs.address) : undefined,
    up: m.data.flags?.up === true,
    master: m.attrs.master ? names.get(m.attrs.master) : undefined,
    group: m.attrs.group ?? 0,
  }));
}

/**
 * Create a link. Returns false when an identical one (same kind, kind
 * options and asked-for settings) is already there; a different link of that
 * name is EEXIST, a kind the kernel lacks is WEFT_KERNEL_UNSUPPORTED.
 */
export async function addLink(rtnl: Rtnl, spec: LinkSpec, peerNsFd?: number): Promise<boolean> {
  const lower = lowerName(spec);
  const lowerIndex = lower === undefined ? undefined : await rtnl.indexOf(lower);
  const master = spec.master === undefined ? undefined : await rtnl.indexOf(spec.master);
  const attrs = {
    ifname: spec.name,
    linkinfo: linkInfoPayload(spec, { lowerIndex, peerNsFd }),
    ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
    ...(spec.mac ? { address: macBytes(spec.mac) } : {}),
    ...(spec.group !== undefined ? { group: spec.group } : {}),
    ...(master !== undefined ? { master } : {}),
    // macvlan and vlan name their parent with IFLA_LINK; vxlan has its own attribute.
    ...(lowerIndex !== undefined && spec.kind !== 'vxlan' ? { link: u32(lowerIndex) } : {}),
  };
  try {
    await rtnl.newLink(upFlags(spec.up), attrs, CREATE_EXCL);
    return true;
  } catch (err) {
    if (hasErrno(err, 'EOPNOTSUPP')) throw unsupportedLinkKind(spec.kind, err);
    if (hasErrno(err, 'EEXIST') && (await matchesExisting(rtnl, spec, master))) return false;
    throw err;
  }
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
  const info = parseLinkInfo(link.attrs.linkinfo);
  const checks: boolean[] = [
    info.kind === spec.kind,
    spec.mtu === undefined || link.attrs.mtu === spec.mtu,
    spec.mac === undefined || (link.attrs.address !== undefined && macText(link.attrs.address) === canonicalMac(spec.mac)),
    masterIndex === undefined || link.attrs.master === masterIndex,
    spec.up === undefined || (link.data.flags?.up === true) === spec.up,
    spec.group === undefined || link.attrs.group === spec.group,
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
 * A veth whose peer lives in another namespace cannot be described from here.
 */
export async function specOfLink(rtnl: Rtnl, name: string): Promise<LinkSpec | undefined> {
  const link = await rtnl.linkByName(name);
  if (!link) return undefined;
  const info = parseLinkInfo(link.attrs.linkinfo);
  const kind = info.kind as LinkKind | undefined;
  const nameOf = (index: number | undefined) => (index ? indexName(rtnl, index) : Promise.resolve(undefined));
  const spec: LinkSpec = {
    name,
    kind: kind ?? ('unknown' as LinkKind),
    mtu: link.attrs.mtu,
    mac: link.attrs.address ? macText(link.attrs.address) : undefined,
    up: link.data.flags?.up === true,
    group: link.attrs.group,
    master: await nameOf(link.attrs.master),
  };
  const lowerIndex = link.attrs.link?.readUInt32LE(0);
  switch (kind) {
    case 'bridge':
    case 'dummy':
      return spec;
    case 'vxlan':
      return { ...spec, vxlan: { vni: info.vni ?? 0, port: info.vxlanPort, local: info.vxlanLocal, learning: info.vxlanLearning, dev: await nameOf(info.vxlanLink) } };
    case 'macvlan':
      return { ...spec, macvlan: { mode: macvlanModeName(info.macvlanMode) ?? 'bridge', parent: (await nameOf(lowerIndex)) ?? '' } };
    case 'vlan':
      return { ...spec, vlan: { id: info.vlanId ?? 0, parent: (await nameOf(lowerIndex)) ?? '' } };
    case 'veth': {
      // IFLA_LINK_NETNSID present: the peer is elsewhere and we cannot name its namespace.
      if (link.attrs.linkNetnsid !== undefined || !lowerIndex) return { ...spec, veth: undefined };
      return { ...spec, veth: { name: (await nameOf(lowerIndex)) ?? '' } };
    }
    default:
      return { ...spec, veth: undefined };
  }
}

async function indexName(rtnl: Rtnl, index: number): Promise<string | undefined> {
  return (await rtnl.linkByIndex(index))?.attrs.ifname;
}

export interface SetOutcome {
  changed: boolean;
  prev: LinkChanges;
}

/** Change mtu/mac/master/up; `prev` holds the values before, for the inverse. */
export async function setLink(rtnl: Rtnl, name: string, set: LinkChanges): Promise<SetOutcome> {
  const link = await rtnl.linkByName(name);
  if (!link?.data.index) throw new KernelErrno('ENODEV', `no link ${name}${rtnl.netns ? ` in netns ${rtnl.netns}` : ''}`);
  const prev = await currentValues(rtnl, link, set);
  const wanted = await resolveMaster(rtnl, set);
  const attrs = {
    ...(set.mtu !== undefined && set.mtu !== prev.mtu ? { mtu: set.mtu } : {}),
    ...(set.mac !== undefined && canonicalMac(set.mac) !== prev.mac ? { address: macBytes(set.mac) } : {}),
    ...(wanted !== undefined && wanted !== (link.attrs.master ?? 0) ? { master: wanted } : {}),
  };
  const flipUp = set.up !== undefined && set.up !== prev.up;
  if (Object.keys(attrs).length === 0 && !flipUp) return { changed: false, prev };
  await rtnl.setLink({ index: link.data.index, ...upFlags(flipUp ? set.up : undefined) }, attrs);
  return { changed: true, prev };
}

/** ifindex of the wanted master: 0 releases the link, undefined leaves it as it is. */
async function resolveMaster(rtnl: Rtnl, set: LinkChanges): Promise<number | undefined> {
  if (set.master === undefined) return undefined;
  if (set.master === null) return 0;
  return rtnl.indexOf(set.master);
}

async function currentValues(rtnl: Rtnl, link: LinkMessage, set: LinkChanges): Promise<LinkChanges> {
  const prev: LinkChanges = {};
  if (set.mtu !== undefined) prev.mtu = link.attrs.mtu;
  if (set.mac !== undefined && link.attrs.address) prev.mac = macText(link.attrs.address);
  if (set.master !== undefined) prev.master = link.attrs.master ? ((await indexName(rtnl, link.attrs.master)) ?? null) : null;
  if (set.up !== undefined) prev.up = link.data.flags?.up === true;
  return prev;
}
