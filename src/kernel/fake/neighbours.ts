/**
 * Neighbour (ARP/NDP, incl. proxy) and FDB entries. Add is exclusive as in
 * `ip neigh add` / `bridge fdb add`: an entry with the same key but other
 * contents is EEXIST, the same entry is changed:false. Measured here: an FDB
 * entry for the bridge ("master") on a device that is no bridge port is
 * EOPNOTSUPP; a VXLAN entry for a MAC that has one with another dst is
 * EEXIST. The exception is VXLAN's flood list (all-zeros MAC with a dst),
 * which holds many remotes: the Linux executor appends (NLM_F_APPEND) there.
 * An entry with a dst belongs to the device itself ('self') unless told.
 */
import type { KernelOp } from '../ops.js';
import { errno } from './errno.js';
import { canonicalIp, normaliseMac, parseIp } from './ip.js';
import { requireLink, type FakeFdbEntry, type FakeNamespace, type FakeNeighbour } from './model.js';

type NeighOp = Extract<KernelOp, { op: 'neigh.add' | 'neigh.del' }>;
type FdbOp = Extract<KernelOp, { op: 'fdb.add' | 'fdb.del' }>;

function checkIp(ip: string, what: string): string {
  if (!parseIp(ip)) throw errno('EINVAL', `invalid ${what} ${ip}`);
  return canonicalIp(ip);
}

function checkAnyMac(mac: string): string {
  const normalised = normaliseMac(mac);
  if (!normalised) throw errno('EINVAL', `invalid MAC address ${mac}`);
  return normalised;
}

export function addNeighbour(ns: FakeNamespace, op: NeighOp): boolean {
  requireLink(ns, op.dev);
  if (!op.proxy && op.mac === undefined) throw errno('EINVAL', `neighbour ${op.ip} on ${op.dev}: a MAC address is required`);
  const entry: FakeNeighbour = {
    dev: op.dev,
    ip: checkIp(op.ip, 'neighbour address'),
    proxy: op.proxy ?? false,
    // A proxy entry has no link-layer address.
    ...(op.mac !== undefined && !op.proxy && { mac: checkAnyMac(op.mac) }),
  };
  const existing = ns.neighbours.find((n) => n.dev === entry.dev && n.ip === entry.ip && n.proxy === entry.proxy);
  if (existing) {
    if (existing.mac === entry.mac) return false;
    throw errno('EEXIST', `neighbour ${entry.ip} on ${entry.dev} already exists with lladdr ${existing.mac ?? 'none'}`);
  }
  ns.neighbours.push(entry);
  return true;
}

/** Deletes by key (device, address, proxy), whatever the MAC; false when already gone. */
export function deleteNeighbour(ns: FakeNamespace, op: NeighOp): boolean {
  const ip = checkIp(op.ip, 'neighbour address');
  const proxy = op.proxy ?? false;
  const index = ns.neighbours.findIndex((n) => n.dev === op.dev && n.ip === ip && n.proxy === proxy);
  if (index < 0) return false;
  ns.neighbours.splice(index, 1);
  return true;
}

const ZERO_MAC = '00:00:00:00:00:00';

export function addFdbEntry(ns: FakeNamespace, op: FdbOp): boolean {
  const link = requireLink(ns, op.dev);
  const self = op.self ?? op.dst !== undefined;
  if (!self && link.master === undefined) {
    throw errno('EOPNOTSUPP', `${op.dev} is not a bridge port; an FDB entry for the bridge needs one`);
  }
  const entry: FakeFdbEntry = {
    dev: op.dev,
    mac: checkAnyMac(op.mac),
    self,
    ...(op.dst !== undefined && { dst: checkIp(op.dst, 'FDB destination') }),
    ...(!self && { master: link.master }),
  };
  const floodList = entry.mac === ZERO_MAC && entry.dst !== undefined;
  const existing = ns.fdb.find(
    (e) => e.dev === entry.dev && e.mac === entry.mac && e.self === entry.self && (!floodList || e.dst === entry.dst),
  );
  if (existing) {
    if (existing.dst === entry.dst) return false;
    throw errno('EEXIST', `fdb ${entry.mac} on ${entry.dev} already exists with dst ${existing.dst ?? 'none'}`);
  }
  ns.fdb.push(entry);
  return true;
}

export function deleteFdbEntry(ns: FakeNamespace, op: FdbOp): boolean {
  const mac = checkAnyMac(op.mac);
  const dst = op.dst === undefined ? undefined : checkIp(op.dst, 'FDB destination');
  const self = op.self ?? op.dst !== undefined;
  const index = ns.fdb.findIndex(
    (e) => e.dev === op.dev && e.mac === mac && e.self === self && (dst === undefined || e.dst === dst),
  );
  if (index < 0) return false;
  ns.fdb.splice(index, 1);
  return true;
}
