/**
 * Forwarding of names weft does not own to one list of upstream servers:
 * cache first; identical questions in flight share one exchange; UDP, with a
 * TCP retry when the answer is truncated; each upstream gets its own timeout
 * and the next is tried when it times out, is unreachable or answers
 * SERVFAIL/REFUSED/NOTIMP; upstreams that failed recently go last. Every
 * query gets an answer: the upstream's, or SERVFAIL when none gave one.
 */
import { randomFillSync } from 'node:crypto';
import { scanResponse } from './message-scan.js';
import type { ParsedQuery } from './query.js';
import { ResponseCache, cacheKey } from './response-cache.js';
import { type Exchanger, type Upstream, upstreamKey } from './upstream-exchange.js';
import { FLAG, RCODE, emptyResponse, truncatedResponse } from './wire.js';

export interface ForwardingLog {
  debug(obj: object, msg: string): void;
}

/** Shared by every forwarder of one engine: the in-flight budget and which upstreams failed lately. */
export class ForwardingState {
  inFlight = 0;
  private readonly failedUntil = new Map<string, number>();

  private readonly nowMs: () => number;

  constructor(
    readonly maxInFlight = 512,
    private readonly penaltyMs = 30_000,
    nowMs?: () => number,
  ) {
    this.nowMs = nowMs ?? (() => performance.now());
  }

  /** Upstreams in their configured order, those that failed in the last `penaltyMs` last. */
  order(upstreams: readonly Upstream[]): Upstream[] {
    const now = this.nowMs();
    const failing = (u: Upstream) => (this.failedUntil.get(upstreamKey(u)) ?? 0) > now;
    return [...upstreams.filter((u) => !failing(u)), ...upstreams.filter(failing)];
  }

  failed(u: Upstream): void {
    this.failedUntil.set(upstreamKey(u), this.nowMs() + this.penaltyMs);
  }

  succeeded(u: Upstream): void {
    this.failedUntil.delete(upstreamKey(u));
  }
}

interface Waiter {
  query: Buffer;
  nameEnd: number;
  end: number;
  edns: boolean;
  maxLen: number;
  reply: (response: Buffer) => void;
}

export interface ForwarderOptions {
  state: ForwardingState;
  exchanger: Exchanger;
  timeoutMs: number;
  log: ForwardingLog;
  cacheEntries?: number;
  nowMs?: () => number;
}

/** Upstream rcodes after which the next upstream is asked. */
const TRY_NEXT = new Set<number>([RCODE.SERVFAIL, RCODE.REFUSED, RCODE.NOTIMP]);

export class Forwarder {
  readonly cache: ResponseCache;
  private readonly pending = new Map<string, Waiter[]>();

  constructor(
    readonly upstreams: readonly Upstream[],
    private readonly options: ForwarderOptions,
  ) {
    this.cache = new ResponseCache(options.cacheEntries, options.nowMs);
  }

  /** The cached answer to the query, ready to send, or undefined. */
  cached(query: Buffer, q: ParsedQuery, maxLen: number): Buffer | undefined {
    return this.cache.answer(cacheKey(q), query, q, maxLen);
  }

  /** Caches an answer obtained elsewhere (by another thread's forwarder) for the question `q`. */
  remember(q: ParsedQuery, response: Buffer): void {
    const scan = scanResponse(response);
    if (scan) this.cache.put(cacheKey(q), response, scan);
  }

  /** Answers the query from the cache or the upstreams; `reply` is called exactly once. */
  resolve(query: Buffer, q: ParsedQuery, maxLen: number, reply: (response: Buffer) => void): void {
    const key = cacheKey(q);
    const hit = this.cache.answer(key, query, q, maxLen);
    if (hit) return reply(hit);
    const waiter: Waiter = { query, nameEnd: q.nameEnd, end: q.end, edns: q.ednsSize !== 0, maxLen, reply };
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.push(waiter);
      return;
    }
    const state = this.options.state;
    if (state.inFlight >= state.maxInFlight) return reply(servfail(waiter));
    state.inFlight++;
    this.pending.set(key, [waiter]);
    void this.exchange(query, q.end)
      .catch(() => undefined)
      .then((response) => {
        state.inFlight--;
        this.settle(key, response);
      });
  }

  private async exchange(query: Buffer, questionEnd: number): Promise<Buffer | undefined> {
    const packet = Buffer.from(query);
    randomFillSync(packet, 0, 2);
    const { state, exchanger, timeoutMs, log } = this.options;
    let fallback: Buffer | undefined;
    for (const upstream of state.order(this.upstreams)) {
      try {
        let response = await exchanger.udp(upstream, packet, questionEnd, timeoutMs);
        if (response.readUInt16BE(2) & FLAG.TC) response = await exchanger.tcp(upstream, packet, questionEnd, timeoutMs);
        state.succeeded(upstream);
        if (!TRY_NEXT.has(response[3]! & 0xf)) return response;
        fallback = response;
      } catch (err) {
        state.failed(upstream);
        log.debug({ upstream: upstream.address, err: (err as Error).message }, 'dns upstream failed');
      }
    }
    return fallback;
  }

  private settle(key: string, response: Buffer | undefined): void {
    const waiters = this.pending.get(key) ?? [];
    this.pending.delete(key);
    const scan = response ? scanResponse(response) : undefined;
    if (response && scan) this.cache.put(key, response, scan);
    for (const w of waiters) w.reply(response && scan ? relay(response, w) : servfail(w));
  }
}

/** The upstream's answer as this client's: its id, its spelling of the question, its RD, its size limit. */
function relay(response: Buffer, w: Waiter): Buffer {
  const out = Buffer.from(response);
  out[0] = w.query[0]!;
  out[1] = w.query[1]!;
  out[2] = (out[2]! & 0xfe) | (w.query[2]! & 0x01);
  w.query.copy(out, 12, 12, w.nameEnd);
  return out.length > w.maxLen ? truncatedResponse(out, w.end, w.edns) : out;
}

function servfail(w: Waiter): Buffer {
  return emptyResponse(w.query, w.end, RCODE.SERVFAIL, FLAG.RA, w.edns);
}
