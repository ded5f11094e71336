/**
 * One thread's resolver: the record store, the views built from it, the
 * forwarders, and the per-query decision. `handle` is synchronous up to the
 * point where a query has to wait for an upstream, so a change applied to the
 * store is seen by the very next query.
 */
import { Forwarder, ForwardingState } from './forwarder.js';
import { localAnswer } from './local-answer.js';
import { oddQueryResponse } from './odd-queries.js';
import { Parse, ParsedQuery, parseQuery } from './query.js';
import { RecordStore, type StoreOp } from './record-store.js';
import { type Exchanger, parseUpstream, socketExchanger, type Upstream } from './upstream-exchange.js';
import { usableUpstreams } from './host-resolvers.js';
import { type View, ViewCache } from './view.js';
import { FLAG, RCODE, emptyResponse, headerOnlyResponse, udpLimit } from './wire.js';

export type Transport = 'udp' | 'tcp';
export type Reply = (response: Buffer) => void;
/** Hands a query that needs an upstream to another thread's engine (a worker's to the main thread's). */
export type Delegate = (sandboxId: string, query: Buffer, transport: Transport, reply: Reply) => void;

/** Zone transfers are not something a stub resolver serves. */
const TRANSFER_TYPES = new Set([251, 252]);
const TCP_LIMIT = 65535;
/** Views and forwarders kept beyond the sandboxes' needs before they are pruned. */
const PRUNE_SLACK = 64;

export interface DnsLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EngineOptions {
  /** The daemon's resolvers: upstreams of sandboxes without their own. */
  hostResolvers: { nameservers(): string[] };
  log: DnsLog;
  timeoutMs?: number;
  maxInFlight?: number;
  exchanger?: Exchanger;
  /** Monotonic milliseconds (cache ages, upstream penalties); tests pass a fake clock. */
  nowMs?: () => number;
  /** Called before each query (a worker thread catches up with the store's ops here). */
  beforeQuery?: () => void;
  /**
   * Cache misses go here instead of to the upstreams: a worker thread lets the
   * main thread forward, so there is one forwarder (one in-flight budget, one
   * health table, one exchange per question) and the main thread's cache
   * answers the TCP retry of a truncated answer. The answer is cached here too.
   */
  delegate?: Delegate;
}

/** What a sandbox's sockets resolve with: its view and its upstreams, refreshed when the store changes. */
export class SandboxContext {
  private generation = -1;
  private view!: View;

  constructor(
    private readonly engine: DnsEngine,
    readonly sandboxId: string,
  ) {}

  currentView(): View {
    const store = this.engine.store;
    if (this.generation !== store.generation) {
      this.view = this.engine.viewFor(this.sandboxId);
      this.generation = store.generation;
    }
    return this.view;
  }
}

export class DnsEngine {
  readonly store = new RecordStore();
  private readonly views = new ViewCache(this.store);
  private readonly forwarders = new Map<string, Forwarder>();
  private readonly state: ForwardingState;
  private readonly q = new ParsedQuery();
  private readonly beforeQuery: () => void;

  constructor(private readonly options: EngineOptions) {
    this.state = new ForwardingState(options.maxInFlight, undefined, options.nowMs);
    this.beforeQuery = options.beforeQuery ?? (() => undefined);
  }

  apply(op: StoreOp): void {
    this.store.apply(op);
    if (op.kind === 'sandbox' && 'remove' in op) this.prune();
  }

  context(sandboxId: string): SandboxContext {
    return new SandboxContext(this, sandboxId);
  }

  viewFor(sandboxId: string): View {
    return this.views.get(this.store.networksOf(sandboxId));
  }

  /** Answers one query from a sandbox; `reply` is called at most once (never for queries to drop). */
  handle(ctx: SandboxContext, query: Buffer, transport: Transport, reply: Reply): void {
    this.beforeQuery();
    const q = this.q;
    const parsed = parseQuery(query, q);
    if (parsed !== Parse.Ok) {
      if (parsed === Parse.FormErr) reply(headerOnlyResponse(query, RCODE.FORMERR));
      else if (parsed === Parse.Odd) reply(oddQueryResponse(query));
      return;
    }
    const view = ctx.currentView();
    const maxLen = transport === 'udp' ? udpLimit(q.ednsSize) : TCP_LIMIT;
    const local = localAnswer(query, q, view, maxLen);
    if (local !== undefined) return reply(local);
    this.notOurs(ctx.sandboxId, view, query, q, transport, reply);
  }

  private notOurs(sandboxId: string, view: View, query: Buffer, q: ParsedQuery, transport: Transport, reply: Reply): void {
    const maxLen = transport === 'udp' ? udpLimit(q.ednsSize) : TCP_LIMIT;
    const edns = q.ednsSize !== 0;
    const ra = view.forwarding ? FLAG.RA : 0;
    // One of our names in another class, or a zone transfer: not served here, and not sent on.
    if (view.names.has(q.key) || TRANSFER_TYPES.has(q.type)) return reply(emptyResponse(query, q.end, RCODE.REFUSED, ra, edns));
    if (view.ownsReverse(q.key)) return reply(emptyResponse(query, q.end, RCODE.NXDOMAIN, FLAG.AA | ra, edns));
    // Internal networks (and none) reach nothing outside: external names do not exist there.
    if (!view.forwarding) return reply(emptyResponse(query, q.end, RCODE.NXDOMAIN, 0, edns));
    const forwarder = this.forwarderFor(sandboxId);
    if (!forwarder) return reply(emptyResponse(query, q.end, RCODE.SERVFAIL, ra, edns));
    const delegate = this.options.delegate;
    if (delegate === undefined) return forwarder.resolve(query, q, maxLen, reply);
    const hit = forwarder.cached(query, q, maxLen);
    if (hit !== undefined) return reply(hit);
    const question = Object.assign(new ParsedQuery(), q);
    delegate(sandboxId, query, transport, (response) => {
      forwarder.remember(question, response);
      reply(response);
    });
  }

  private upstreamsOf(sandboxId: string): string[] {
    const own = this.store.sandboxes.get(sandboxId)?.upstreams ?? [];
    return usableUpstreams(own.length > 0 ? own : this.options.hostResolvers.nameservers());
  }

  private forwarderFor(sandboxId: string): Forwarder | undefined {
    const servers = this.upstreamsOf(sandboxId);
    const key = servers.join(' ');
    let forwarder = this.forwarders.get(key);
    if (forwarder) return forwarder;
    const upstreams = servers.map((s) => parseUpstream(s)).filter((u): u is Upstream => u !== undefined);
    if (upstreams.length === 0) return undefined;
    forwarder = new Forwarder(upstreams, {
      state: this.state,
      exchanger: this.options.exchanger ?? socketExchanger,
      timeoutMs: this.options.timeoutMs ?? 1500,
      log: this.options.log,
      nowMs: this.options.nowMs,
    });
    this.forwarders.set(key, forwarder);
    return forwarder;
  }

  /**
   * Drops views and forwarders (with their caches) that no sandbox uses any
   * more; only once there are clearly more than needed, so that removing
   * sandboxes one by one stays cheap.
   */
  private prune(): void {
    const slack = this.store.sandboxes.size + PRUNE_SLACK;
    if (this.views.size <= slack && this.forwarders.size <= PRUNE_SLACK) return;
    const viewKeys = new Set<string>();
    const upstreamKeys = new Set<string>();
    for (const id of this.store.sandboxes.keys()) {
      viewKeys.add(this.store.networksOf(id).join(','));
      upstreamKeys.add(this.upstreamsOf(id).join(' '));
    }
    this.views.retain(viewKeys);
    for (const key of this.forwarders.keys()) if (!upstreamKeys.has(key)) this.forwarders.delete(key);
  }
}
