/**
 * What the controller offers its clients (the gRPC API, the Docker plugin
 * adapter, tests): requests in weft's terms, answers in Docker's inspect
 * shapes so that `weft network inspect` prints what `docker network inspect` does.
 */

export interface NetworkCreateRequest {
  name: string;
  /** 'bridge' when absent. */
  driver?: string;
  /** --subnet, --gateway, --ip-range: matched to subnets by containment, as Docker does. */
  subnets?: string[];
  gateways?: string[];
  ipRanges?: string[];
  /** --aux-address NAME=IP */
  auxAddresses?: Record<string, string>;
  /** 'default' (weft's own) when absent. */
  ipamDriver?: string;
  ipamOptions?: Record<string, string>;
  /** -o/--opt */
  options?: Record<string, string>;
  labels?: Record<string, string>;
  internal?: boolean;
  attachable?: boolean;
  ipv6?: boolean;
}

export interface NetworkFilter {
  driver?: string[];
  name?: string[];
  /** 'key' or 'key=value' */
  label?: string[];
  id?: string[];
}

export interface ConnectRequest {
  /** Network name or id (or unique id prefix). */
  network: string;
  sandbox: string;
  ipv4?: string;
  ipv6?: string;
  aliases?: string[];
}

export interface SandboxCreateRequest {
  name: string;
  /** Networks to join, in order; the first non-internal one provides the default route. */
  networks?: string[];
  /** Static address on the first network (--ip). */
  ipv4?: string;
  ipv6?: string;
  aliases?: string[];
  /** -p/--publish specs: [hostIP:]hostPort[-range]:containerPort[/proto], or containerPort alone (random host port). */
  publish?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  hostname?: string;
}

/** `docker network inspect` element. Field names are Docker's. */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  IPAM: {
    Driver: string;
    Options: Record<string, string>;
    Config: { Subnet: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[];
  };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface SandboxEndpointInspect {
  NetworkID: string;
  NetworkName: string;
  EndpointID: string;
  Interface: string;
  MacAddress: string;
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPv6Gateway: string;
  Aliases: string[];
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface SandboxInspect {
  Name: string;
  Id: string;
  Created: string;
  /** Path of the namespace (/run/netns/NAME). */
  SandboxKey: string;
  Hostname: string;
  Dns: string[];
  DnsSearch: string[];
  /** Keyed like Docker: "80/tcp" → bindings. */
  Ports: Record<string, PortBinding[]>;
  Networks: Record<string, SandboxEndpointInspect>;
}

/** The controller as its clients use it. */
export interface NetworkApi {
  createNetwork(req: NetworkCreateRequest): Promise<NetworkInspect>;
  listNetworks(filter?: NetworkFilter): Promise<NetworkInspect[]>;
  inspectNetwork(nameOrId: string): Promise<NetworkInspect>;
  removeNetwork(nameOrId: string): Promise<void>;
  /** Removes every network with no endpoints (except the predefined ones); returns their names. */
  pruneNetworks(): Promise<string[]>;
  connect(req: ConnectRequest): Promise<void>;
  disconnect(network: string, sandbox: string, force?: boolean): Promise<void>;
  createSandbox(req: SandboxCreateRequest): Promise<SandboxInspect>;
  listSandboxes(): Promise<SandboxInspect[]>;
  inspectSandbox(name: string): Promise<SandboxInspect>;
  removeSandbox(name: string, force?: boolean): Promise<void>;
}
