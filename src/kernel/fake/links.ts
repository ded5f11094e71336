/**
 * link.del and link.set against the model, and the spec that recreates a
 * link (what a link.del needs for its inverse when the plan did not say).
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { LinkChanges, LinkKind, LinkSpec } from '../ops.js';
import { errno } from './errno.js';
import { checkMac, checkMtu } from './link-add.js';
import { checkMaster, macvlanParentKey, releasePort, removeLink, setLinkUp } from './link-rules.js';
import { requireLink, type FakeLink, type FakeWorld, type NsKey } from './model.js';

const LINK_KINDS: readonly string[] = ['bridge', 'veth', 'vxlan', 'macvlan', 'dummy', 'vlan'] satisfies LinkKind[];

export interface DeleteResult {
  changed: boolean;
  /** How to recreate what was deleted: the spec the op gave, else one read from the model. */
  spec?: LinkSpec;
}

/**
 * Delete a link (and what goes with it). Without a spec from the plan, one is
 * read from the model so the delete can be undone; a veth whose peer is in
 * another namespace is refused then, before anything changes, because the
 * real kernel cannot describe such a peer (the Linux executor refuses too).
 */
export function deleteLink(world: FakeWorld, netns: NsKey, name: string, given?: LinkSpec): DeleteResult {
  const link = world.get(netns).links.get(name);
  if (!link) return { changed: false, ...(given && { spec: given }) };
  if (link.kind === undefined) {
    throw errno('EOPNOTSUPP', `${name} is a loopback or physical device and cannot be deleted`);
  }
  if (!given && link.peer && link.peer.netns !== netns) {
    throw new WeftError(
      ErrorCodes.INVALID_ARGUMENT,
      'BadRequest',
      `link.del ${name}: its veth peer is in another namespace, so it could not be recreated on rollback; pass the link spec`,
      { details: { link: name } },
    );
  }
  const spec = given ?? linkSpecOf(world, netns, link);
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
    const parentKey = link.macvlan ? macvlanParentKey(netns, link.macvlan.parentNs) : netns;
    const parentNs = parentKey === undefined || world.has(parentKey) ? world.get(parentKey) : undefined;
    checkMtu(changes.mtu, `link ${link.name}`, parent === undefined ? undefined : parentNs?.links.get(parent)?.mtu);
  }
  const mac = changes.mac === undefined ? undefined : checkMac(changes.mac, `link ${link.name}`);
  if (changes.master !== undefined && changes.master !== null) checkMaster(ns, link.name, changes.master);
  return { ...changes, ...(mac !== undefined && { mac }) };
}

/**
 * A spec that recreates `link` as it is now; undefined for devices weft
 * cannot create. For a veth with its peer elsewhere it names the peer's
 * namespace, except the daemon's own, which VethPeer.ns cannot name.
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
