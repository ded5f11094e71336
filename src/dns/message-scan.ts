/**
 * A walk over an upstream's answer, without decoding it: where the TTLs are
 * (so a cached copy can be served with them counted down), the smallest one,
 * and the negative-caching TTL of an SOA in the authority section (RFC 2308).
 */
import { FLAG, HEADER_LEN, TYPE, skipName } from './wire.js';

export interface ResponseScan {
  rcode: number;
  truncated: boolean;
  answers: number;
  /** Offsets of the TTL fields of every record but OPT. */
  ttlOffsets: number[];
  /** Smallest TTL in the answer and authority sections; undefined when they are empty. */
  minTtl: number | undefined;
  /** min(SOA TTL, SOA minimum) of an SOA in the authority section. */
  negativeTtl: number | undefined;
}

/** Undefined when the message is malformed (a record runs past the end). */
export function scanResponse(buf: Buffer): ResponseScan | undefined {
  if (buf.length < HEADER_LEN) return undefined;
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  let off = HEADER_LEN;
  for (let i = 0; i < counts[0]; i++) {
    off = skipName(buf, off);
    if (off < 0 || off + 4 > buf.length) return undefined;
    off += 4;
  }
  const scan: ResponseScan = { rcode: flags & 0xf, truncated: (flags & FLAG.TC) !== 0, answers: counts[1], ttlOffsets: [], minTtl: undefined, negativeTtl: undefined };
  const records = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < records; i++) {
    off = skipName(buf, off);
    if (off < 0 || off + 10 > buf.length) return undefined;
    const type = buf.readUInt16BE(off);
    const ttl = buf.readUInt32BE(off + 4) & 0x7fffffff;
    const rdlen = buf.readUInt16BE(off + 8);
    const rdata = off + 10;
    if (rdata + rdlen > buf.length) return undefined;
    if (type !== TYPE.OPT) {
      scan.ttlOffsets.push(off + 4);
      if (i < counts[1] + counts[2]) scan.minTtl = Math.min(scan.minTtl ?? ttl, ttl);
    }
    const inAuthority = i >= counts[1] && i < counts[1] + counts[2];
    if (inAuthority && type === TYPE.SOA && rdlen >= 20) {
      scan.negativeTtl = Math.min(ttl, buf.readUInt32BE(rdata + rdlen - 4) & 0x7fffffff);
    }
    off = rdata + rdlen;
  }
  return scan;
}
