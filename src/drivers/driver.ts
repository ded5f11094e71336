/**
 * The driver port. Mirrors Docker's network-driver API so that the plugin
 * server and a remote-driver client are thin adapters, but a weft driver is
 * pure: it validates options and returns *plans* (kernel ops) and data; the
 * controller applies plans, persists them, and tears them down with
 * `teardownOf(plan)`. Drivers never import cnm and never touch the kernel.
 */
import type { Feature } from '../kernel/kernel.js';
import type { KernelOp } from '../kernel/ops.js';

export type Scope = 'local' | 'global' | 'swarm';

export interface DriverCapabilities {
  scope: Scope;
  connectivityScope: Scope;
  /** Whether endpoints get addresses from IPAM (false for host/null). */
  usesIpam: boolean;
  /** Whether the driver supports published ports (ProgramExternalConnectivity). */
  portPublishing: boolean;
  /** Networks sit on the host's own LAN (macvlan): an explicit subnet may overlap the host's routes. */
  attachesToHostLan?: boolean;
}

/** One subnet of a network, as IPAM gave it. */
export interface SubnetData {
  poolId: string;
  /** IPAM address space of the pool (remote drivers get it in IPv4Data/IPv6Data); absent: LocalDefault. */
  addressSpace?: string;
  /** Subnet CIDR, e.g. 10.1.0.0/24. */
  subnet: string;
  /** Gateway with the subnet's prefix length, e.g. 10.1.0.1/24. Absent on internal networks without one. */
  gateway?: string;
  ipRange?: string;
  auxAddresses: Record<string, string>;
}

export interface NetworkSpec {
  id: string;
  name: string;
  /** `-o` options (com.docker.network.bridge.name, …, com.docker.network.driver.mtu). */
  options: Record<string, string>;
  labels: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  ipv6: boolean;
  v4: SubnetData[];
  v6: SubnetData[];
}

/** What a driver decided for a network; persisted with it and given back on every later call. */
export interface NetworkPlan {
  /**
   * Ops that create the network's kernel objects (in the daemon's namespace).
   * A link several networks share (a VLAN sub-interface as macvlan parent)
   * is in each one's plan: adds are idempotent, and removing a network leaves
   * a link another network's plan also adds, so it goes with the last of them.
   */
  ops: KernelOp[];
  /** Driver-private state (bridge name, mtu, parsed options …), JSON-serialisable. */
  data: Record<string, unknown>;
  /** Firewall intent for this network; the controller renders all networks' intents into one table. */
  firewall?: NetworkFirewall;
  /** Kernel features the ops need; the controller checks them (`kernel.require`) before applying: WEFT_KERNEL_UNSUPPORTED. */
  requires?: { feature: Feature; purpose: string }[];
}

/**
 * What planning a network needs to know about the host that a pure driver
 * cannot find out (see Driver.requirements).
 */
export interface NetworkRequirements {
  /** Links of the daemon's namespace whose presence the plan depends on (a macvlan parent). */
  links: string[];
}

/** What the controller found out for a driver with `requirements`; passed to createNetwork. */
export interface HostFacts {
  /** Of the links `requirements` named, those present in the daemon's namespace. */
  presentLinks: string[];
  /** The driver's other networks, so that it can share or refuse a parent they use. */
  networks: NetworkInfo[];
}

export interface NetworkFirewall {
  /** Host-side devices of this network: the bridge, or the pattern of its p2p veths. */
  devices: string[];
  subnets: string[];
  /** Masquerade traffic leaving the network (not internal, enable_ip_masquerade). */
  masquerade: boolean;
  /** Containers on this network may talk to each other (enable_icc). */
  icc: boolean;
  internal: boolean;
  /** L2 bridge whose port-to-port traffic icc=false must filter (bridge family). */
  bridge?: string;
  /** Default host address for published ports (com.docker.network.bridge.host_binding_ipv4). */
  hostBindingIpv4?: string;
}

/** A network as drivers see it later on: the spec plus what createNetwork decided. */
export interface NetworkInfo extends NetworkSpec {
  driverData: Record<string, unknown>;
}

export interface EndpointSpec {
  id: string;
  networkId: string;
  /** Address with prefix (10.1.0.2/24); absent when the driver uses no IPAM. */
  addressV4?: string;
  addressV6?: string;
  mac?: string;
  options: Record<string, string>;
}

/**
 * Where the endpoint's sandbox end goes. `netns`: weft owns the sandbox, the
 * device is created directly in it with its final name and configured there.
 * `host`: the Docker path, the device stays in the daemon's namespace under a
 * name derived from the endpoint id and the engine moves it.
 */
export type EndpointPlacement =
  | { kind: 'netns'; netns: string; ifname: string; /** this endpoint provides the default route */ defaultGateway: boolean }
  | { kind: 'host' };

export interface EndpointPlan {
  ops: KernelOp[];
  /** Driver-private endpoint state (device names …). */
  data: Record<string, unknown>;
  /** Interface as created (MAC the driver chose, when it chose one). */
  mac?: string;
  /** Name of the sandbox-side device in the daemon's namespace when placement is `host`. */
  srcName?: string;
  /** Host-side devices of this endpoint, for the firewall: nat p2p veths, bridge ports (icc=false rules). */
  hostDevices?: string[];
}

export interface EndpointInfo extends EndpointSpec {
  driverData: Record<string, unknown>;
}

export interface JoinInfo {
  /** Docker's contract: SrcName (device in the daemon's namespace) and DstPrefix (eth). */
  interfaceName?: { srcName: string; dstPrefix: string };
  /** Plain IPs. */
  gateway?: string;
  gatewayV6?: string;
  staticRoutes: { destination: string; routeType: 0 | 1; nextHop?: string }[];
  disableGatewayService: boolean;
}

export interface PortMapping {
  proto: 'tcp' | 'udp' | 'sctp';
  /** Host address; '' or '0.0.0.0' for every address. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/**
 * Built-in drivers are pure and answer synchronously. A remote driver (a
 * third-party Docker plugin) acts on its own side and answers over HTTP, so
 * calls may return promises, and the optional hooks tell it when objects go.
 * In dockerd's order: `leave` before the controller tears the endpoint's plan
 * down, `deleteEndpoint` after it (a moved device is back under its SrcName),
 * `deleteNetwork` before the network's teardown; a hook's failure is logged
 * and the removal goes on, as Docker does. A change that fails to commit after
 * the driver planned it gets the same hooks.
 */
export interface Driver {
  readonly name: string;
  capabilities(): DriverCapabilities;
  /** Validate and plan a network. Throws WeftError (BadRequest) on bad options, before anything happens. */
  createNetwork(spec: NetworkSpec, host?: HostFacts): NetworkPlan | Promise<NetworkPlan>;
  /**
   * Optional: the host facts createNetwork needs (it validates what it reads
   * from the spec, as createNetwork does). The controller looks them up and
   * passes them as `host`; drivers without it get no HostFacts.
   */
  requirements?(spec: NetworkSpec): NetworkRequirements;
  /** Validate and plan an endpoint on `network`. */
  createEndpoint(network: NetworkInfo, endpoint: EndpointSpec, placement: EndpointPlacement): EndpointPlan | Promise<EndpointPlan>;
  join(network: NetworkInfo, endpoint: EndpointInfo): JoinInfo | Promise<JoinInfo>;
  leave?(network: NetworkInfo, endpoint: EndpointInfo): Promise<void>;
  deleteEndpoint?(network: NetworkInfo, endpoint: EndpointInfo): Promise<void>;
  deleteNetwork?(network: NetworkInfo): Promise<void>;
}
