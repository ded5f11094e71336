/**
 * Kernel rules about links that more than one op needs: enslaving to a
 * bridge, what going up or down does to addresses, routes and neighbours,
 * and what deleting a link takes with it.
 */
import { errno } from './errno.js';
import { requireLink, type FakeLink, type FakeNamespace, type FakeWorld, type NsKey } from './model.js';
import { addConnectedRoute, flushRoutesOf } from './routes.js';

/** A Linux bridge holds at most this many ports (BR_MAX_PORTS). */
export const BRIDGE_MAX_PORTS = 1024;

/** Whether `linkName` may be enslaved to `masterName`; throws the errno the kernel gives when not. */
export function checkMaster(ns: FakeNamespace, linkName: string, masterName: string): void {
  const master = requireLink(ns, masterName);
  if (master.kind !== 'bridge') throw errno('EINVAL', `master ${masterName} is not a bridge`);
  if (masterName === linkName) throw errno('ELOOP', `link ${linkName} cannot be its own master`);
  const link = ns.links.get(linkName);
  if (link?.kind === 'bridge') throw errno('ELOOP', `bridge ${linkName} cannot be a port of bridge ${masterName}`);
  if (link?.loopback) throw errno('EINVAL', `${linkName} is a loopback device and cannot be a bridge port`);
  const ports = [...ns.links.values()].filter((l) => l.master === masterName && l.name !== linkName).length;
  if (ports >= BRIDGE_MAX_PORTS) throw errno('EXFULL', `bridge ${masterName} already has ${BRIDGE_MAX_PORTS} ports`);
}

/** Release a port: the bridge forgets the FDB entries it had learnt or been given for it. */
export function releasePort(ns: FakeNamespace, link: FakeLink): void {
  if (link.master === undefined) return;
  const master = link.master;
  ns.fdb = ns.fdb.filter((e) => !(e.dev === link.name && e.master === master));
  delete link.master;
}

/**
 * Up: the addresses' prefix routes appear. Down: every route through the
 * link goes, and so do its neighbours and (keep_addr_on_down=0) its IPv6
 * addresses; IPv4 addresses stay.
 */
export function setLinkUp(ns: FakeNamespace, link: FakeLink, up: boolean): void {
  if (link.up === up) return;
  link.up = up;
  if (up) {
    for (const address of ns.addresses.filter((a) => a.dev === link.name)) addConnectedRoute(ns, address, link);
    return;
  }
  flushRoutesOf(ns, link.name);
  ns.neighbours = ns.neighbours.filter((n) => n.dev !== link.name);
  if (link.sysctls.get('ipv6.keep_addr_on_down') !== '1') {
    ns.addresses = ns.addresses.filter((a) => a.dev !== link.name || a.family !== 6);
  }
}

/**
 * Remove a link and everything that depends on it: its addresses, routes,
 * neighbours and FDB entries; a bridge's ports are released; macvlan, vlan
 * and vxlan devices stacked on it go; a veth's peer goes, in whatever
 * namespace it lives.
 */
export function removeLink(world: FakeWorld, netns: NsKey, name: string): void {
  const ns = world.get(netns);
  const link = ns.links.get(name);
  if (!link) return;
  ns.links.delete(name);
  ns.addresses = ns.addresses.filter((a) => a.dev !== name);
  flushRoutesOf(ns, name);
  ns.neighbours = ns.neighbours.filter((n) => n.dev !== name);
  ns.fdb = ns.fdb.filter((e) => e.dev !== name && e.master !== name);
  for (const other of [...ns.links.values()]) {
    if (other.master === name) releasePort(ns, other);
    const stacked = other.vlan?.parent === name || other.vxlan?.dev === name;
    if (stacked) removeLink(world, netns, other.name);
  }
  for (const mv of macvlansOn(world, ns, name)) removeLink(world, mv.netns, mv.name);
  const peer = link.peer;
  if (peer && (peer.netns === undefined || world.has(peer.netns))) removeLink(world, peer.netns, peer.name);
}

/** The namespace a macvlan's parent is in (MacvlanOptions.parentNs: absent = the link's own, null = the daemon's). */
export function macvlanParentKey(linkNs: NsKey, parentNs: string | null | undefined): NsKey {
  return parentNs === undefined ? linkNs : (parentNs ?? undefined);
}

/** The macvlan devices, in any namespace, whose parent is `parentName` in `parentNs`. */
export function macvlansOn(world: FakeWorld, parentNs: FakeNamespace, parentName: string): { netns: NsKey; name: string; link: FakeLink }[] {
  const found: { netns: NsKey; name: string; link: FakeLink }[] = [];
  for (const ns of world.all()) {
    for (const link of ns.links.values()) {
      if (!link.macvlan || link.macvlan.parent !== parentName) continue;
      const key = macvlanParentKey(ns.name, link.macvlan.parentNs);
      if ((key === undefined || world.has(key)) && world.get(key) === parentNs) found.push({ netns: ns.name, name: link.name, link });
    }
  }
  return found;
}
