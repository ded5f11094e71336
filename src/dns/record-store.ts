/**
 * What the resolver knows: networks, the endpoints on them with their names,
 * service VIPs, and the sandboxes it serves. Plain data changed only through
 * `apply(op)`, so the same ops can be sent to a worker thread's copy. Kinds of
 * name record:
 *
 * - endpoint: a sandbox's name, aliases and short id → its addresses on one network;
 * - service: a service's names → its virtual IPs (filled by ingress, later);
 * - task set: `tasks.<service>` → the addresses of every endpoint tagged with that service.
 */
export interface DnsNetwork {
  id: string;
  name: string;
  /** Sandboxes on this network may have names forwarded to upstream servers (not internal, not none/host). */
  forwarding: boolean;
  /** Subnets (CIDR): PTR queries for addresses in them are answered here, never forwarded. */
  subnets: string[];
}

export interface DnsEndpoint {
  id: string;
  networkId: string;
  sandboxId: string;
  /** The first is the primary name (the target of PTR answers). */
  names: string[];
  v4?: string;
  v6?: string;
  /** The service this endpoint is a task of: it answers for `tasks.<service>`. */
  service?: string;
}

/** A service's virtual IPs on one network. */
export interface DnsService {
  id: string;
  networkId: string;
  names: string[];
  vip4?: string;
  vip6?: string;
}

export interface DnsSandbox {
  id: string;
  name: string;
  netns: string;
  /** Its own upstream servers (--dns); empty: the host's resolvers. */
  upstreams: string[];
}

export type StoreOp =
  | { kind: 'network'; put: DnsNetwork }
  | { kind: 'endpoint'; put: DnsEndpoint }
  | { kind: 'service'; put: DnsService }
  | { kind: 'sandbox'; put: DnsSandbox }
  | { kind: 'network' | 'endpoint' | 'service' | 'sandbox'; remove: string };

export class RecordStore {
  /** Bumped by every op: readers compare it to know their derived data is stale. */
  generation = 0;
  readonly networks = new Map<string, DnsNetwork>();
  readonly endpoints = new Map<string, DnsEndpoint>();
  readonly services = new Map<string, DnsService>();
  readonly sandboxes = new Map<string, DnsSandbox>();
  /** Per network: bumped when anything its names depend on changes. */
  private readonly networkGenerations = new Map<string, number>();
  private readonly endpointsByNetwork = new Index();
  private readonly endpointsBySandbox = new Index();

  apply(op: StoreOp): void {
    this.generation++;
    if ('put' in op) this.put(op);
    else this.remove(op.kind, op.remove);
  }

  /** Ops that rebuild this store from empty (for a worker thread that starts late). */
  snapshot(): StoreOp[] {
    return [
      ...[...this.networks.values()].map((put): StoreOp => ({ kind: 'network', put })),
      ...[...this.sandboxes.values()].map((put): StoreOp => ({ kind: 'sandbox', put })),
      ...[...this.endpoints.values()].map((put): StoreOp => ({ kind: 'endpoint', put })),
      ...[...this.services.values()].map((put): StoreOp => ({ kind: 'service', put })),
    ];
  }

  networkGeneration(networkId: string): number {
    return this.networkGenerations.get(networkId) ?? 0;
  }

  /** The networks a sandbox is attached to, sorted (a view key). */
  networksOf(sandboxId: string): string[] {
    const ids = new Set<string>();
    for (const id of this.endpointsBySandbox.of(sandboxId)) {
      const networkId = this.endpoints.get(id)!.networkId;
      if (this.networks.has(networkId)) ids.add(networkId);
    }
    return [...ids].sort();
  }

  endpointsOn(networkId: string): DnsEndpoint[] {
    return [...this.endpointsByNetwork.of(networkId)].map((id) => this.endpoints.get(id)!);
  }

  servicesOn(networkId: string): DnsService[] {
    return [...this.services.values()].filter((s) => s.networkId === networkId);
  }

  private put(op: Exclude<StoreOp, { remove: string }>): void {
    switch (op.kind) {
      case 'network':
        this.networks.set(op.put.id, op.put);
        this.touch(op.put.id);
        break;
      case 'endpoint':
        this.removeEndpoint(op.put.id);
        this.endpoints.set(op.put.id, op.put);
        this.endpointsByNetwork.add(op.put.networkId, op.put.id);
        this.endpointsBySandbox.add(op.put.sandboxId, op.put.id);
        this.touch(op.put.networkId);
        break;
      case 'service':
        this.touch(this.services.get(op.put.id)?.networkId);
        this.services.set(op.put.id, op.put);
        this.touch(op.put.networkId);
        break;
      case 'sandbox':
        this.sandboxes.set(op.put.id, op.put);
        break;
    }
  }

  private remove(kind: StoreOp['kind'], id: string): void {
    switch (kind) {
      case 'network':
        this.networks.delete(id);
        this.networkGenerations.delete(id);
        break;
      case 'endpoint':
        this.removeEndpoint(id);
        break;
      case 'service':
        this.touch(this.services.get(id)?.networkId);
        this.services.delete(id);
        break;
      case 'sandbox':
        this.sandboxes.delete(id);
        break;
    }
  }

  private removeEndpoint(id: string): void {
    const ep = this.endpoints.get(id);
    if (!ep) return;
    this.endpoints.delete(id);
    this.endpointsByNetwork.delete(ep.networkId, id);
    this.endpointsBySandbox.delete(ep.sandboxId, id);
    this.touch(ep.networkId);
  }

  private touch(networkId: string | undefined): void {
    if (networkId !== undefined) this.networkGenerations.set(networkId, this.generation);
  }
}

/** Ids grouped by an owner id. */
class Index {
  private readonly groups = new Map<string, Set<string>>();

  of(owner: string): ReadonlySet<string> {
    return this.groups.get(owner) ?? new Set();
  }

  add(owner: string, id: string): void {
    const group = this.groups.get(owner);
    if (group) group.add(id);
    else this.groups.set(owner, new Set([id]));
  }

  delete(owner: string, id: string): void {
    const group = this.groups.get(owner);
    if (!group) return;
    group.delete(id);
    if (group.size === 0) this.groups.delete(owner);
  }
}
