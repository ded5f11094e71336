/**
 * A view: every name a sandbox can resolve, for one set of networks, with
 * its answer records already in wire form. Sandboxes on the same networks
 * share a view; a view is rebuilt when one of its networks changed.
 */
import { type Cidr, cidrContainsIp, type IpAddress, parseRouteCidr } from '../ipam/cidr.js';
import { addressBytes, addressOfReverseKey, nameKey, parseAddress, reverseName } from './names.js';
import type { DnsEndpoint, DnsNetwork, RecordStore } from './record-store.js';
import { CLASS_IN, TYPE } from './wire.js';

/** TTL of the answers for names weft owns: short, since sandboxes come and go. */
export const LOCAL_TTL = 10;

/** Answer records of one type for one name, back to back, each owner name a pointer to the question. */
export interface Rrset {
  data: Buffer;
  count: number;
  /** Bytes per record when they are all the same size (A, AAAA), so they can be shuffled; 0 otherwise. */
  size: number;
}

export interface NameAnswers {
  a?: Rrset;
  aaaa?: Rrset;
  ptr?: Rrset;
  /** A, AAAA and PTR together, for ANY. */
  any?: Rrset;
}

export class View {
  constructor(
    readonly names: ReadonlyMap<string, NameAnswers>,
    /** Subnets of the view's networks: their reverse names are ours. */
    private readonly subnets: readonly Cidr[],
    /** Names that are not ours may be forwarded upstream. */
    readonly forwarding: boolean,
    /** The networks' generations this view was built from. */
    readonly generations: ReadonlyMap<string, number>,
  ) {}

  /** A PTR name for an address in one of the view's subnets (answered NXDOMAIN when unknown, never forwarded). */
  ownsReverse(key: string): boolean {
    if (this.subnets.length === 0) return false;
    const ip = addressOfReverseKey(key);
    return ip !== undefined && this.subnets.some((s) => cidrContainsIp(s, ip));
  }
}

/** Collects the records of a view before they are encoded. */
class Collector {
  private readonly v4 = new Map<string, Map<string, IpAddress>>();
  private readonly v6 = new Map<string, Map<string, IpAddress>>();
  private readonly ptr = new Map<string, Set<string>>();

  address(names: readonly string[], ip: IpAddress | undefined): void {
    if (!ip) return;
    const table = ip.family === 4 ? this.v4 : this.v6;
    for (const name of names) {
      const key = nameKey(name);
      if (key === undefined) continue;
      let set = table.get(key);
      if (!set) table.set(key, (set = new Map()));
      set.set(ip.value.toString(), ip);
    }
  }

  pointer(ip: IpAddress | undefined, target: string): void {
    if (!ip || nameKey(target) === undefined) return;
    const key = nameKey(reverseName(ip))!;
    let set = this.ptr.get(key);
    if (!set) this.ptr.set(key, (set = new Set()));
    set.add(target.toLowerCase());
  }

  build(): Map<string, NameAnswers> {
    const out = new Map<string, NameAnswers>();
    const entry = (key: string) => out.get(key) ?? out.set(key, {}).get(key)!;
    for (const [key, ips] of this.v4) entry(key).a = addressRrset(TYPE.A, [...ips.values()]);
    for (const [key, ips] of this.v6) entry(key).aaaa = addressRrset(TYPE.AAAA, [...ips.values()]);
    for (const [key, targets] of this.ptr) entry(key).ptr = ptrRrset([...targets]);
    for (const answers of out.values()) answers.any = concatRrsets([answers.a, answers.aaaa, answers.ptr]);
    return out;
  }
}

/** Names of an endpoint on a network: each plain and qualified with the network name. */
function qualified(names: readonly string[], network: DnsNetwork): string[] {
  return names.flatMap((n) => [n, `${n}.${network.name}`]);
}

function addEndpoint(c: Collector, ep: DnsEndpoint, network: DnsNetwork): void {
  const v4 = parseAddress(ep.v4);
  const v6 = parseAddress(ep.v6);
  const names = qualified(ep.names, network);
  c.address(names, v4);
  c.address(names, v6);
  if (ep.service) {
    const tasks = qualified([`tasks.${ep.service}`], network);
    c.address(tasks, v4);
    c.address(tasks, v6);
  }
  const primary = ep.names[0];
  if (primary) {
    c.pointer(v4, `${primary}.${network.name}`);
    c.pointer(v6, `${primary}.${network.name}`);
  }
}

export function buildView(store: RecordStore, networkIds: readonly string[]): View {
  const c = new Collector();
  const subnets: Cidr[] = [];
  const generations = new Map<string, number>();
  let forwarding = false;
  for (const id of networkIds) {
    const network = store.networks.get(id);
    if (!network) continue;
    generations.set(id, store.networkGeneration(id));
    forwarding ||= network.forwarding;
    for (const s of network.subnets) {
      const cidr = parseRouteCidr(s);
      if (cidr) subnets.push(cidr);
    }
    for (const ep of store.endpointsOn(id)) addEndpoint(c, ep, network);
    for (const svc of store.servicesOn(id)) {
      const names = qualified(svc.names, network);
      c.address(names, parseAddress(svc.vip4));
      c.address(names, parseAddress(svc.vip6));
      if (svc.names[0]) for (const vip of [svc.vip4, svc.vip6]) c.pointer(parseAddress(vip), `${svc.names[0]}.${network.name}`);
    }
  }
  return new View(c.build(), subnets, forwarding, generations);
}

function rrHeader(type: number, rdlen: number): Buffer {
  const rr = Buffer.allocUnsafe(12 + rdlen);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(LOCAL_TTL, 6);
  rr.writeUInt16BE(rdlen, 10);
  return rr;
}

function addressRrset(type: number, ips: IpAddress[]): Rrset {
  const rrs = ips.map((ip) => {
    const bytes = addressBytes(ip);
    const rr = rrHeader(type, bytes.length);
    bytes.copy(rr, 12);
    return rr;
  });
  return { data: Buffer.concat(rrs), count: rrs.length, size: rrs[0]!.length };
}

function ptrRrset(targets: string[]): Rrset {
  const rrs = targets.map((target) => {
    const key = nameKey(target)!;
    const rr = rrHeader(TYPE.PTR, key.length + 1);
    rr.write(key, 12, 'latin1');
    rr[12 + key.length] = 0;
    return rr;
  });
  return { data: Buffer.concat(rrs), count: rrs.length, size: 0 };
}

function concatRrsets(sets: (Rrset | undefined)[]): Rrset | undefined {
  const present = sets.filter((s): s is Rrset => s !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return { data: Buffer.concat(present.map((s) => s.data)), count: present.reduce((n, s) => n + s.count, 0), size: 0 };
}

/** Views by network set, rebuilt lazily when a network they cover changed. */
export class ViewCache {
  private readonly views = new Map<string, View>();

  constructor(private readonly store: RecordStore) {}

  get size(): number {
    return this.views.size;
  }

  get(networkIds: readonly string[]): View {
    const key = networkIds.join(',');
    const cached = this.views.get(key);
    if (cached && this.fresh(cached, networkIds)) return cached;
    const view = buildView(this.store, networkIds);
    this.views.set(key, view);
    return view;
  }

  /** Forget views no sandbox uses any more. */
  retain(liveKeys: ReadonlySet<string>): void {
    for (const key of this.views.keys()) if (!liveKeys.has(key)) this.views.delete(key);
  }

  private fresh(view: View, networkIds: readonly string[]): boolean {
    for (const id of networkIds) {
      if (view.generations.get(id) !== this.store.networkGeneration(id) || !this.store.networks.has(id)) return false;
    }
    return true;
  }
}
