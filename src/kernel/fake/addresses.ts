/**
 * Interface addresses. IPv4 identifies an address by (device, address,
 * prefix length), so adding one that is there is the same object
 * (changed:false); IPv6 allows an address once per device whatever the
 * prefix, so another prefix is EEXIST. Removing the last IPv4 address of a
 * link flushes the link's IPv4 routes, as the kernel does.
 */
import { errno } from './errno.js';
import { formatCidr, parseCidr } from './ip.js';
import { requireLink, type FakeAddress, type FakeNamespace } from './model.js';
import { addConnectedRoute, flushRoutesOf, removeConnectedRoute } from './routes.js';

export function addAddress(ns: FakeNamespace, dev: string, cidrText: string): boolean {
  const link = requireLink(ns, dev);
  const cidr = parseCidr(cidrText);
  if (!cidr) throw errno('EINVAL', `invalid address ${cidrText}`);
  if (cidr.family === 6 && link.sysctls.get('ipv6.disable_ipv6') === '1') {
    throw errno('EACCES', `IPv6 is disabled on ${dev}`);
  }
  const address: FakeAddress = { dev, cidr: formatCidr(cidr), family: cidr.family };
  const local = address.cidr.slice(0, address.cidr.indexOf('/'));
  const clash = ns.addresses.find((a) => a.dev === dev && a.family === 6 && a.cidr.startsWith(`${local}/`));
  if (clash && clash.cidr !== address.cidr) throw errno('EEXIST', `${local} is already on ${dev} as ${clash.cidr}`);
  if (ns.addresses.some((a) => a.dev === dev && a.cidr === address.cidr)) return false;
  ns.addresses.push(address);
  addConnectedRoute(ns, address, link);
  return true;
}

/** False when the device or the address is already gone. */
export function deleteAddress(ns: FakeNamespace, dev: string, cidrText: string): boolean {
  const link = ns.links.get(dev);
  const cidr = parseCidr(cidrText);
  if (!cidr) throw errno('EINVAL', `invalid address ${cidrText}`);
  const wanted = formatCidr(cidr);
  const index = ns.addresses.findIndex((a) => a.dev === dev && a.cidr === wanted);
  if (!link || index < 0) return false;
  const [address] = ns.addresses.splice(index, 1);
  removeConnectedRoute(ns, address!, link);
  const local = wanted.slice(0, wanted.indexOf('/'));
  // Routes using the address as their preferred source go with it (fib_sync_down_addr).
  ns.routes = ns.routes.filter((r) => r.src !== local);
  if (cidr.family === 4 && !ns.addresses.some((a) => a.dev === dev && a.family === 4)) {
    flushRoutesOf(ns, dev, 4);
  }
  return true;
}
