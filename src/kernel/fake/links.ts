/**
 * link.del and link.set against the model, and the spec that recreates a
 * link (what a link.del needs for its inverse when the plan did not say).
 */
import type { LinkChanges, LinkKind, LinkSpec } from '../ops.js';
import { errno } from './errno.js';
import { checkMac, checkMtu } from './link-add.js';
import { checkMaster, releasePort, removeLink, setLinkUp } from './link-rules.js';
import { requireLink, type FakeLink, type FakeWorld, type NsKey } from './model.js';

const LINK_KINDS: readonly string[] = ['bridge', 'veth', 'vxlan', 'macvlan', 'dummy', 'vlan'] satisfies LinkKind[];

export interface DeleteResult {
  changed: boolean;
  /** How to recreate what was deleted; absent when the op model cannot express it. */
  spec?: LinkSpec;
}

export function deleteLink(world: FakeWorld, netns: NsKey, name: string): DeleteResult {
  const link = world.get(netns).links.get(name);
  if (!link) return { changed: false };
  if (link.kind === undefined) {
    throw errno('EOPNOTSUPP', `${name} is a loopback or physical device and cannot be deleted`);
  }
  const spec = linkSpecOf(world, netns, link);
  removeLink(world, netns, name);
  return { changed: true, ...(spec && { spec }) };
}

export interface SetResult {
  changed: boolean;
  prev: LinkChanges;
}

/** Apply `changes`; `prev` holds the values before for exactly the fields changed. */
export function setLink(world: FakeWorld, netns: NsKey, name: string, changes: LinkChanges): SetResult {
  const ns = world.get(netns);
  const link = requireLink(ns, name);
  const wanted = validateChanges(world, netns, link, changes);
  const prev: LinkChanges = {};
  if (wanted.mtu !== undefined) prev.mtu = link.mtu;
  if (wanted.mac !== undefined) prev.mac = link.mac;
  if (wanted.master !== undefined) prev.master = link.master ?? null;
  if (wanted.up !== undefined) prev.up = link.up;
  const keys = Object.keys(prev) as (keyof LinkChanges)[];
  if (!keys.some((key) => prev[key] !== wanted[key])) return { changed: false, prev };
  if (wanted.mtu !== undefined) link.mtu = wanted.mtu;
  if (wanted.mac !== undefined) link.mac = wanted.mac;
  if (wanted.master !== undefined && wanted.master !== (link.master ?? null)) {
    releasePort(ns, link);
    if (wanted.master !== null) link.master = wanted.master;
  }
  if (wanted.up !== undefined) setLinkUp(ns, link, wanted.up);
  return { changed: true, prev };
}

/** Check every change before making any, so a refused set changes nothing; returns them normalised. */
function validateChanges(world: FakeWorld, netns: NsKey, link: FakeLink, changes: LinkChanges): LinkChanges {
  const ns = world.get(netns);
  if (changes.mtu !== undefined) {
    const parent = link.macvlan?.parent ?? link.vlan?.parent;
    checkMtu(changes.mtu, `link ${link.name}`, parent === undefined ? undefined : ns.links.get(parent)?.mtu);
  }
  const mac = changes.mac === undefined ? undefined : checkMac(changes.mac, `link ${link.name}`);
  if (changes.master !== undefined && changes.master !== null) checkMaster(ns, link.name, changes.master);
  return { ...changes, ...(mac !== undefined && { mac }) };
}

/**
 * A spec that recreates `link` as it is now. Undefined for devices weft
 * cannot create, and for a veth whose peer is in the daemon's namespace
 * while the link is not (VethPeer.ns cannot name the daemon's namespace).
 */
export function linkSpecOf(world: FakeWorld, netns: NsKey, link: FakeLink): LinkSpec | undefined {
  if (link.kind === undefined || !LINK_KINDS.includes(link.kind)) return undefined;
  const spec: LinkSpec = {
    name: link.name,
    kind: link.kind as LinkKind,
    mtu: link.mtu,
    mac: link.mac,
    up: link.up,
    group: link.group,
    ...(link.master !== undefined && { master: link.master }),
    ...(link.vxlan && { vxlan: { ...link.vxlan } }),
    ...(link.macvlan && { macvlan: { ...link.macvlan } }),
    ...(link.vlan && { vlan: { ...link.vlan } }),
  };
  if (!link.peer) return spec;
  if (link.peer.netns === undefined && netns !== undefined) return undefined;
  const peer = world.get(link.peer.netns).links.get(link.peer.name);
  spec.veth = {
    name: link.peer.name,
    ...(link.peer.netns !== netns && { ns: link.peer.netns }),
    ...(peer && { mac: peer.mac, mtu: peer.mtu }),
  };
  return spec;
}
