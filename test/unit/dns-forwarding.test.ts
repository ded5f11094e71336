/**
 * Names weft does not own go to the sandbox's --dns servers, else the host's
 * resolvers: failover, TCP on truncation, SERVFAIL when every upstream
 * fails, a cache that counts TTLs down and caches NXDOMAIN only with an SOA,
 * one exchange for identical questions in flight, and a bound on the
 * exchanges in flight. The upstreams are scripted (no sockets).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { addresses, answerFor, parse, query, RCODE, rcodeOf } from '../helpers/dns-packets.js';
import { testEngine, topology, type TestEngine } from '../helpers/dns-engine.js';

let t: TestEngine;
beforeEach(() => {
  t = testEngine();
  t.apply(...topology());
});

const answering = (address: string, ttl = 60) => (_u: unknown, packet: Buffer) => answerFor(packet, [{ type: 'A', address, ttl }]);
const soa = { type: 'SOA' as const, primary: 'ns.example', admin: 'h.example', serial: 1, refresh: 1, retry: 1, expiration: 1, minimum: 20, ttl: 300 };

describe('forwarding', () => {
  it('asks the host resolvers for a sandbox without --dns, its own servers otherwise, and relays the answer as its own', async () => {
    t.upstreams.script = answering('192.0.2.80');
    const reply = (await t.ask('web', query('WWW.Example.COM', { id: 77 })))!;
    expect(addresses(reply)).toEqual(['192.0.2.80']);
    const parsed = parse(reply);
    expect([parsed.header.id, parsed.questions[0]!.name]).toEqual([77, 'WWW.Example.COM']);
    await t.ask('api', query('other.example'));
    expect(t.upstreams.calls.map((c) => c.upstream)).toEqual(['192.0.2.53', '198.51.100.1']);
    // the upstream saw a fresh id, not the client's
    expect(t.upstreams.calls[0]!.packet.readUInt16BE(0)).not.toBe(77);
  });

  it('fails over when an upstream times out, and asks the live one first afterwards', async () => {
    t.upstreams.script = (u, packet) => (u.address === '198.51.100.1' ? 'timeout' : answerFor(packet, [{ type: 'A', address: '192.0.2.9' }]));
    expect(addresses((await t.ask('api', query('a.example')))!)).toEqual(['192.0.2.9']);
    expect(t.upstreams.calls.map((c) => c.upstream)).toEqual(['198.51.100.1', '198.51.100.2']);
    await t.ask('api', query('b.example'));
    expect(t.upstreams.calls.map((c) => c.upstream).slice(2)).toEqual(['198.51.100.2']);
  });

  it('tries the next upstream after SERVFAIL or REFUSED, and answers SERVFAIL when all fail', async () => {
    t.upstreams.script = (u, packet) => answerFor(packet, [], u.address === '198.51.100.1' ? RCODE.REFUSED : RCODE.NXDOMAIN);
    expect(rcodeOf((await t.ask('api', query('gone.example')))!)).toBe(RCODE.NXDOMAIN);
    t.upstreams.script = () => 'timeout';
    const reply = (await t.ask('api', query('down.example', { edns: true })))!;
    expect(rcodeOf(reply)).toBe(RCODE.SERVFAIL);
    expect(parse(reply).additionals.map((r) => r.type)).toEqual([41]);
    t.host.servers = [];
    expect(rcodeOf((await t.ask('web', query('none.example')))!)).toBe(RCODE.SERVFAIL);
  });

  it('retries over TCP when the UDP answer is truncated', async () => {
    t.upstreams.script = (_u, packet, transport) => {
      const full = answerFor(packet, [{ type: 'A', address: '192.0.2.1' }, { type: 'A', address: '192.0.2.2' }]);
      if (transport === 'tcp') return full;
      const tc = answerFor(packet, []);
      tc[2]! |= 0x02;
      return tc;
    };
    expect(addresses((await t.ask('web', query('big.example')))!)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(t.upstreams.calls.map((c) => c.transport)).toEqual(['udp', 'tcp']);
  });
});

describe('cache', () => {
  it('serves a repeated question from the cache with the TTL counted down, until it expires', async () => {
    t.upstreams.script = answering('192.0.2.80', 60);
    await t.ask('web', query('c.example'));
    t.clock.now += 25_000;
    const cached = parse((await t.ask('web', query('C.EXAMPLE', { id: 9 })))!);
    expect(t.upstreams.calls).toHaveLength(1);
    expect([cached.header.id, cached.questions[0]!.name, cached.answers[0]!.ttl]).toEqual([9, 'C.EXAMPLE', 35]);
    t.clock.now += 36_000;
    await t.ask('web', query('c.example'));
    expect(t.upstreams.calls).toHaveLength(2);
  });

  it('caches NXDOMAIN for the SOA negative TTL, and not at all without an SOA', async () => {
    t.upstreams.script = (_u, packet) => answerFor(packet, [soa], RCODE.NXDOMAIN);
    await t.ask('web', query('nx.example'));
    t.clock.now += 19_000;
    expect(rcodeOf((await t.ask('web', query('nx.example')))!)).toBe(RCODE.NXDOMAIN);
    expect(t.upstreams.calls).toHaveLength(1);
    t.clock.now += 2_000;
    await t.ask('web', query('nx.example'));
    expect(t.upstreams.calls).toHaveLength(2);
    t.upstreams.script = (_u, packet) => answerFor(packet, [], RCODE.NXDOMAIN);
    await t.ask('web', query('nx2.example'));
    await t.ask('web', query('nx2.example'));
    expect(t.upstreams.calls).toHaveLength(4);
  });

  it('keeps answers apart by type and EDNS, and per upstream set', async () => {
    t.upstreams.script = answering('192.0.2.80');
    await t.ask('web', query('k.example'));
    await t.ask('web', query('k.example', { edns: true }));
    await t.ask('web', query('k.example', { type: 'AAAA' }));
    await t.ask('api', query('k.example'));
    expect(t.upstreams.calls).toHaveLength(4);
  });
});

describe('load', () => {
  it('sends identical questions in flight upstream once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    t.upstreams.script = async (_u, packet) => {
      await gate;
      return answerFor(packet, [{ type: 'A', address: '192.0.2.5' }]);
    };
    const replies = [t.ask('web', query('same.example', { id: 1 })), t.ask('db', query('same.example', { id: 2 }))];
    release();
    const [r1, r2] = await Promise.all(replies);
    expect(t.upstreams.calls).toHaveLength(1);
    expect([r1!.readUInt16BE(0), r2!.readUInt16BE(0)]).toEqual([1, 2]);
    expect(addresses(r2!)).toEqual(['192.0.2.5']);
  });

  it('answers SERVFAIL at once past the bound on exchanges in flight', async () => {
    t = testEngine({ maxInFlight: 1 });
    t.apply(...topology());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    t.upstreams.script = async (_u, packet) => {
      await gate;
      return answerFor(packet, [{ type: 'A', address: '192.0.2.5' }]);
    };
    const first = t.ask('web', query('one.example'));
    expect(rcodeOf((await t.ask('web', query('two.example')))!)).toBe(RCODE.SERVFAIL);
    release();
    expect(addresses((await first)!)).toEqual(['192.0.2.5']);
  });
});
