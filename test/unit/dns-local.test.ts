/**
 * Names weft owns, answered by the engine's fast path: scoping to shared
 * networks, A/AAAA/PTR, qualified names, aliases with several holders,
 * spelling, EDNS and truncation, changes visible to the next query, and the
 * error answers (FORMERR, NOTIMP, BADVERS, REFUSED). Replies are decoded with dns2.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_TTL } from '../../src/dns/view.js';
import { addresses, parse, query, RCODE, rcodeOf } from '../helpers/dns-packets.js';
import { testEngine, topology, type TestEngine } from '../helpers/dns-engine.js';

let t: TestEngine;
beforeEach(() => {
  t = testEngine();
  t.apply(...topology());
});

const a = async (sandbox: string, name: string, type: 'A' | 'AAAA' = 'A') => addresses((await t.ask(sandbox, query(name, { type })))!);

describe('names on shared networks', () => {
  it('resolves sandboxes that share a network, and only those', async () => {
    expect(await a('web', 'api')).toEqual(['10.5.0.3']);
    expect(await a('api', 'web')).toEqual(['10.5.0.2']);
    expect(await a('api', 'db')).toEqual(['10.6.0.4']);
    expect(await a('db', 'api')).toEqual(['10.6.0.3']);
    // web and db share nothing: db is not a name of weft's for web, so it goes upstream, which knows nothing of it
    expect(await a('web', 'db')).toEqual([]);
    expect(await a('iso', 'web')).toEqual([]);
    expect(t.upstreams.calls.every((c) => parse(c.packet).questions[0]!.name === 'db')).toBe(true);
  });

  it('answers A and AAAA; a name without AAAA gets NOERROR and no records, not NXDOMAIN', async () => {
    expect(await a('api', 'web', 'AAAA')).toEqual(['fd00:5::2']);
    const reply = (await t.ask('web', query('api', { type: 'AAAA' })))!;
    expect(rcodeOf(reply)).toBe(RCODE.NOERROR);
    expect(parse(reply).answers).toEqual([]);
    expect(parse(reply).header.aa).toBe(1);
  });

  it('resolves aliases, the short id and name.network, case-insensitively, echoing the spelling', async () => {
    expect(await a('api', 'www')).toEqual(['10.5.0.2']);
    expect(await a('db', 'api.back')).toEqual(['10.6.0.3']);
    expect(await a('db', 'api.front')).toEqual([]);
    const reply = parse((await t.ask('web', query('ApI.FrOnT')))!);
    expect(reply.questions[0]!.name).toBe('ApI.FrOnT');
    expect(reply.answers.map((r) => [r.name, r.address, r.ttl])).toEqual([['ApI.FrOnT', '10.5.0.3', LOCAL_TTL]]);
  });

  it('gives every holder of an alias, in random order', async () => {
    expect(await a('api', 'cache')).toEqual(['10.5.0.3', '10.6.0.4']);
    expect(await a('web', 'cache')).toEqual(['10.5.0.3']);
    const orders = new Set<string>();
    for (let i = 0; i < 40; i++) orders.add(parse((await t.ask('api', query('cache')))!).answers.map((r) => r.address).join());
    expect(orders.size).toBe(2);
  });

  it('answers PTR for every address of the shared networks, NXDOMAIN for a free one, and sends others on', async () => {
    const ptr = async (sandbox: string, name: string) => t.ask(sandbox, query(name, { type: 'PTR' }));
    expect(parse((await ptr('web', '3.0.5.10.in-addr.arpa'))!).answers.map((r) => r.domain)).toEqual(['api.front']);
    expect(parse((await ptr('api', '2.0.5.10.in-addr.arpa'))!).answers.map((r) => r.domain)).toEqual(['web.front']);
    const v6 = `2.${'0.'.repeat(23)}5.0.0.0.0.0.d.f.ip6.arpa`;
    expect(parse((await ptr('api', v6))!).answers.map((r) => r.domain)).toEqual(['web.front']);
    expect(rcodeOf((await ptr('web', '99.0.5.10.in-addr.arpa'))!)).toBe(RCODE.NXDOMAIN);
    expect(t.upstreams.calls).toEqual([]);
    // db's address is on a network web is not on: not weft's answer to give
    expect(rcodeOf((await ptr('web', '4.0.6.10.in-addr.arpa'))!)).toBe(RCODE.SERVFAIL);
    expect(t.upstreams.calls.length).toBeGreaterThan(0);
  });

  it('sees a change at the very next query: connect, alias change, disconnect, remove', async () => {
    t.apply({ kind: 'endpoint', put: { id: 'e-db2', networkId: 'front', sandboxId: 'db', names: ['db', 'store'], v4: '10.5.0.9' } });
    expect(await a('web', 'db')).toEqual(['10.5.0.9']);
    expect(await a('web', 'store')).toEqual(['10.5.0.9']);
    t.apply({ kind: 'endpoint', put: { id: 'e-db2', networkId: 'front', sandboxId: 'db', names: ['db', 'shop'], v4: '10.5.0.9' } });
    expect(await a('web', 'store')).toEqual([]);
    expect(await a('web', 'shop')).toEqual(['10.5.0.9']);
    t.apply({ kind: 'endpoint', remove: 'e-db2' });
    expect(await a('web', 'db')).toEqual([]);
    t.apply({ kind: 'endpoint', remove: 'e-api1' }, { kind: 'endpoint', remove: 'e-api2' }, { kind: 'sandbox', remove: 'api' });
    expect(await a('web', 'api')).toEqual([]);
  });

  it('serves future service VIPs and tasks.<service> from the same store', async () => {
    t.apply({ kind: 'service', put: { id: 'svc', networkId: 'front', names: ['shop'], vip4: '10.5.0.100' } });
    t.apply({ kind: 'endpoint', put: { id: 't1', networkId: 'front', sandboxId: 'x1', names: ['x1'], v4: '10.5.0.11', service: 'shop' } });
    t.apply({ kind: 'endpoint', put: { id: 't2', networkId: 'front', sandboxId: 'x2', names: ['x2'], v4: '10.5.0.12', service: 'shop' } });
    expect(await a('web', 'shop')).toEqual(['10.5.0.100']);
    expect(await a('web', 'tasks.shop')).toEqual(['10.5.0.11', '10.5.0.12']);
    expect(parse((await t.ask('web', query('100.0.5.10.in-addr.arpa', { type: 'PTR' })))!).answers[0]!.domain).toBe('shop.front');
  });
});

describe('snapshot', () => {
  it('rebuilds an equal store (what a worker thread that starts late is given)', async () => {
    t.apply({ kind: 'service', put: { id: 'svc', networkId: 'front', names: ['shop'], vip4: '10.5.0.100' } });
    const copy = testEngine();
    copy.apply(...t.engine.store.snapshot());
    for (const [sandbox, name] of [['web', 'api'], ['api', 'cache'], ['db', 'api.back'], ['web', 'shop']] as const) {
      expect(await a(sandbox, name)).toEqual(addresses((await copy.ask(sandbox, query(name)))!));
    }
  });
});

describe('internal and none networks', () => {
  it('an internal network resolves its own names, forwards nothing and says NXDOMAIN', async () => {
    t.apply({ kind: 'endpoint', put: { id: 'e-iso2', networkId: 'int', sandboxId: 'db', names: ['db'], v4: '10.7.0.3' } });
    expect(await a('iso', 'db')).toEqual(['10.7.0.3']);
    const reply = (await t.ask('iso', query('example.com')))!;
    expect(rcodeOf(reply)).toBe(RCODE.NXDOMAIN);
    expect(parse(reply).header.ra).toBe(0);
    expect(rcodeOf((await t.ask('lone', query('example.com')))!)).toBe(RCODE.NXDOMAIN);
    expect(t.upstreams.calls).toEqual([]);
  });
});

describe('message handling', () => {
  it('adds an OPT record when the query had one, and truncates what does not fit UDP', async () => {
    expect(parse((await t.ask('web', query('api', { edns: true })))!).additionals.map((r) => r.type)).toEqual([41]);
    for (let i = 0; i < 40; i++) {
      t.apply({ kind: 'endpoint', put: { id: `m${i}`, networkId: 'front', sandboxId: `m${i}`, names: ['many'], v4: `10.5.0.${100 + i}` } });
    }
    const udp = parse((await t.ask('web', query('many')))!);
    expect([udp.header.tc, udp.answers.length]).toEqual([1, 0]);
    expect(parse((await t.ask('web', query('many', { edns: true })))!).answers).toHaveLength(40);
    expect(parse((await t.ask('web', query('many'), 'tcp'))!).answers).toHaveLength(40);
  });

  it('answers broken and unusual queries with an error, drops what cannot be answered', async () => {
    const truncated = query('api').subarray(0, 16);
    const formerr = (await t.ask('web', truncated))!;
    expect([formerr.readUInt16BE(0), rcodeOf(formerr)]).toEqual([0x1234, RCODE.FORMERR]);
    const status = query('api');
    status[2] = (2 << 3) | 1;
    expect(rcodeOf((await t.ask('web', status))!)).toBe(RCODE.NOTIMP);
    const v1 = query('api', { edns: true });
    v1[v1.length - 5] = 1;
    const badvers = parse((await t.ask('web', v1))!);
    expect(badvers.header.rcode).toBe(16);
    expect(rcodeOf((await t.ask('web', query('front', { type: 'AXFR' })))!)).toBe(RCODE.REFUSED);
    expect(rcodeOf((await t.ask('web', query('api', { klass: 3 })))!)).toBe(RCODE.REFUSED);
    // A hostile header (huge counts) is answered from the header alone, at once.
    const hostile = Buffer.from(status);
    hostile.writeUInt16BE(65535, 4);
    hostile.writeUInt32BE(0xffffffff, 6);
    const started = performance.now();
    const notimp = (await t.ask('web', hostile))!;
    expect([notimp.length, rcodeOf(notimp)]).toEqual([12, RCODE.NOTIMP]);
    expect(performance.now() - started).toBeLessThan(20);
    const response = query('api');
    response[2]! |= 0x80;
    expect(await t.ask('web', response)).toBeUndefined();
    expect(await t.ask('web', Buffer.alloc(3))).toBeUndefined();
  });
});
