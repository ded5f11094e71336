/**
 * Queries the fast path does not take (another opcode, an EDNS version we do
 * not speak, additional records other than one OPT): decoded with dns2 and
 * answered with an error that says why, never silently dropped. They are rare
 * enough that a general decoder costs nothing here.
 */
import dns2 from 'dns2';
import { EDNS_UDP_LIMIT, RCODE, TYPE, headerOnlyResponse } from './wire.js';

const { Packet } = dns2;

type Dns2Packet = InstanceType<typeof Packet>;

/**
 * At most this many records besides the question before a message is worth
 * decoding: dns2 tries every record a header announces (and throws for each
 * one that is not there), so the counts of a hostile header must be bounded
 * before it sees the message.
 */
const MAX_ODD_RECORDS = 4;

/** Whether the header's counts are small enough to hand the message to the general decoder. */
function worthDecoding(query: Buffer): boolean {
  const qd = query.readUInt16BE(4);
  const others = query.readUInt16BE(6) + query.readUInt16BE(8) + query.readUInt16BE(10);
  return qd <= 1 && others <= MAX_ODD_RECORDS;
}

/** The answer to an odd query: NOTIMP, BADVERS or REFUSED, or FORMERR when even dns2 cannot make sense of it. */
export function oddQueryResponse(query: Buffer): Buffer {
  const opcode = (query[2]! >> 3) & 0xf;
  if (!worthDecoding(query)) return headerOnlyResponse(query, opcode !== 0 ? RCODE.NOTIMP : RCODE.FORMERR);
  let request: Dns2Packet;
  try {
    request = Packet.parse(query);
  } catch {
    return headerOnlyResponse(query, RCODE.FORMERR);
  }
  if (request.questions.length > 1) return headerOnlyResponse(query, RCODE.FORMERR);
  const response = Packet.createResponseFromRequest(request);
  const opt = request.additionals.find((r) => r?.type === TYPE.OPT) as (Dns2Packet['additionals'][number] & { version?: number }) | undefined;
  if (request.header.opcode !== 0) {
    response.header.rcode = RCODE.NOTIMP;
  } else if (opt && (opt.version ?? 0) !== 0) {
    // RFC 6891 §6.1.3: BADVERS is an extended rcode, carried partly in our OPT record.
    response.header.rcode = RCODE.BADVERS;
  } else {
    response.header.rcode = RCODE.REFUSED;
  }
  if (opt) {
    const makeOpt = Packet.Resource.EDNS as unknown as (rdata: object[], opts: { udpPayloadSize: number }) => Dns2Packet['additionals'][number];
    response.additionals.push(makeOpt([], { udpPayloadSize: EDNS_UDP_LIMIT }));
  }
  try {
    return response.toBuffer();
  } catch {
    return headerOnlyResponse(query, RCODE.FORMERR);
  }
}
