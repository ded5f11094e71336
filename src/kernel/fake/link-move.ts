/**
 * link.move against the model: the link leaves its namespace (down, without
 * its addresses, routes, neighbours, FDB entries and master, as the kernel
 * does when it moves a device) and is registered in the target under its new
 * name, with the target's conf.default sysctls; a veth peer follows the
 * rename. Loopback and bridges are local to their namespace (EINVAL).
 */
import { errno } from './errno.js';
import { checkIfname } from './link-add.js';
import { releasePort } from './link-rules.js';
import { insertLink, nsLabel, type FakeWorld, type NsKey } from './model.js';
import { flushRoutesOf } from './routes.js';

/** Returns false when it was done already: `name` gone from `from` and `newName` present in `to`. */
export function moveLink(world: FakeWorld, from: NsKey, name: string, to: NsKey, newName: string): boolean {
  const src = world.get(from);
  const dst = world.get(to);
  const link = src.links.get(name);
  if (!link) {
    if (dst.links.has(newName)) return false;
    throw errno('ENODEV', `no device ${name} in netns ${nsLabel(from)} (nor ${newName} in netns ${nsLabel(to)})`);
  }
  if (src === dst && name === newName) return false;
  checkIfname(newName);
  if (link.loopback || link.kind === 'bridge') throw errno('EINVAL', `${name} is local to its namespace and cannot be moved`);
  if (dst.links.has(newName)) throw errno('EEXIST', `a device ${newName} already exists in netns ${nsLabel(to)}`);
  releasePort(src, link);
  src.links.delete(name);
  src.addresses = src.addresses.filter((a) => a.dev !== name);
  flushRoutesOf(src, name);
  src.neighbours = src.neighbours.filter((n) => n.dev !== name);
  src.fdb = src.fdb.filter((e) => e.dev !== name);
  const { index: _index, sysctls: _sysctls, master: _master, ...fields } = link;
  insertLink(dst, { ...fields, name: newName, up: false });
  if (link.peer) {
    const peer = world.get(link.peer.netns).links.get(link.peer.name);
    if (peer) peer.peer = { netns: to, name: newName };
  }
  return true;
}
