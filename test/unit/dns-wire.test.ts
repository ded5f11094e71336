/**
 * The fast path's hand-written wire code: the query parser's verdicts, name
 * keys and reverse names, and the response walker used for caching, checked
 * against messages built by dns2 (an independent encoder).
 */
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../src/ipam/cidr.js';
import { scanResponse } from '../../src/dns/message-scan.js';
import { addressOfReverseKey, keyToName, nameKey, reverseName } from '../../src/dns/names.js';
import { Parse, ParsedQuery, parseQuery } from '../../src/dns/query.js';
import { answerFor, query } from '../helpers/dns-packets.js';

function parsed(buf: Buffer): { result: number; q: ParsedQuery } {
  const q = new ParsedQuery();
  return { result: parseQuery(buf, q), q };
}

describe('query parser', () => {
  it('reads id, flags, the lower-cased name key, type, class and where the question ends', () => {
    const buf = query('WeB.Front', { id: 0xbeef, type: 'AAAA' });
    const { result, q } = parsed(buf);
    expect(result).toBe(Parse.Ok);
    expect(q).toMatchObject({ id: 0xbeef, key: nameKey('web.front'), type: 28, klass: 1, end: buf.length, ednsSize: 0 });
    expect(q.recursionDesired).toBe(true);
    expect(q.nameEnd).toBe(12 + 'WeB.Front'.length + 2);
  });

  it('understands one OPT record: payload size, version, DO bit', () => {
    const buf = query('a.b', { edns: true });
    const { result, q } = parsed(buf);
    expect(result).toBe(Parse.Ok);
    expect(q.ednsSize).toBe(4096);
    expect(q.ednsVersion).toBe(0);
    expect(q.end).toBeLessThan(buf.length);
  });

  it('drops what is too short, a response, or oversized', () => {
    expect(parsed(Buffer.alloc(11)).result).toBe(Parse.Drop);
    const response = query('a.b');
    response[2]! |= 0x80;
    expect(parsed(response).result).toBe(Parse.Drop);
    expect(parsed(Buffer.alloc(5000)).result).toBe(Parse.Drop);
  });

  it('calls malformed queries FORMERR: counts, labels, truncation, trailing bytes', () => {
    const good = query('a.b');
    const noQuestion = Buffer.from(good);
    noQuestion.writeUInt16BE(0, 4);
    const twoQuestions = Buffer.from(good);
    twoQuestions.writeUInt16BE(2, 4);
    const withAnswer = Buffer.from(good);
    withAnswer.writeUInt16BE(1, 6);
    const pointer = Buffer.from(good);
    pointer[12] = 0xc0;
    for (const bad of [noQuestion, twoQuestions, withAnswer, pointer, good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from([0])])]) {
      expect(parsed(bad).result).toBe(Parse.FormErr);
    }
    const longName = Buffer.concat([good.subarray(0, 12), Buffer.alloc(300, 1)]);
    expect(parsed(longName).result).toBe(Parse.FormErr);
  });

  it('leaves other opcodes, EDNS versions and extra records to the odd-query path', () => {
    const status = query('a.b');
    status[2] = (2 << 3) | 1;
    expect(parsed(status).result).toBe(Parse.Odd);
    const v1 = query('a.b', { edns: true });
    v1[v1.length - 5] = 1; // the OPT record's version byte
    expect(parsed(v1).result).toBe(Parse.Odd);
  });
});

describe('names', () => {
  it('keys are wire labels, lower-cased; invalid names have none', () => {
    expect(nameKey('Web.Front.')).toBe('\x03web\x05front');
    expect(keyToName(nameKey('my_db.net-1')!)).toBe('my_db.net-1');
    for (const bad of ['', 'a..b', 'has space', 'x'.repeat(64), `${'a.'.repeat(130)}b`]) expect(nameKey(bad)).toBeUndefined();
  });

  it('reverse names of IPv4 and IPv6 addresses, and back', () => {
    expect(reverseName(parseIp('10.5.0.2'))).toBe('2.0.5.10.in-addr.arpa');
    expect(reverseName(parseIp('fd00:5::2'))).toBe(`2.${'0.'.repeat(23)}5.0.0.0.0.0.d.f.ip6.arpa`);
    expect(addressOfReverseKey(nameKey('2.0.5.10.in-addr.arpa')!)).toEqual(parseIp('10.5.0.2'));
    expect(addressOfReverseKey(nameKey(reverseName(parseIp('fd00:5::2')))!)).toEqual(parseIp('fd00:5::2'));
    expect(addressOfReverseKey(nameKey('5.10.in-addr.arpa')!)).toBeUndefined();
    expect(addressOfReverseKey(nameKey('example.com')!)).toBeUndefined();
  });
});

describe('response walker', () => {
  it('finds every TTL, the smallest, and the negative TTL of an SOA', () => {
    const req = query('x.example', { edns: true });
    const res = answerFor(req, [
      { type: 'A', address: '192.0.2.7', ttl: 300 },
      { type: 'A', address: '192.0.2.8', ttl: 120 },
    ]);
    const scan = scanResponse(res)!;
    expect(scan).toMatchObject({ rcode: 0, truncated: false, answers: 2, minTtl: 120 });
    expect(scan.ttlOffsets.map((o) => res.readUInt32BE(o))).toEqual([300, 120]);
    const nx = answerFor(req, [{ type: 'SOA', primary: 'ns.example', admin: 'h.example', serial: 1, refresh: 1, retry: 1, expiration: 1, minimum: 30, ttl: 900 }], 3);
    expect(scanResponse(nx)).toMatchObject({ rcode: 3, answers: 0, negativeTtl: 30 });
    expect(scanResponse(res.subarray(0, res.length - 3))).toBeUndefined();
  });
});
