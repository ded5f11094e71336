/**
 * The kernel port: the only interface through which weft changes the OS.
 * `linux/` implements it with netlink, nft and the weft_netns addon;
 * `fake/` records ops against an in-memory model for unit tests.
 */
import type { KernelOp } from './ops.js';

export interface ApplyOptions {
  /** Namespace for ops that name none; the daemon's own when absent. */
  netns?: string;
}

export interface LinkState {
  name: string;
  index: number;
  /** 'bridge', 'veth', 'vxlan', 'macvlan', … or undefined for plain devices (lo, eth0). */
  kind?: string;
  mtu: number;
  mac?: string;
  up: boolean;
  master?: string;
  group: number;
}

export interface AddrState {
  dev: string;
  cidr: string;
  family: 4 | 6;
}

export interface RouteState {
  /** CIDR; 'default' for 0/0 and ::/0. */
  dst: string;
  family: 4 | 6;
  via?: string;
  dev?: string;
  table: number;
  scope?: string;
  protocol?: string;
}

export interface NeighState {
  dev: string;
  ip: string;
  mac?: string;
  proxy: boolean;
}

export interface FdbState {
  dev: string;
  mac: string;
  dst?: string;
  master?: string;
  self: boolean;
}

/** What the running kernel can do; features a driver needs are checked before planning. */
export interface KernelFeatures {
  veth: boolean;
  bridge: boolean;
  vxlan: boolean;
  macvlan: boolean;
  dummy: boolean;
  vlan: boolean;
  ipvlan: boolean;
  ipvs: boolean;
  esp: boolean;
  wireguard: boolean;
  nftables: boolean;
  xfrm: boolean;
}

export type Feature = keyof KernelFeatures;

export interface OpenSocketOptions {
  reusePort?: boolean;
}

export interface Kernel {
  /**
   * Apply ops in order. On failure, undo what this call applied, in reverse,
   * then throw a WeftError (code WEFT_KERNEL_OP_FAILED or a more specific one)
   * naming the op, the object and the errno. Returns the ops as applied, with
   * `prev` values filled in, so callers can persist exactly what they changed.
   */
  apply(ops: readonly KernelOp[], options?: ApplyOptions): Promise<KernelOp[]>;
  /**
   * Undo a plan: run the reversed inverse of `ops`, treating "already gone" as
   * success and carrying on past errors; throws one error listing all failures.
   */
  teardown(ops: readonly KernelOp[], options?: ApplyOptions): Promise<void>;

  netnsList(): Promise<string[]>;
  netnsExists(name: string): Promise<boolean>;
  links(netns?: string): Promise<LinkState[]>;
  addresses(netns?: string): Promise<AddrState[]>;
  routes(netns?: string): Promise<RouteState[]>;
  neighbours(netns?: string): Promise<NeighState[]>;
  fdb(netns?: string): Promise<FdbState[]>;
  sysctlGet(key: string, netns?: string): Promise<string>;
  /** `nft -j list ruleset` (or one table) parsed. */
  nftList(netns?: string, table?: { family: string; name: string }): Promise<unknown>;

  features(): Promise<KernelFeatures>;
  /** Throws WEFT_KERNEL_UNSUPPORTED with a clear message when the kernel lacks `feature`. */
  require(feature: Feature, purpose: string): Promise<void>;

  /**
   * A socket created and bound inside `netns` (for the embedded DNS). Returns its fd.
   * `reusePort` sets SO_REUSEPORT, so several sockets (one per thread) share the address.
   */
  openSocket(netns: string, family: 4 | 6, type: 'udp' | 'tcp', address: string, port: number, options?: OpenSocketOptions): number;

  /**
   * Resolves once links that teardowns retired instead of deleting (a veth
   * whose peer was in a sandbox: down, renamed away, freed in batches off
   * the daemon's thread) are really gone, including any an earlier run left.
   */
  settle(): Promise<void>;

  close(): Promise<void>;
}
