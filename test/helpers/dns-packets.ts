/**
 * DNS messages for tests, built and read with dns2 (an encoder and decoder
 * independent of weft's own wire code).
 */
import dns2 from 'dns2';

const { Packet } = dns2;
export type Dns2Packet = InstanceType<typeof Packet>;

export interface QueryOptions {
  id?: number;
  type?: keyof typeof Packet.TYPE;
  edns?: boolean;
  rd?: boolean;
  klass?: number;
}

export function query(name: string, options: QueryOptions = {}): Buffer {
  const p = new Packet();
  p.header.id = options.id ?? 0x1234;
  p.header.rd = options.rd === false ? 0 : 1;
  p.questions.push({ name, type: Packet.TYPE[options.type ?? 'A'], class: options.klass ?? Packet.CLASS.IN } as never);
  if (options.edns) p.additionals.push(Packet.Resource.EDNS([]));
  return p.toBuffer();
}

export function parse(buf: Buffer): Dns2Packet {
  return Packet.parse(buf);
}

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** Addresses of the A/AAAA answers, sorted. */
export function addresses(buf: Buffer): string[] {
  return parse(buf)
    .answers.filter((a) => a.type === Packet.TYPE.A || a.type === Packet.TYPE.AAAA)
    .map((a) => a.address!)
    .sort();
}

export function rcodeOf(buf: Buffer): number {
  return buf[3]! & 0xf;
}

/** An answer for `request` with the given records, as an upstream server would send it. */
export function answerFor(request: Buffer, records: { name?: string; type: keyof typeof Packet.TYPE; ttl?: number; [k: string]: unknown }[], rcode = 0): Buffer {
  const req = Packet.parse(request);
  const res = Packet.createResponseFromRequest(req);
  res.header.ra = 1;
  res.header.rcode = rcode;
  for (const r of records) {
    const { type, ...rest } = r;
    const section = type === 'SOA' ? res.authorities : res.answers;
    section.push({ name: req.questions[0]!.name, class: Packet.CLASS.IN, ttl: 60, ...rest, type: Packet.TYPE[type] } as never);
  }
  return res.toBuffer();
}

export { Packet };
