/**
 * Typed kernel operations. A driver's plan is a list of these; only the
 * kernel layer turns them into syscalls. Every op has an inverse
 * (`inverseOf`), so a failed apply can be undone in reverse and a teardown
 * plan is the reversed inverse of the setup plan.
 *
 * `ns` names a network namespace under /run/netns; absent means the
 * namespace `apply` was called for (the daemon's own when that is absent too).
 */

export type LinkKind = 'bridge' | 'veth' | 'vxlan' | 'macvlan' | 'dummy' | 'vlan';
export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';

export interface VethPeer {
  name: string;
  /** Create the peer directly in this namespace (no later move). Absent: same namespace as the link. */
  ns?: string;
  mac?: string;
  mtu?: number;
}

export interface VxlanOptions {
  vni: number;
  /** UDP destination port; the IANA 4789 when absent. */
  port?: number;
  /** Local (source) address of the tunnel. */
  local?: string;
  /** Underlay device. */
  dev?: string;
  /** MAC learning; weft programs the FDB itself, so the default is false. */
  learning?: boolean;
}

export interface MacvlanOptions {
  parent: string;
  mode: MacvlanMode;
  /**
   * Where the parent is when it is not in the link's own namespace: a name
   * under /run/netns, or null for the daemon's own namespace (a sandbox's
   * macvlan on a host interface). The device is then created directly in
   * the link's namespace (IFLA_NET_NS_FD), never moved. Absent: the parent
   * is in the link's namespace. The link itself must be in a named one.
   */
  parentNs?: string | null;
}

export interface VlanOptions {
  parent: string;
  id: number;
}

export interface LinkSpec {
  name: string;
  kind: LinkKind;
  mtu?: number;
  mac?: string;
  /** Name of the bridge (in the link's namespace) to enslave the link to. */
  master?: string;
  /**
   * Hairpin mode on the bridge port (needs `master`): frames may leave by the
   * port they came in on, so a sandbox reaches its own published ports.
   */
  hairpin?: boolean;
  up?: boolean;
  /** IFLA_GROUP, so that every link of one owner can be found and deleted at once. */
  group?: number;
  veth?: VethPeer;
  vxlan?: VxlanOptions;
  macvlan?: MacvlanOptions;
  vlan?: VlanOptions;
}

export interface LinkChanges {
  mtu?: number;
  mac?: string;
  /** Bridge name, or null to release the link from its master. */
  master?: string | null;
  up?: boolean;
}

export interface RouteSpec {
  /** CIDR, or 'default' (0.0.0.0/0 or ::/0 by `family`). */
  dst: string;
  family?: 4 | 6;
  via?: string;
  dev?: string;
  src?: string;
  metric?: number;
  table?: number;
  scope?: 'universe' | 'link' | 'host';
}

export type KernelOp =
  | {
      op: 'netns.add';
      name: string;
      /** Pin the daemon's own namespace under this name instead of making a new one (host network). */
      pinDaemon?: boolean;
    }
  | { op: 'netns.del'; name: string }
  | { op: 'link.add'; ns?: string; link: LinkSpec }
  | { op: 'link.del'; ns?: string; name: string; /** for the inverse */ link?: LinkSpec }
  | { op: 'link.set'; ns?: string; name: string; set: LinkChanges; /** values before; filled in by apply */ prev?: LinkChanges }
  | {
      /**
       * Move an existing link to another namespace and rename it there (the
       * engine's part on the Docker path; weft's for a remote driver's link).
       * The kernel takes the link down and drops its addresses and routes.
       * Done already (unchanged) when `name` is not in `ns` but `newName` is in `toNs`.
       */
      op: 'link.move';
      ns?: string;
      name: string;
      /** Target namespace; absent: the daemon's own (not the apply's default). */
      toNs?: string;
      /** Name in the target namespace; absent: keep `name`. */
      newName?: string;
    }
  | { op: 'addr.add'; ns?: string; dev: string; cidr: string }
  | { op: 'addr.del'; ns?: string; dev: string; cidr: string }
  | { op: 'route.add'; ns?: string; route: RouteSpec }
  | { op: 'route.del'; ns?: string; route: RouteSpec }
  | { op: 'neigh.add'; ns?: string; dev: string; ip: string; mac?: string; proxy?: boolean }
  | { op: 'neigh.del'; ns?: string; dev: string; ip: string; mac?: string; proxy?: boolean }
  | { op: 'fdb.add'; ns?: string; dev: string; mac: string; dst?: string; self?: boolean }
  | { op: 'fdb.del'; ns?: string; dev: string; mac: string; dst?: string; self?: boolean }
  | { op: 'sysctl.set'; ns?: string; key: string; value: string; /** value before; filled in by apply */ prev?: string }
  | { op: 'nft.apply'; ns?: string; script: string; /** the script that undoes `script` */ undo: string };

export type OpName = KernelOp['op'];

/** The op that undoes `op`. For link.set and sysctl.set the previous values must be known. */
export function inverseOf(op: KernelOp): KernelOp {
  switch (op.op) {
    case 'netns.add':
      return { op: 'netns.del', name: op.name };
    case 'netns.del':
      return { op: 'netns.add', name: op.name };
    case 'link.add':
      return { op: 'link.del', ns: op.ns, name: op.link.name, link: op.link };
    case 'link.del':
      if (!op.link) throw new Error(`link.del ${op.name}: no link spec to recreate it from`);
      return { op: 'link.add', ns: op.ns, link: op.link };
    case 'link.set':
      if (!op.prev) throw new Error(`link.set ${op.name}: previous values unknown`);
      return { op: 'link.set', ns: op.ns, name: op.name, set: op.prev, prev: op.set };
    case 'link.move':
      return { op: 'link.move', ns: op.toNs, name: op.newName ?? op.name, toNs: op.ns, newName: op.name };
    case 'addr.add':
      return { ...op, op: 'addr.del' };
    case 'addr.del':
      return { ...op, op: 'addr.add' };
    case 'route.add':
      return { ...op, op: 'route.del' };
    case 'route.del':
      return { ...op, op: 'route.add' };
    case 'neigh.add':
      return { ...op, op: 'neigh.del' };
    case 'neigh.del':
      return { ...op, op: 'neigh.add' };
    case 'fdb.add':
      return { ...op, op: 'fdb.del' };
    case 'fdb.del':
      return { ...op, op: 'fdb.add' };
    case 'sysctl.set':
      if (op.prev === undefined) throw new Error(`sysctl.set ${op.key}: previous value unknown`);
      return { op: 'sysctl.set', ns: op.ns, key: op.key, value: op.prev, prev: op.value };
    case 'nft.apply':
      return { op: 'nft.apply', ns: op.ns, script: op.undo, undo: op.script };
  }
}

/** The reversed inverse of a plan: what tears down what `ops` set up. */
export function teardownOf(ops: readonly KernelOp[]): KernelOp[] {
  return [...ops].reverse().map(inverseOf);
}

/** A short human name of the object an op acts on, for errors and logs. */
export function describeOp(op: KernelOp): string {
  switch (op.op) {
    case 'netns.add':
    case 'netns.del':
      return `netns ${op.name}`;
    case 'link.add':
      return `link ${op.link.name}`;
    case 'link.del':
    case 'link.set':
      return `link ${op.name}`;
    case 'link.move':
      return `link ${op.name} → ${op.newName ?? op.name} in ${op.toNs === undefined ? "the daemon's netns" : `netns ${op.toNs}`}`;
    case 'addr.add':
    case 'addr.del':
      return `address ${op.cidr} on ${op.dev}`;
    case 'route.add':
    case 'route.del':
      return `route ${op.route.dst}${op.route.via ? ` via ${op.route.via}` : ''}${op.route.dev ? ` dev ${op.route.dev}` : ''}`;
    case 'neigh.add':
    case 'neigh.del':
      return `${op.proxy ? 'proxy ' : ''}neighbour ${op.ip} on ${op.dev}`;
    case 'fdb.add':
    case 'fdb.del':
      return `fdb ${op.mac} on ${op.dev}${op.dst ? ` dst ${op.dst}` : ''}`;
    case 'sysctl.set':
      return `sysctl ${op.key}`;
    case 'nft.apply':
      return 'nftables batch';
  }
}
