/**
 * Moving an existing link to another namespace and renaming it there: one
 * RTM_NEWLINK on the link's index with IFLA_NET_NS_FD (the target) and
 * IFLA_IFNAME (the new name); the kernel moves the device, then renames it
 * in the target. Never IFLA_TARGET_NETNSID: see docs/architecture.md.
 * A move costs ~15 ms (an RCU grace period), so plans use it only for links
 * weft did not create itself (a remote driver's).
 */
import { strAttr, u32Attr } from './attrs.js';
import { KernelErrno } from './errno.js';
import { IFLA } from './messages.js';
import type { Rtnl } from './rtnl.js';

const where = (rtnl: Rtnl): string => (rtnl.netns ? ` in netns ${rtnl.netns}` : " in the daemon's netns");

/** Interface names as the kernel accepts them (dev_valid_name), checked before anything moves. */
function checkIfname(name: string): void {
  const valid = name.length > 0 && Buffer.byteLength(name) <= 15 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
  if (!valid) throw new KernelErrno('EINVAL', `invalid interface name '${name}'`);
}

/** One side of a move: the socket in that namespace and an fd of the namespace. */
export interface MoveSide {
  rtnl: Rtnl;
  fd: number;
}

/**
 * Move `name` from `from` to `to` as `newName`. Returns false when that was
 * done already: `name` is gone from `from` and `newName` is in `to`.
 */
export async function moveLink(from: MoveSide, to: MoveSide, name: string, newName: string): Promise<boolean> {
  checkIfname(newName);
  const [link, existing] = await Promise.all([from.rtnl.linkByName(name), to.rtnl.linkByName(newName)]);
  if (!link) {
    if (existing) return false;
    throw new KernelErrno('ENODEV', `no link ${name}${where(from.rtnl)} (nor ${newName}${where(to.rtnl)})`);
  }
  if (from.rtnl === to.rtnl && name === newName) return false;
  if (existing) throw new KernelErrno('EEXIST', `a link ${newName} already exists${where(to.rtnl)}`);
  try {
    await from.rtnl.setLink({ index: link.index }, [u32Attr(IFLA.NET_NS_FD, to.fd), strAttr(IFLA.IFNAME, newName)]);
  } catch (err) {
    if (from.rtnl !== to.rtnl) await restoreHalfMove(from, to, name);
    throw err;
  }
  return true;
}

/**
 * The kernel renames after moving: if the rename failed (the name was taken
 * in between), the link sits in the target under its old name. Move it back,
 * so the failed op changed nothing.
 */
async function restoreHalfMove(from: MoveSide, to: MoveSide, name: string): Promise<void> {
  const [stray, stayed] = await Promise.all([to.rtnl.linkByName(name), from.rtnl.linkByName(name)]).catch(() => [undefined, undefined]);
  if (!stray || stayed) return;
  await to.rtnl.setLink({ index: stray.index }, [u32Attr(IFLA.NET_NS_FD, from.fd)]).catch(() => undefined);
}
