/**
 * The fake kernel's in-memory state: network namespaces and what lives in
 * them. This file holds the shapes and the namespace registry; what each op
 * does to them lives in links.ts, addresses.ts, routes.ts, … so that the
 * kernel rules (cascading deletes, connected routes) are each in one place.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { MacvlanOptions, VlanOptions } from '../ops.js';
import { errno, netnsNotFound } from './errno.js';
import type { Family } from './ip.js';
import { CONF_DEFAULTS, namespaceSysctlDefaults } from './sysctl-defaults.js';

/** A namespace name; undefined is the daemon's own (the fake's root namespace). */
export type NsKey = string | undefined;

export interface LinkRef {
  netns: NsKey;
  name: string;
}

export interface FakeVxlan {
  vni: number;
  port: number;
  learning: boolean;
  local?: string;
  dev?: string;
}

export interface FakeLink {
  name: string;
  index: number;
  /** undefined for devices weft cannot create or delete (lo, a host's eth0). */
  kind?: string;
  mtu: number;
  mac: string;
  up: boolean;
  master?: string;
  group: number;
  /** The other end of a veth; deleting either end deletes both. */
  peer?: LinkRef;
  vxlan?: FakeVxlan;
  macvlan?: MacvlanOptions;
  vlan?: VlanOptions;
  loopback?: boolean;
  /** net.ipv{4,6}.conf.DEV.* keyed 'ipv4.LEAF'; copied from conf.default at creation, as the kernel does. */
  sysctls: Map<string, string>;
}

export interface FakeAddress {
  dev: string;
  /** Kernel spelling, e.g. 'fd00::1/64'. */
  cidr: string;
  family: Family;
}

export interface FakeRoute {
  /** Kernel spelling of the destination network, e.g. '10.0.0.0/24', '::/0'. */
  dst: string;
  family: Family;
  via?: string;
  dev: string;
  table: number;
  metric: number;
  scope: 'universe' | 'link' | 'host';
  protocol: 'kernel' | 'boot';
  src?: string;
}

export interface FakeNeighbour {
  dev: string;
  ip: string;
  mac?: string;
  proxy: boolean;
}

export interface FakeFdbEntry {
  dev: string;
  mac: string;
  dst?: string;
  master?: string;
  self: boolean;
}

export interface NftTable {
  family: string;
  name: string;
  handle: number;
}

export interface FakeNft {
  /** Every script applied here, in order (rollback and teardown scripts too). */
  scripts: string[];
  tables: NftTable[];
  nextHandle: number;
}

export interface FakeNamespace {
  readonly name: NsKey;
  readonly links: Map<string, FakeLink>;
  addresses: FakeAddress[];
  routes: FakeRoute[];
  neighbours: FakeNeighbour[];
  fdb: FakeFdbEntry[];
  /** Namespace-wide sysctls, including net.ipv{4,6}.conf.{all,default}.*. */
  readonly sysctls: Map<string, string>;
  nft: FakeNft;
  nextIndex: number;
}

export const ROOT_LABEL = '(daemon)';

export function nsLabel(netns: NsKey): string {
  return netns ?? ROOT_LABEL;
}

/** All namespaces of one fake kernel. Each FakeKernel owns one; nothing is shared between instances. */
export class FakeWorld {
  private readonly namespaces = new Map<NsKey, FakeNamespace>();
  private macCounter = 0;

  constructor() {
    this.namespaces.set(undefined, createNamespace(undefined));
  }

  /** The namespace, or WEFT_NETNS_NOT_FOUND. */
  get(netns: NsKey): FakeNamespace {
    const ns = this.namespaces.get(netns);
    if (!ns) throw netnsNotFound(netns ?? ROOT_LABEL);
    return ns;
  }

  has(name: string): boolean {
    return this.namespaces.has(name);
  }

  /** Named namespaces (the root one is not under /run/netns). */
  names(): string[] {
    return [...this.namespaces.keys()].filter((k): k is string => k !== undefined).sort();
  }

  add(name: string): FakeNamespace {
    if (this.namespaces.has(name)) {
      throw new WeftError(ErrorCodes.NETNS_EXISTS, 'Conflict', `network namespace ${name} already exists`);
    }
    const ns = createNamespace(name);
    this.namespaces.set(name, ns);
    return ns;
  }

  /** Another name for the daemon's namespace (like a bind mount of it under /run/netns). */
  alias(name: string): void {
    if (this.namespaces.has(name)) {
      throw new WeftError(ErrorCodes.NETNS_EXISTS, 'Conflict', `network namespace ${name} already exists`);
    }
    this.namespaces.set(name, this.get(undefined));
  }

  /** True when `name` is an alias of the daemon's namespace: removing it removes nothing inside. */
  isAlias(name: string): boolean {
    return this.namespaces.get(name) === this.namespaces.get(undefined);
  }

  remove(name: string): void {
    this.namespaces.delete(name);
  }

  all(): FakeNamespace[] {
    return [...this.namespaces.values()];
  }

  /** A locally administered unicast MAC, deterministic per fake so tests can predict it. */
  nextMac(): string {
    this.macCounter += 1;
    const n = this.macCounter;
    return ['02', 'fa', 'ce', (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
      .map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0')))
      .join(':');
  }
}

/** A new namespace holds only `lo`, down and without addresses, as `ip netns add` leaves it. */
function createNamespace(name: NsKey): FakeNamespace {
  const ns: FakeNamespace = {
    name,
    links: new Map(),
    addresses: [],
    routes: [],
    neighbours: [],
    fdb: [],
    sysctls: namespaceSysctlDefaults(),
    nft: { scripts: [], tables: [], nextHandle: 1 },
    nextIndex: 1,
  };
  insertLink(ns, { name: 'lo', mtu: 65536, mac: '00:00:00:00:00:00', up: false, group: 0, loopback: true });
  return ns;
}

export type NewLink = Omit<FakeLink, 'index' | 'sysctls'>;

/** Register a link with the next ifindex and the namespace's current conf.default sysctls. */
export function insertLink(ns: FakeNamespace, fields: NewLink): FakeLink {
  const sysctls = new Map<string, string>();
  for (const proto of ['ipv4', 'ipv6'] as const) {
    for (const leaf of Object.keys(CONF_DEFAULTS[proto])) {
      sysctls.set(`${proto}.${leaf}`, ns.sysctls.get(`net.${proto}.conf.default.${leaf}`) ?? '0');
    }
  }
  const link: FakeLink = { ...fields, index: ns.nextIndex, sysctls };
  ns.nextIndex += 1;
  ns.links.set(link.name, link);
  return link;
}

/** The link, or ENODEV as the kernel answers for an unknown device. */
export function requireLink(ns: FakeNamespace, name: string): FakeLink {
  const link = ns.links.get(name);
  if (!link) throw errno('ENODEV', `no device ${name} in netns ${nsLabel(ns.name)}`);
  return link;
}
