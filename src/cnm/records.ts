/**
 * What the controller persists. Each record holds the kernel ops that were
 * applied for it (with `prev` values), so teardown and restart reconcile work
 * from exactly what was done.
 */
import type { NetworkFirewall, SubnetData } from '../drivers/driver.js';
import type { KernelOp } from '../kernel/ops.js';

export interface NetworkRecord {
  id: string;
  name: string;
  driver: string;
  scope: string;
  created: string;
  ipamDriver: string;
  ipamOptions: Record<string, string>;
  options: Record<string, string>;
  labels: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  ipv6: boolean;
  v4: SubnetData[];
  v6: SubnetData[];
  /** Addresses this network holds in IPAM besides endpoints': gateways and aux addresses. */
  reserved: { poolId: string; address: string }[];
  driverData: Record<string, unknown>;
  firewall?: NetworkFirewall;
  ops: KernelOp[];
  /** bridge, host and none: made at first start, never removed. */
  predefined: boolean;
  /**
   * 'engine': made by dockerd through the plugin protocol (src/cnm/engine-ops.ts). The engine
   * owns its IPAM pools and addresses (it releases them itself) and its life: weft's API
   * neither removes it nor attaches sandboxes to it.
   */
  origin?: 'engine';
}

export interface EndpointRecord {
  id: string;
  networkId: string;
  sandboxId: string;
  /** Interface name inside the sandbox (eth0, eth1, …). */
  ifname: string;
  addressV4?: string;
  addressV6?: string;
  /** IPAM pools the addresses came from, to release them. */
  poolV4?: string;
  poolV6?: string;
  mac?: string;
  aliases: string[];
  /** This endpoint's gateway is the sandbox's default route. */
  gatewayProvider: boolean;
  hostDevices: string[];
  driverData: Record<string, unknown>;
  ops: KernelOp[];
  created: string;
  /** 'engine': made by dockerd; `sandboxId` is '' (the container is the engine's) and IPAM holdings are the engine's. */
  origin?: 'engine';
  /** Engine endpoints: the sandbox end's name in the daemon's namespace (Join's SrcName) until the engine moves it. */
  srcName?: string;
  /** Engine endpoints: between Join and Leave (the engine may have moved the sandbox end into a container). */
  engineJoined?: boolean;
  /** Engine endpoints: when create, Join or Leave last changed them (ISO time), for the stale-endpoint sweep. */
  engineSince?: string;
  /** Engine endpoints: host ports published by ProgramExternalConnectivity. */
  ports?: PublishedPort[];
}

/** A host port bound to a sandbox port. */
export interface PublishedPort {
  proto: 'tcp' | 'udp' | 'sctp';
  /** '' for every host address. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
  networkId: string;
  containerIp: string;
}

export interface PortSpec {
  proto: 'tcp' | 'udp' | 'sctp';
  hostIp: string;
  /** 0: any free port; a range start..end: the first free one in it. */
  hostPortStart: number;
  hostPortEnd: number;
  containerPort: number;
}

export interface SandboxRecord {
  id: string;
  name: string;
  /** Name under /run/netns. */
  netns: string;
  created: string;
  hostname: string;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  publish: PortSpec[];
  /** Host ports actually bound for `publish`, on the gateway-providing endpoint's network. */
  ports: PublishedPort[];
  /** Shares the daemon's network stack (host network). */
  hostNetwork: boolean;
  ops: KernelOp[];
  /** Set while `sandbox create` is joining its networks; a restart removes a sandbox left so. */
  creating?: boolean;
}

/** A change in flight: what to undo if the daemon dies before it is committed. */
export interface IntentRecord {
  id: string;
  what: string;
  ops: KernelOp[];
  addresses: { poolId: string; address: string }[];
  pools: string[];
  /** The IPAM the holdings belong to (a network's --ipam-driver); absent: the built-in one. */
  ipamDriver?: string;
}
