/**
 * The fast path: an answer for a name weft owns, assembled from the query's
 * own header and question and the view's precomputed records (whose owner
 * names point at the question, so the client's spelling comes back as sent).
 */
import type { ParsedQuery } from './query.js';
import type { NameAnswers, Rrset, View } from './view.js';
import { CLASS_IN, FLAG, OPT_RECORD_LEN, RCODE, TYPE, emptyResponse, responseFlags, writeOpt } from './wire.js';

function rrsetFor(answers: NameAnswers, type: number): Rrset | undefined {
  switch (type) {
    case TYPE.A:
      return answers.a;
    case TYPE.AAAA:
      return answers.aaaa;
    case TYPE.PTR:
      return answers.ptr;
    case TYPE.ANY:
      return answers.any;
    default:
      return undefined;
  }
}

/**
 * The answer to `query` from `view`, or undefined when the name is not in it
 * (or the class is not IN). A name without records of the asked type gets an
 * empty NOERROR (NODATA), never NXDOMAIN: the name exists.
 */
export function localAnswer(query: Buffer, q: ParsedQuery, view: View, maxLen: number): Buffer | undefined {
  const answers = view.names.get(q.key);
  if (answers === undefined || q.klass !== CLASS_IN) return undefined;
  const flags = FLAG.AA | (view.forwarding ? FLAG.RA : 0);
  const rrset = rrsetFor(answers, q.type);
  const withOpt = q.ednsSize !== 0;
  if (rrset === undefined) return emptyResponse(query, q.end, RCODE.NOERROR, flags, withOpt);
  const len = q.end + rrset.data.length + (withOpt ? OPT_RECORD_LEN : 0);
  if (len > maxLen) return emptyResponse(query, q.end, RCODE.NOERROR, flags | FLAG.TC, withOpt);
  const out = Buffer.allocUnsafe(len);
  query.copy(out, 0, 0, q.end);
  const outFlags = responseFlags(q.flags, flags, RCODE.NOERROR);
  out[2] = outFlags >> 8;
  out[3] = outFlags & 0xff;
  out[6] = rrset.count >> 8;
  out[7] = rrset.count & 0xff;
  out[8] = 0;
  out[9] = 0;
  out[10] = 0;
  out[11] = withOpt ? 1 : 0;
  rrset.data.copy(out, q.end);
  if (rrset.count > 1 && rrset.size > 0) shuffleRecords(out, q.end, rrset.count, rrset.size);
  if (withOpt) writeOpt(out, q.end + rrset.data.length);
  return out;
}

/** Fisher–Yates over fixed-size records in place: several holders of a name come back in random order. */
function shuffleRecords(buf: Buffer, start: number, count: number, size: number): void {
  const tmp = Buffer.allocUnsafe(size);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    if (j === i) continue;
    const a = start + i * size;
    const b = start + j * size;
    buf.copy(tmp, 0, a, a + size);
    buf.copy(buf, a, b, b + size);
    tmp.copy(buf, b);
  }
}
