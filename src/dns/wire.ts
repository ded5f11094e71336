/**
 * DNS wire-format constants and the small builders shared by the fast path,
 * the odd-query path and the forwarder (RFC 1035 §4.1, RFC 6891 for OPT).
 */
export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, AD: 0x0020, CD: 0x0010 } as const;
export const OPCODE_MASK = 0x7800;

export const HEADER_LEN = 12;
/** Queries past this size are dropped unread: no legitimate query comes near it. */
export const MAX_QUERY_LEN = 4096;
/** Without EDNS a UDP answer is at most 512 bytes (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_LIMIT = 512;
/** The UDP payload size we advertise and honour at most (DNS flag day 2020). */
export const EDNS_UDP_LIMIT = 1232;
/** Our OPT record: root name, type 41, payload size, no extended rcode, version 0, no flags, no options. */
export const OPT_RECORD_LEN = 11;

/** The UDP size limit for an answer to a query that advertised `ednsSize` (0: no EDNS). */
export function udpLimit(ednsSize: number): number {
  if (ednsSize === 0) return CLASSIC_UDP_LIMIT;
  return Math.min(Math.max(ednsSize, CLASSIC_UDP_LIMIT), EDNS_UDP_LIMIT);
}

export function writeOpt(out: Buffer, offset: number): void {
  out[offset] = 0;
  out.writeUInt16BE(TYPE.OPT, offset + 1);
  out.writeUInt16BE(EDNS_UDP_LIMIT, offset + 3);
  out.writeUInt32BE(0, offset + 5);
  out.writeUInt16BE(0, offset + 9);
}

/** Response flags for a query's flags: QR set, opcode and RD kept, the given extras and rcode. */
export function responseFlags(queryFlags: number, extra: number, rcode: number): number {
  return FLAG.QR | (queryFlags & (OPCODE_MASK | FLAG.RD | FLAG.CD)) | extra | (rcode & 0xf);
}

/**
 * A header-only answer (no question, no records): for queries too broken to
 * echo their question. Needs at least the 4 bytes of id and flags.
 */
export function headerOnlyResponse(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_LEN);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out.writeUInt16BE(responseFlags((query[2]! << 8) | query[3]!, 0, rcode), 2);
  return out;
}

/**
 * An answer with the query's question and no records: NXDOMAIN, NODATA,
 * SERVFAIL, REFUSED. `questionEnd` is where the question ends in `query`.
 * An OPT record is added when the query had one.
 */
export function emptyResponse(query: Buffer, questionEnd: number, rcode: number, extraFlags: number, withOpt: boolean): Buffer {
  const out = Buffer.allocUnsafe(questionEnd + (withOpt ? OPT_RECORD_LEN : 0));
  query.copy(out, 0, 0, questionEnd);
  out.writeUInt16BE(responseFlags((query[2]! << 8) | query[3]!, extraFlags, rcode), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(withOpt ? 1 : 0, 10);
  if (withOpt) writeOpt(out, questionEnd);
  return out;
}

/**
 * The same answer marked truncated: header, question (and our OPT record if
 * the client used EDNS) only, so the client retries over TCP.
 */
export function truncatedResponse(response: Buffer, questionEnd: number, withOpt: boolean): Buffer {
  const out = Buffer.allocUnsafe(questionEnd + (withOpt ? OPT_RECORD_LEN : 0));
  response.copy(out, 0, 0, questionEnd);
  out.writeUInt16BE(response.readUInt16BE(2) | FLAG.TC, 2);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(withOpt ? 1 : 0, 10);
  if (withOpt) writeOpt(out, questionEnd);
  return out;
}

/**
 * Offset just past the (possibly compressed) name at `offset`, or -1 when it
 * runs off the end, has a reserved label type or is longer than 255 bytes.
 * Pointers are not followed: the name ends where the pointer is.
 */
export function skipName(buf: Buffer, offset: number): number {
  let off = offset;
  for (let total = 0; ; ) {
    if (off >= buf.length) return -1;
    const len = buf[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= buf.length ? off + 2 : -1;
    if (len & 0xc0) return -1;
    total += len + 1;
    if (total > 255) return -1;
    off += len + 1;
  }
}
