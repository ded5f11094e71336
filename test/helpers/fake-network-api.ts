/**
 * An in-memory NetworkApi for API and CLI tests: enough of the controller's
 * rules (unique names, lookups by name / id / id prefix, predefined networks,
 * endpoints, published ports) to exercise every RPC and every error path,
 * with the controller's error codes and Docker-shaped inspect objects.
 * Ids and timestamps are deterministic.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ConnectRequest,
  NetworkApi,
  NetworkCreateRequest,
  NetworkFilter,
  NetworkInspect,
  SandboxCreateRequest,
  SandboxInspect,
} from '../../src/cnm/api-types.js';
import { startGrpcServer, type RunningGrpcServer } from '../../src/api/grpc/server.js';
import { ErrorCodes, WeftError } from '../../src/errors/index.js';
import { silentLogger } from '../../src/log/logger.js';

const DRIVERS = new Set(['bridge', 'nat', 'overlay', 'macvlan', 'host', 'null']);
const PREDEFINED: readonly [string, string, string | undefined][] = [
  ['bridge', 'bridge', '172.17.0.0/16'],
  ['host', 'host', undefined],
  ['none', 'null', undefined],
];
const PORT_SPEC = /^(?:(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+)(?:-(\d+))?:)?(\d+)(?:\/(tcp|udp|sctp))?$/;

interface FakeNetwork {
  inspect: NetworkInspect;
  predefined: boolean;
  /** Next host number handed out in the first subnet. */
  nextHost: number;
}

interface FakeSandbox {
  inspect: SandboxInspect;
  /** "hostIp:hostPort/proto" of its published ports. */
  ports: string[];
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The n-th host address of an IPv4 subnet, e.g. ('10.0.0.0/24', 2) → 10.0.0.2. */
function hostOf(subnet: string, n: number): string {
  return intToIpv4(ipv4ToInt(subnet.split('/')[0] ?? '') + n);
}

function matchesLabel(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

export class FakeNetworkApi implements NetworkApi {
  /** Every NetworkApi method called, in order, so tests can assert that nothing was sent. */
  readonly calls: string[] = [];
  private readonly faults = new Map<string, unknown>();
  private readonly networks = new Map<string, FakeNetwork>();
  private readonly sandboxes = new Map<string, FakeSandbox>();
  private seq = 0;

  constructor(options: { predefined?: boolean } = {}) {
    if (options.predefined === false) return;
    for (const [name, driver, subnet] of PREDEFINED) {
      const net = this.addNetwork({ name, driver, subnets: subnet ? [subnet] : [] }, driver);
      net.predefined = true;
    }
  }

  /** The next call of `method` throws `err` instead of doing its work. */
  failNext(method: keyof NetworkApi, err: unknown): void {
    this.faults.set(method, err);
  }

  async createNetwork(req: NetworkCreateRequest): Promise<NetworkInspect> {
    this.enter('createNetwork');
    const driver = req.driver ?? 'bridge';
    if (!DRIVERS.has(driver)) {
      throw new WeftError(ErrorCodes.UNKNOWN_DRIVER, 'NotFound', `plugin "${driver}" not found`);
    }
    if ([...this.networks.values()].some((n) => n.inspect.Name === req.name)) {
      throw new WeftError(ErrorCodes.NETWORK_EXISTS, 'Conflict', `network with name ${req.name} already exists`);
    }
    const subnets = req.subnets ?? [`172.${18 + this.networks.size}.0.0/16`];
    return structuredClone(this.addNetwork({ ...req, subnets }, driver).inspect);
  }

  async listNetworks(filter: NetworkFilter = {}): Promise<NetworkInspect[]> {
    this.enter('listNetworks');
    const keep = (n: NetworkInspect): boolean =>
      (!filter.driver || filter.driver.includes(n.Driver)) &&
      (!filter.name || filter.name.some((f) => n.Name.includes(f))) &&
      (!filter.id || filter.id.some((f) => n.Id.startsWith(f))) &&
      (!filter.label || filter.label.some((f) => matchesLabel(n.Labels, f)));
    return [...this.networks.values()].map((n) => n.inspect).filter(keep).map((n) => structuredClone(n));
  }

  async inspectNetwork(nameOrId: string): Promise<NetworkInspect> {
    this.enter('inspectNetwork');
    return structuredClone(this.findNetwork(nameOrId).inspect);
  }

  async removeNetwork(nameOrId: string): Promise<void> {
    this.enter('removeNetwork');
    const net = this.findNetwork(nameOrId);
    if (net.predefined) {
      throw new WeftError(ErrorCodes.PREDEFINED_NETWORK, 'Forbidden', `${net.inspect.Name} is a pre-defined network and cannot be removed`);
    }
    if (Object.keys(net.inspect.Containers).length > 0) {
      throw new WeftError(ErrorCodes.NETWORK_IN_USE, 'Conflict', `network ${net.inspect.Name} has active endpoints`);
    }
    this.networks.delete(net.inspect.Id);
  }

  async pruneNetworks(): Promise<string[]> {
    this.enter('pruneNetworks');
    const unused = [...this.networks.values()].filter((n) => !n.predefined && Object.keys(n.inspect.Containers).length === 0);
    for (const net of unused) this.networks.delete(net.inspect.Id);
    return unused.map((n) => n.inspect.Name);
  }

  async connect(req: ConnectRequest): Promise<void> {
    this.enter('connect');
    this.attach(this.findNetwork(req.network), this.findSandbox(req.sandbox), req);
  }

  async disconnect(network: string, sandbox: string, force = false): Promise<void> {
    this.enter('disconnect');
    const net = this.findNetwork(network);
    const sbx = this.findSandbox(sandbox);
    if (!(net.inspect.Name in sbx.inspect.Networks)) {
      // Forced disconnect of something not connected is done already.
      if (force) return;
      throw new WeftError(ErrorCodes.ENDPOINT_NOT_FOUND, 'NotFound', `sandbox ${sbx.inspect.Name} is not connected to network ${net.inspect.Name}`);
    }
    this.detach(net, sbx);
  }

  async createSandbox(req: SandboxCreateRequest): Promise<SandboxInspect> {
    this.enter('createSandbox');
    if ([...this.sandboxes.values()].some((s) => s.inspect.Name === req.name)) {
      throw new WeftError(ErrorCodes.SANDBOX_EXISTS, 'Conflict', `sandbox with name ${req.name} already exists`);
    }
    const networks = (req.networks ?? []).map((ref) => this.findNetwork(ref));
    const id = this.nextId('sandbox', req.name);
    const sbx: FakeSandbox = {
      inspect: {
        Name: req.name,
        Id: id,
        Created: this.nextTime(),
        SandboxKey: `/run/netns/weft-${req.name}`,
        Hostname: req.hostname ?? req.name,
        Dns: req.dns ?? [],
        DnsSearch: req.dnsSearch ?? [],
        Ports: {},
        Networks: {},
      },
      ports: [],
    };
    this.publish(sbx, req.publish ?? []);
    this.sandboxes.set(id, sbx);
    try {
      networks.forEach((net, i) => this.attach(net, sbx, i === 0 ? req : {}));
    } catch (err) {
      // A failed create leaves nothing behind.
      for (const net of networks) this.detach(net, sbx);
      this.sandboxes.delete(id);
      throw err;
    }
    return structuredClone(sbx.inspect);
  }

  async listSandboxes(): Promise<SandboxInspect[]> {
    this.enter('listSandboxes');
    return [...this.sandboxes.values()].map((s) => structuredClone(s.inspect));
  }

  async inspectSandbox(name: string): Promise<SandboxInspect> {
    this.enter('inspectSandbox');
    return structuredClone(this.findSandbox(name).inspect);
  }

  async removeSandbox(name: string): Promise<void> {
    this.enter('removeSandbox');
    const sbx = this.findSandbox(name);
    for (const networkName of Object.keys(sbx.inspect.Networks)) this.detach(this.findNetwork(networkName), sbx);
    this.sandboxes.delete(sbx.inspect.Id);
  }

  private enter(method: keyof NetworkApi): void {
    this.calls.push(method);
    const fault = this.faults.get(method);
    if (fault === undefined) return;
    this.faults.delete(method);
    throw fault;
  }

  private nextId(kind: string, name: string): string {
    return createHash('sha256').update(`${kind}/${name}/${++this.seq}`).digest('hex');
  }

  private nextTime(): string {
    return new Date(Date.UTC(2024, 0, 1) + this.seq * 1000).toISOString();
  }

  private addNetwork(req: NetworkCreateRequest, driver: string): FakeNetwork {
    const id = this.nextId('network', req.name);
    const config = (req.subnets ?? []).map((Subnet, i) => ({
      Subnet,
      Gateway: req.gateways?.[i] ?? hostOf(Subnet, 1),
      ...(req.ipRanges?.[i] ? { IPRange: req.ipRanges[i] } : {}),
      ...(i === 0 && req.auxAddresses ? { AuxiliaryAddresses: req.auxAddresses } : {}),
    }));
    const inspect: NetworkInspect = {
      Name: req.name,
      Id: id,
      Created: this.nextTime(),
      Scope: driver === 'overlay' ? 'swarm' : 'local',
      Driver: driver,
      EnableIPv6: req.ipv6 ?? false,
      IPAM: { Driver: req.ipamDriver ?? 'default', Options: req.ipamOptions ?? {}, Config: config },
      Internal: req.internal ?? false,
      Attachable: req.attachable ?? false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: {},
      Options: req.options ?? {},
      Labels: req.labels ?? {},
    };
    const net = { inspect, predefined: false, nextHost: 2 };
    this.networks.set(id, net);
    return net;
  }

  private findNetwork(ref: string): FakeNetwork {
    const all = [...this.networks.values()];
    const exact = all.find((n) => n.inspect.Id === ref) ?? all.find((n) => n.inspect.Name === ref);
    if (exact) return exact;
    const byPrefix = all.filter((n) => n.inspect.Id.startsWith(ref));
    if (byPrefix.length > 1) {
      throw new WeftError(ErrorCodes.NETWORK_AMBIGUOUS, 'BadRequest', `network ${ref} is ambiguous (${byPrefix.length} matches found on id prefix)`);
    }
    if (byPrefix[0]) return byPrefix[0];
    throw new WeftError(ErrorCodes.NETWORK_NOT_FOUND, 'NotFound', `network ${ref} not found`);
  }

  private findSandbox(ref: string): FakeSandbox {
    const all = [...this.sandboxes.values()];
    const found = all.find((s) => s.inspect.Id === ref || s.inspect.Name === ref) ?? all.find((s) => s.inspect.Id.startsWith(ref));
    if (found) return found;
    throw new WeftError(ErrorCodes.SANDBOX_NOT_FOUND, 'NotFound', `no such sandbox: ${ref}`);
  }

  private attach(net: FakeNetwork, sbx: FakeSandbox, req: { ipv4?: string; ipv6?: string; aliases?: string[] }): void {
    const name = net.inspect.Name;
    if (name in sbx.inspect.Networks) {
      throw new WeftError(ErrorCodes.ENDPOINT_EXISTS, 'Conflict', `sandbox ${sbx.inspect.Name} is already connected to network ${name}`);
    }
    const subnet = net.inspect.IPAM.Config[0]?.Subnet;
    const ip = req.ipv4 ?? (subnet ? hostOf(subnet, net.nextHost++) : '');
    const prefixLen = subnet ? Number(subnet.split('/')[1]) : 0;
    const endpointId = this.nextId('endpoint', `${name}/${sbx.inspect.Name}`);
    const mac = `02:42:${endpointId.slice(0, 8).replace(/(..)(?!$)/g, '$1:')}`;
    net.inspect.Containers[sbx.inspect.Id] = {
      Name: sbx.inspect.Name,
      EndpointID: endpointId,
      MacAddress: mac,
      IPv4Address: ip ? `${ip}/${prefixLen}` : '',
      IPv6Address: req.ipv6 ? `${req.ipv6}/64` : '',
    };
    sbx.inspect.Networks[name] = {
      NetworkID: net.inspect.Id,
      NetworkName: name,
      EndpointID: endpointId,
      Interface: `eth${Object.keys(sbx.inspect.Networks).length}`,
      MacAddress: mac,
      IPAddress: ip,
      IPPrefixLen: prefixLen,
      Gateway: net.inspect.IPAM.Config[0]?.Gateway ?? '',
      GlobalIPv6Address: req.ipv6 ?? '',
      GlobalIPv6PrefixLen: req.ipv6 ? 64 : 0,
      IPv6Gateway: '',
      Aliases: req.aliases ?? [],
    };
  }

  private detach(net: FakeNetwork, sbx: FakeSandbox): void {
    delete net.inspect.Containers[sbx.inspect.Id];
    delete sbx.inspect.Networks[net.inspect.Name];
  }

  private publish(sbx: FakeSandbox, specs: string[]): void {
    const taken = new Set([...this.sandboxes.values()].flatMap((s) => s.ports));
    for (const spec of specs) {
      const m = PORT_SPEC.exec(spec);
      if (!m) throw new WeftError(ErrorCodes.BAD_PORT_SPEC, 'BadRequest', `invalid port specification "${spec}"`);
      const [, hostIp = '0.0.0.0', hostPort = String(49152 + this.seq), , containerPort, proto = 'tcp'] = m;
      const key = `${hostIp}:${hostPort}/${proto}`;
      if (taken.has(key)) {
        throw new WeftError(ErrorCodes.PORT_CONFLICT, 'Conflict', `Bind for ${hostIp}:${hostPort} failed: port is already allocated`);
      }
      taken.add(key);
      sbx.ports.push(key);
      (sbx.inspect.Ports[`${containerPort}/${proto}`] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
    }
  }
}

export interface FakeDaemon {
  api: FakeNetworkApi;
  socketPath: string;
  /** unix:// address of the socket, for -H and WEFT_HOST. */
  target: string;
  stop(): Promise<void>;
}

/** A gRPC server over a fresh FakeNetworkApi on a socket in a temporary directory. */
export async function startFakeDaemon(version = '9.9.9-test'): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-api-'));
  const socketPath = join(dir, 'weft.sock');
  const api = new FakeNetworkApi();
  let server: RunningGrpcServer;
  try {
    server = await startGrpcServer({ socketPath, api, version, log: silentLogger() });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    api,
    socketPath,
    target: `unix://${socketPath}`,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
