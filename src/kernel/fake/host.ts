/**
 * The fake's own "daemon namespace": lo up with its loopback addresses, plus
 * whatever devices, addresses, routes and sysctls a test describes (a host
 * with eth0 on 192.168.1.0/24 and a default route, say, so that IPAM can be
 * tested against the host's routes). Built directly, not through apply: it
 * is the world the test starts in, not something weft did.
 */
import type { RouteSpec } from '../ops.js';
import { addAddress } from './addresses.js';
import { checkIfname, checkMac, checkMtu } from './link-add.js';
import { setLinkUp } from './link-rules.js';
import { insertLink, type FakeWorld } from './model.js';
import { addRoute } from './routes.js';
import { writeSysctl } from './sysctl.js';

export interface FakeHostLink {
  name: string;
  /**
   * Absent: a device weft did not create and cannot delete (eth0, ens3).
   * 'bridge' makes it usable as a master (a pre-existing docker0, say).
   */
  kind?: 'bridge' | 'veth' | 'vxlan' | 'macvlan' | 'dummy' | 'vlan';
  mtu?: number;
  mac?: string;
  /** Default true: a host's interfaces are normally up. */
  up?: boolean;
  /** CIDRs, e.g. ['192.168.1.10/24']; their connected routes appear as on a real host. */
  addresses?: string[];
}

export interface FakeHostOptions {
  hostLinks?: readonly FakeHostLink[];
  /** Added after the links' addresses, with the kernel's rules (a gateway must be reachable). */
  hostRoutes?: readonly RouteSpec[];
  /** Daemon-namespace sysctls that differ from a fresh namespace's, e.g. { 'net.ipv4.ip_forward': '1' }. */
  hostSysctls?: Readonly<Record<string, string>>;
}

export function setUpHost(world: FakeWorld, options: FakeHostOptions): void {
  const ns = world.get(undefined);
  const lo = ns.links.get('lo')!;
  setLinkUp(ns, lo, true);
  addAddress(ns, 'lo', '127.0.0.1/8');
  addAddress(ns, 'lo', '::1/128');
  for (const [key, value] of Object.entries(options.hostSysctls ?? {})) writeSysctl(ns, key, value);
  for (const spec of options.hostLinks ?? []) {
    checkIfname(spec.name);
    if (ns.links.has(spec.name)) throw new Error(`fake host: link ${spec.name} given twice`);
    const mtu = spec.mtu ?? 1500;
    checkMtu(mtu, `host link ${spec.name}`);
    const link = insertLink(ns, {
      name: spec.name,
      ...(spec.kind !== undefined && { kind: spec.kind }),
      mtu,
      mac: spec.mac === undefined ? world.nextMac() : checkMac(spec.mac, `host link ${spec.name}`),
      up: false,
      group: 0,
    });
    setLinkUp(ns, link, spec.up ?? true);
    for (const cidr of spec.addresses ?? []) addAddress(ns, spec.name, cidr);
  }
  for (const route of options.hostRoutes ?? []) addRoute(ns, route);
}
