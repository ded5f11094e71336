/**
 * A small cache of upstream answers in wire form, per upstream set. Positive
 * answers live for their smallest TTL, negative ones (NXDOMAIN, NODATA) for
 * the SOA's negative TTL and are not cached without an SOA (RFC 2308 §5);
 * SERVFAIL and truncated answers are never cached. A hit is a copy with the
 * client's id and question spelling and every TTL counted down.
 */
import type { ResponseScan } from './message-scan.js';
import type { ParsedQuery } from './query.js';
import { FLAG, RCODE, truncatedResponse } from './wire.js';

/** TTLs are capped so a stale upstream answer cannot stick for days. */
export const MAX_CACHE_TTL = 3600;

interface CacheEntry {
  wire: Buffer;
  ttlOffsets: number[];
  ttls: number[];
  storedMs: number;
  expiresMs: number;
}

/** What a cached answer depends on besides the name: type, class, EDNS, DO and CD. */
export function cacheKey(q: ParsedQuery): string {
  const bits = (q.ednsSize !== 0 ? 1 : 0) | (q.dnssecOk ? 2 : 0) | (q.flags & FLAG.CD ? 4 : 0);
  return String.fromCharCode(q.type, q.klass, bits) + q.key;
}

/** How long an answer may be cached, in seconds; 0: not at all. */
export function cacheableTtl(scan: ResponseScan): number {
  if (scan.truncated) return 0;
  const negative = scan.rcode === RCODE.NXDOMAIN || (scan.rcode === RCODE.NOERROR && scan.answers === 0);
  if (negative) return Math.min(scan.negativeTtl ?? 0, MAX_CACHE_TTL);
  if (scan.rcode !== RCODE.NOERROR) return 0;
  return Math.min(scan.minTtl ?? 0, MAX_CACHE_TTL);
}

export class ResponseCache {
  private readonly entries = new Map<string, CacheEntry>();

  private readonly nowMs: () => number;

  constructor(
    private readonly maxEntries = 4096,
    nowMs?: () => number,
  ) {
    this.nowMs = nowMs ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  put(key: string, response: Buffer, scan: ResponseScan): void {
    const ttl = cacheableTtl(scan);
    if (ttl <= 0) return;
    const now = this.nowMs();
    const ttls = scan.ttlOffsets.map((o) => response.readUInt32BE(o) & 0x7fffffff);
    this.entries.delete(key);
    this.entries.set(key, { wire: Buffer.from(response), ttlOffsets: scan.ttlOffsets, ttls, storedMs: now, expiresMs: now + ttl * 1000 });
    // Oldest first: Map keeps insertion order.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The cached answer for the query, ready to send, or undefined. */
  answer(key: string, query: Buffer, q: ParsedQuery, maxLen: number): Buffer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.nowMs();
    if (now >= entry.expiresMs) {
      this.entries.delete(key);
      return undefined;
    }
    const out = Buffer.allocUnsafe(entry.wire.length);
    entry.wire.copy(out);
    out[0] = query[0]!;
    out[1] = query[1]!;
    // RD as this client asked (byte 2, lowest bit).
    out[2] = (out[2]! & 0xfe) | (query[2]! & 0x01);
    // The question as this client spelled it (same length: the keys matched).
    query.copy(out, 12, 12, q.nameEnd);
    const elapsed = Math.floor((now - entry.storedMs) / 1000);
    for (let i = 0; i < entry.ttlOffsets.length; i++) out.writeUInt32BE(Math.max(entry.ttls[i]! - elapsed, 0), entry.ttlOffsets[i]!);
    return out.length > maxLen ? truncatedResponse(out, q.end, q.ednsSize !== 0) : out;
  }

  clear(): void {
    this.entries.clear();
  }
}
