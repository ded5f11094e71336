/**
 * Interface addresses over rtnetlink.
 */
import type { AddrState } from '../kernel.js';
import { hasErrno } from './errno.js';
import { AF_INET, AF_INET6, afOf, canonicalIp, ipBytes, ipText, parseCidr } from './inet.js';
import { type AddrMsg, IFA, IFA_F_NODAD, ifaddrmsg } from './messages.js';
import { attr } from './attrs.js';
import type { Rtnl } from './rtnl.js';

/**
 * Add `cidr` to `dev`. False when exactly that address is already there;
 * EEXIST when the kernel refuses because of a different one (IPv6 allows an
 * address once per device whatever the prefix).
 */
export async function addAddress(rtnl: Rtnl, dev: string, cidr: string): Promise<boolean> {
  const { address, prefix, family } = parseCidr(cidr);
  const index = await rtnl.indexOf(dev);
  const bytes = ipBytes(address);
  try {
    await rtnl.newAddress(
      // IPv6: skip duplicate address detection so the address works at once,
      // as container runtimes do; weft owns these addresses.
      ifaddrmsg({ family: afOf(family), prefixlen: prefix, index, flags: family === 6 ? IFA_F_NODAD : 0 }),
      [attr(IFA.LOCAL, bytes), attr(IFA.ADDRESS, bytes)],
    );
    return true;
  } catch (err) {
    if (hasErrno(err, 'EEXIST') && (await hasAddress(rtnl, dev, cidr))) return false;
    throw err;
  }
}

/** Remove `cidr` from `dev`; false when it (or the device) was already gone. */
export async function deleteAddress(rtnl: Rtnl, dev: string, cidr: string): Promise<boolean> {
  const { address, prefix, family } = parseCidr(cidr);
  const link = await rtnl.linkByName(dev);
  if (!link) return false;
  const bytes = ipBytes(address);
  try {
    await rtnl.deleteAddress(ifaddrmsg({ family: afOf(family), prefixlen: prefix, index: link.index }), [attr(IFA.LOCAL, bytes), attr(IFA.ADDRESS, bytes)]);
    return true;
  } catch (err) {
    if (hasErrno(err, 'EADDRNOTAVAIL', 'ENODEV')) return false;
    throw err;
  }
}

async function hasAddress(rtnl: Rtnl, dev: string, cidr: string): Promise<boolean> {
  const { address, prefix } = parseCidr(cidr);
  const wanted = `${canonicalIp(address)}/${prefix}`;
  return (await listAddresses(rtnl)).some((a) => a.dev === dev && a.cidr === wanted);
}

export async function listAddresses(rtnl: Rtnl): Promise<AddrState[]> {
  const [msgs, links] = await Promise.all([rtnl.addresses(), rtnl.links()]);
  const names = new Map(links.map((l) => [l.index, l.ifname ?? '']));
  return msgs.flatMap((m) => toAddrState(m, names));
}

function toAddrState(m: AddrMsg, names: Map<number, string>): AddrState[] {
  const family = m.family === AF_INET ? 4 : m.family === AF_INET6 ? 6 : undefined;
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
  const bytes = m.local ?? m.address;
  if (!family || !bytes) return [];
  return [{ dev: names.get(m.index) ?? '', cidr: `${ipText(bytes)}/${m.prefixlen}`, family }];
}
