/**
 * The fast path's parser: just the header, the one question and an optional
 * OPT record, read by hand into a reusable object (no allocation but the
 * lower-cased name key). Anything else is classified, not interpreted.
 */
import { FLAG, HEADER_LEN, MAX_QUERY_LEN, OPCODE_MASK, TYPE } from './wire.js';

export const Parse = {
  /** A well-formed standard query with one question (and maybe EDNS). */
  Ok: 0,
  /** Not worth an answer: too short to carry an id, a response, or oversized. */
  Drop: 1,
  /** Malformed: answer FORMERR. */
  FormErr: 2,
  /** Well-formed but unusual (another opcode, other additional records, EDNS version ≠ 0): the odd-query path. */
  Odd: 3,
} as const;
export type ParseResult = (typeof Parse)[keyof typeof Parse];

export class ParsedQuery {
  id = 0;
  flags = 0;
  /**
   * The question's name in wire form (length-prefixed labels, no final zero
   * byte) as a latin1 string, lower-cased: the key of every name table.
   */
  key = '';
  /** Offset just past the question's name. */
  nameEnd = 0;
  /** Offset just past the question (name, type, class). */
  end = 0;
  type = 0;
  klass = 0;
  /** The client's EDNS UDP payload size, 0 without an OPT record. */
  ednsSize = 0;
  ednsVersion = 0;
  dnssecOk = false;

  get recursionDesired(): boolean {
    return (this.flags & FLAG.RD) !== 0;
  }
}

/** Parses `buf` into `q`. Only on `Parse.Ok` are all of `q`'s fields meaningful. */
export function parseQuery(buf: Buffer, q: ParsedQuery): ParseResult {
  const len = buf.length;
  if (len < HEADER_LEN || len > MAX_QUERY_LEN) return Parse.Drop;
  const flags = (buf[2]! << 8) | buf[3]!;
  // Never answer a response: that is how reflection loops start.
  if (flags & FLAG.QR) return Parse.Drop;
  q.id = (buf[0]! << 8) | buf[1]!;
  q.flags = flags;
  if (flags & OPCODE_MASK) return Parse.Odd;
  const qdcount = (buf[4]! << 8) | buf[5]!;
  const ancount = (buf[6]! << 8) | buf[7]!;
  const nscount = (buf[8]! << 8) | buf[9]!;
  const arcount = (buf[10]! << 8) | buf[11]!;
  if (qdcount !== 1 || ancount !== 0 || nscount !== 0) return Parse.FormErr;
  let off = HEADER_LEN;
  for (;;) {
    if (off >= len) return Parse.FormErr;
    const label = buf[off]!;
    if (label === 0) break;
    // Compression pointers cannot appear in the first name of a message.
    if (label > 63) return Parse.FormErr;
    off += label + 1;
    if (off - HEADER_LEN > 254) return Parse.FormErr;
  }
  if (off + 5 > len) return Parse.FormErr;
  q.nameEnd = off + 1;
  q.type = (buf[off + 1]! << 8) | buf[off + 2]!;
  q.klass = (buf[off + 3]! << 8) | buf[off + 4]!;
  q.end = off + 5;
  q.key = off === HEADER_LEN ? '' : buf.toString('latin1', HEADER_LEN, off).toLowerCase();
  q.ednsSize = 0;
  q.ednsVersion = 0;
  q.dnssecOk = false;
  if (arcount === 0) return q.end === len ? Parse.Ok : Parse.FormErr;
  if (arcount > 1) return Parse.Odd;
  return parseOpt(buf, q.end, q);
}

/** The one additional record: an OPT record (RFC 6891 §6.1.2) is understood, anything else is odd. */
function parseOpt(buf: Buffer, off: number, q: ParsedQuery): ParseResult {
  const len = buf.length;
  if (off + 11 > len) return Parse.FormErr;
  if (buf[off] !== 0 || ((buf[off + 1]! << 8) | buf[off + 2]!) !== TYPE.OPT) return Parse.Odd;
  const rdlen = (buf[off + 9]! << 8) | buf[off + 10]!;
  const optionsEnd = off + 11 + rdlen;
  if (optionsEnd !== len) return Parse.FormErr;
  for (let o = off + 11; o < optionsEnd; ) {
    if (o + 4 > optionsEnd) return Parse.FormErr;
    o += 4 + ((buf[o + 2]! << 8) | buf[o + 3]!);
    if (o > optionsEnd) return Parse.FormErr;
  }
  q.ednsSize = Math.max((buf[off + 3]! << 8) | buf[off + 4]!, 1);
  q.ednsVersion = buf[off + 6]!;
  q.dnssecOk = (buf[off + 7]! & 0x80) !== 0;
  return q.ednsVersion === 0 ? Parse.Ok : Parse.Odd;
}
