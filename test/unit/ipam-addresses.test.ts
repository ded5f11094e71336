import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { MemoryStore } from '../../src/store/memory.js';
import { rejection } from '../helpers/failures.js';

const LOCAL = 'LocalDefault';
const GATEWAY = { RequestAddressType: 'com.docker.network.gateway' };

async function withPool(pool: string, extra: { subPool?: string } = {}) {
  const store = new MemoryStore();
  const ipam = await DefaultIpam.open({ store });
  const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool, v6: pool.includes(':'), ...extra });
  const next = async () => (await ipam.requestAddress({ poolId })).address;
  return { store, ipam, poolId, next };
}

describe('DefaultIpam addresses', () => {
  it('gives the gateway the first usable address and containers the following ones, as CIDR with the pool prefix', async () => {
    const { ipam, poolId, next } = await withPool('10.20.0.0/16');
    expect(await ipam.requestAddress({ poolId, options: GATEWAY })).toEqual({ address: '10.20.0.1/16', data: {} });
    expect([await next(), await next()]).toEqual(['10.20.0.2/16', '10.20.0.3/16']);
  });

  it('honours a preferred gateway (--gateway) and records the kind and MAC in the store', async () => {
    const { ipam, store, poolId, next } = await withPool('10.20.0.0/24');
    const gw = await ipam.requestAddress({ poolId, address: '10.20.0.254', options: GATEWAY });
    expect(gw.address).toBe('10.20.0.254/24');
    await ipam.requestAddress({ poolId, options: { 'com.docker.network.endpoint.macaddress': '02:42:0a:14:00:01' } });
    const values = Object.fromEntries((await store.list('ipam/addr/')).map((e) => [e.key.split('/').pop(), JSON.parse(e.value)]));
    expect(values).toEqual({
      '10.20.0.254': { kind: 'gateway' },
      '10.20.0.1': { kind: 'address', mac: '02:42:0a:14:00:01' },
    });
    expect(await next()).toBe('10.20.0.2/24');
  });

  it('exhausts a /29 after its 6 usable addresses, never giving the network or broadcast address', async () => {
    const { next, poolId, ipam } = await withPool('10.30.0.0/29');
    const got = [];
    for (let i = 0; i < 6; i++) got.push(await next());
    expect(got).toEqual(['10.30.0.1', '10.30.0.2', '10.30.0.3', '10.30.0.4', '10.30.0.5', '10.30.0.6'].map((a) => `${a}/29`));
    const err = await rejection(next(), ErrorCodes.POOL_EXHAUSTED);
    expect(err.message).toContain(poolId);
    await rejection(ipam.requestAddress({ poolId, options: GATEWAY }), ErrorCodes.POOL_EXHAUSTED);
  });

  it.each([
    ['10.31.0.0/30', ['10.31.0.1/30', '10.31.0.2/30']],
    ['10.31.0.0/31', ['10.31.0.0/31', '10.31.0.1/31']],
    ['10.31.0.7/32', ['10.31.0.7/32']],
    ['fd00:1::/126', ['fd00:1::1/126', 'fd00:1::2/126', 'fd00:1::3/126']],
  ])('allocates exactly the usable addresses of %s', async (pool, expected) => {
    const { next } = await withPool(pool);
    const got = [];
    for (let i = 0; i < expected.length; i++) got.push(await next());
    expect(got).toEqual(expected);
    await rejection(next(), ErrorCodes.POOL_EXHAUSTED);
  });

  it('grants preferred (aux) addresses anywhere in the pool and skips them afterwards', async () => {
    const { ipam, poolId, next } = await withPool('10.40.0.0/24', { subPool: '10.40.0.0/28' });
    expect((await ipam.requestAddress({ poolId, address: '10.40.0.250' })).address).toBe('10.40.0.250/24');
    expect((await ipam.requestAddress({ poolId, address: '10.40.0.2/24' })).address).toBe('10.40.0.2/24');
    expect([await next(), await next()]).toEqual(['10.40.0.1/24', '10.40.0.3/24']);
  });

  it('rejects bad preferred addresses with the matching code', async () => {
    const { ipam, poolId } = await withPool('10.50.0.0/24');
    await ipam.requestAddress({ poolId, address: '10.50.0.9' });
    const inUse = await rejection(ipam.requestAddress({ poolId, address: '10.50.0.9' }), ErrorCodes.ADDRESS_IN_USE);
    expect(inUse.message).toBe(`address 10.50.0.9 is already allocated in pool ${poolId}`);
    const out = await rejection(ipam.requestAddress({ poolId, address: '10.51.0.9' }), ErrorCodes.ADDRESS_OUT_OF_RANGE);
    expect(out.message).toContain('outside subnet 10.50.0.0/24');
    const network = await rejection(ipam.requestAddress({ poolId, address: '10.50.0.0' }), ErrorCodes.ADDRESS_OUT_OF_RANGE);
    expect(network.message).toContain('the network address');
    const broadcast = await rejection(ipam.requestAddress({ poolId, address: '10.50.0.255' }), ErrorCodes.ADDRESS_OUT_OF_RANGE);
    expect(broadcast.message).toContain('the broadcast address');
    await rejection(ipam.requestAddress({ poolId, address: '10.50.0.300' }), ErrorCodes.BAD_ADDRESS);
    await rejection(ipam.requestAddress({ poolId, address: 'fd00::1' }), ErrorCodes.BAD_ADDRESS);
    await rejection(ipam.requestAddress({ poolId, address: '10.50.0.9/16' }), ErrorCodes.BAD_ADDRESS);
    await rejection(ipam.requestAddress({ poolId: 'LocalDefault/10.99.0.0/24' }), ErrorCodes.POOL_NOT_FOUND);
  });

  it('allocates round-robin: a released address is reused only after the cursor wraps', async () => {
    const { ipam, poolId, next } = await withPool('10.60.0.0/29');
    expect([await next(), await next(), await next()]).toEqual(['10.60.0.1/29', '10.60.0.2/29', '10.60.0.3/29']);
    await ipam.releaseAddress(poolId, '10.60.0.2');
    expect([await next(), await next(), await next()]).toEqual(['10.60.0.4/29', '10.60.0.5/29', '10.60.0.6/29']);
    expect(await next()).toBe('10.60.0.2/29'); // wrapped
    await rejection(next(), ErrorCodes.POOL_EXHAUSTED);
  });

  it('releases an address from the store; releasing one that is not allocated is WEFT_ADDRESS_NOT_ALLOCATED', async () => {
    const { ipam, store, poolId, next } = await withPool('10.70.0.0/24');
    await next();
    await next();
    await ipam.releaseAddress(poolId, '10.70.0.1/24'); // CIDR form, with the pool's prefix, is accepted
    expect((await store.list('ipam/addr/')).map((e) => e.key.split('/').pop())).toEqual(['10.70.0.2']);
    const again = await rejection(ipam.releaseAddress(poolId, '10.70.0.1'), ErrorCodes.ADDRESS_NOT_ALLOCATED);
    expect(again.kind).toBe('NotFound');
    await rejection(ipam.releaseAddress(poolId, '10.70.0.77'), ErrorCodes.ADDRESS_NOT_ALLOCATED);
    await rejection(ipam.releaseAddress(poolId, '10.71.0.1'), ErrorCodes.ADDRESS_OUT_OF_RANGE);
    await rejection(ipam.releaseAddress(poolId, 'nope'), ErrorCodes.BAD_ADDRESS);
    await rejection(ipam.releaseAddress('LocalDefault/10.99.0.0/24', '10.99.0.1'), ErrorCodes.POOL_NOT_FOUND);
    // two concurrent releases of one address: exactly one succeeds
    const results = await Promise.allSettled([ipam.releaseAddress(poolId, '10.70.0.2'), ipam.releaseAddress(poolId, '10.70.0.2')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await store.list('ipam/addr/')).toEqual([]);
  });

  it('IPv6: never the subnet-router anycast address; a /64 with 10k allocations stays small', async () => {
    const { ipam, poolId, next } = await withPool('fd00:7765:6674:9::/64');
    await rejection(ipam.requestAddress({ poolId, address: 'fd00:7765:6674:9::' }), ErrorCodes.ADDRESS_OUT_OF_RANGE);
    expect((await ipam.requestAddress({ poolId, options: GATEWAY })).address).toBe('fd00:7765:6674:9::1/64');
    const heapBefore = process.memoryUsage().heapUsed;
    const got = new Set<string>();
    for (let i = 0; i < 10_000; i++) got.add(await next());
    expect(got.size).toBe(10_000);
    expect(got.has('fd00:7765:6674:9::2/64')).toBe(true);
    expect(got.has('fd00:7765:6674:9::2711/64')).toBe(true); // 0x2711 = 10001
    const info = ipam.poolInfo(poolId)!;
    expect(info.allocated).toBe(10_001);
    expect(info.structureBytes).toBeLessThan(1024); // one merged interval, not a 2^64 bitmap
    // and scattered preferred addresses cost per allocation, not per pool size
    for (let i = 1; i <= 1000; i++) await ipam.requestAddress({ poolId, address: `fd00:7765:6674:9:${i.toString(16)}::5` });
    expect(ipam.poolInfo(poolId)!.structureBytes).toBeLessThan(1001 * 100);
    // the store dominates; the whole run stays far below a bitmap of even a /40 of addresses
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('IPv6 preferred and released addresses use the canonical text', async () => {
    const { ipam, store, poolId } = await withPool('fd00:abcd::/64');
    const res = await ipam.requestAddress({ poolId, address: 'FD00:ABCD:0:0:0:0:0:00A1' });
    expect(res.address).toBe('fd00:abcd::a1/64');
    expect((await store.list('ipam/addr/'))[0]!.key).toBe('ipam/addr/LocalDefault%2Ffd00%3Aabcd%3A%3A%2F64/fd00:abcd::a1');
    await ipam.releaseAddress(poolId, 'fd00:abcd::00a1');
    expect(await store.list('ipam/addr/')).toEqual([]);
  });
});
