import { describe, expect, it } from 'vitest';
import { ErrorCodes, WeftError } from '../../src/errors/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { PutOptions } from '../../src/store/store.js';
import { rejection } from '../helpers/failures.js';

const LOCAL = 'LocalDefault';
const GLOBAL = 'GlobalDefault';
const GATEWAY = { RequestAddressType: 'com.docker.network.gateway' };

/** A MemoryStore whose next `failures` address writes or deletes fail (not as a conflict). */
class FlakyStore extends MemoryStore {
  failPuts = 0;
  failDeletes = 0;

  override async put(key: string, value: string, options?: PutOptions): Promise<number> {
    if (key.includes('/addr/') && this.failPuts > 0) {
      this.failPuts--;
      throw new WeftError(ErrorCodes.STORE_FAILED, 'Unavailable', 'disk on fire');
    }
    return super.put(key, value, options);
  }

  override async delete(key: string, options?: PutOptions): Promise<void> {
    if (key.includes('/addr/') && this.failDeletes > 0) {
      this.failDeletes--;
      throw new WeftError(ErrorCodes.STORE_FAILED, 'Unavailable', 'disk on fire');
    }
    return super.delete(key, options);
  }
}

async function allocateMany(ipam: DefaultIpam, poolId: string, n: number): Promise<string[]> {
  return (await Promise.all(Array.from({ length: n }, () => ipam.requestAddress({ poolId })))).map((r) => r.address);
}

describe('DefaultIpam persistence and concurrency', () => {
  it('round-trips pools and allocations through the store into a new instance', async () => {
    const store = new MemoryStore();
    const first = await DefaultIpam.open({ store });
    const explicit = await first.requestPool({ addressSpace: LOCAL, pool: '10.1.0.0/16', subPool: '10.1.2.0/24' });
    const auto = await first.requestPool({ addressSpace: LOCAL });
    const v6 = await first.requestPool({ addressSpace: LOCAL, v6: true });
    const global = await first.requestPool({ addressSpace: GLOBAL, pool: '10.1.0.0/16' });
    await first.requestAddress({ poolId: explicit.poolId, options: GATEWAY });
    const mine = await allocateMany(first, explicit.poolId, 5);
    await first.releaseAddress(explicit.poolId, '10.1.2.1');
    await allocateMany(first, auto.poolId, 3);
    await allocateMany(first, v6.poolId, 3);
    await first.requestAddress({ poolId: global.poolId, address: '10.1.9.9' });

    const second = await DefaultIpam.open({ store });
    const sortById = (pools: ReturnType<DefaultIpam['listPools']>) => [...pools].sort((a, b) => a.poolId.localeCompare(b.poolId));
    expect(sortById(second.listPools())).toEqual(sortById(first.listPools()));
    expect(second.poolInfo(explicit.poolId)).toMatchObject({ subPool: '10.1.2.0/24', allocated: 5 });
    // allocations survive: held addresses are in use, the cursor continues after the highest one
    await rejection(second.requestAddress({ poolId: explicit.poolId, address: '10.1.0.1' }), ErrorCodes.ADDRESS_IN_USE);
    await rejection(second.requestAddress({ poolId: global.poolId, address: '10.1.9.9' }), ErrorCodes.ADDRESS_IN_USE);
    expect(mine).toContain('10.1.2.4/16');
    expect((await second.requestAddress({ poolId: explicit.poolId })).address).toBe('10.1.2.5/16');
    expect((await second.requestAddress({ poolId: v6.poolId })).address).toBe('fd00:7765:6674::4/64');
    // pools survive: overlap and auto-choice see them
    await rejection(second.requestPool({ addressSpace: LOCAL, pool: '10.1.0.0/24' }), ErrorCodes.POOL_OVERLAP);
    expect((await second.requestPool({ addressSpace: LOCAL })).pool).toBe('172.17.1.0/24');
    await second.releaseAddress(explicit.poolId, '10.1.2.2');
    await second.releasePool(auto.poolId);

    const third = await DefaultIpam.open({ store });
    expect(sortById(third.listPools())).toEqual(sortById(second.listPools()));
  });

  it('keeps everything under a custom key prefix', async () => {
    const store = new MemoryStore();
    const ipam = await DefaultIpam.open({ store, keyPrefix: 'weft/ipam/' });
    const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.8.0.0/24' });
    await ipam.requestAddress({ poolId });
    expect((await store.list('')).map((e) => e.key)).toEqual([
      'weft/ipam/addr/LocalDefault%2F10.8.0.0%2F24/10.8.0.1',
      'weft/ipam/pool/LocalDefault%2F10.8.0.0%2F24',
      'weft/ipam/space/LocalDefault',
    ]);
  });

  it('writes an address durably unless its caller says a durable commit follows (durable: false)', async () => {
    const store = new MemoryStore();
    const puts: { key: string; durable: boolean | undefined }[] = [];
    const put = store.put.bind(store);
    store.put = (key, value, options) => {
      puts.push({ key, durable: options?.durable });
      return put(key, value, options);
    };
    const ipam = await DefaultIpam.open({ store });
    const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.8.0.0/24' });
    await ipam.requestAddress({ poolId });
    await ipam.requestAddress({ poolId, durable: false });
    await ipam.requestAddress({ poolId, address: '10.8.0.77', durable: false });
    expect(puts.filter((p) => p.key.includes('/addr/'))).toEqual([
      { key: expect.stringMatching(/\/10\.8\.0\.1$/), durable: true },
      { key: expect.stringMatching(/\/10\.8\.0\.2$/), durable: false },
      { key: expect.stringMatching(/\/10\.8\.0\.77$/), durable: false },
    ]);
  });

  it('never hands out one address twice to 1000 concurrent requests', async () => {
    const store = new MemoryStore();
    const ipam = await DefaultIpam.open({ store });
    const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.9.0.0/22' });
    const got = await allocateMany(ipam, poolId, 1000);
    expect(new Set(got).size).toBe(1000);
    expect(await store.list('ipam/addr/')).toHaveLength(1000);
  });

  it('under concurrent overload of a /24, exactly 254 succeed and the rest are WEFT_POOL_EXHAUSTED', async () => {
    const ipam = await DefaultIpam.open({ store: new MemoryStore() });
    const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.9.0.0/24' });
    const results = await Promise.allSettled(Array.from({ length: 300 }, () => ipam.requestAddress({ poolId })));
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.address] : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as WeftError).code] : []));
    expect(new Set(ok).size).toBe(254);
    expect(failed).toEqual(Array(46).fill(ErrorCodes.POOL_EXHAUSTED));
  });

  it('two instances over one store never allocate the same address (store compare-and-set)', async () => {
    const store = new MemoryStore();
    const a = await DefaultIpam.open({ store });
    const { poolId } = await a.requestPool({ addressSpace: LOCAL, pool: '10.10.0.0/23' });
    const b = await DefaultIpam.open({ store });
    const [fromA, fromB] = await Promise.all([allocateMany(a, poolId, 200), allocateMany(b, poolId, 200)]);
    const all = [...fromA, ...fromB];
    expect(new Set(all).size).toBe(400);
    expect(await store.list('ipam/addr/')).toHaveLength(400);
    await a.requestAddress({ poolId, address: '10.10.1.200' });
    await rejection(b.requestAddress({ poolId, address: '10.10.1.200' }), ErrorCodes.ADDRESS_IN_USE);
    // b can release what a allocated (the store is the truth)
    await b.releaseAddress(poolId, '10.10.1.200');
    expect(await store.get('ipam/addr/LocalDefault%2F10.10.0.0%2F23/10.10.1.200')).toBeUndefined();
    // b lost 10.10.1.201 to a, then a released it: b's stale mark does not block a preferred request
    await a.requestAddress({ poolId, address: '10.10.1.201' });
    await rejection(b.requestAddress({ poolId, address: '10.10.1.201' }), ErrorCodes.ADDRESS_IN_USE);
    await a.releaseAddress(poolId, '10.10.1.201');
    expect((await b.requestAddress({ poolId, address: '10.10.1.201' })).address).toBe('10.10.1.201/23');
    await rejection(a.requestAddress({ poolId, address: '10.10.1.201' }), ErrorCodes.ADDRESS_IN_USE);
  });

  it('two instances see each other\'s pools: no overlapping or duplicate pools, lazy pool lookup', async () => {
    const store = new MemoryStore();
    const a = await DefaultIpam.open({ store });
    const b = await DefaultIpam.open({ store });
    const { poolId } = await a.requestPool({ addressSpace: LOCAL, pool: '10.11.0.0/16' });
    await rejection(b.requestPool({ addressSpace: LOCAL, pool: '10.11.4.0/24' }), ErrorCodes.POOL_OVERLAP);
    await rejection(b.requestPool({ addressSpace: LOCAL, pool: '10.11.0.0/16' }), ErrorCodes.POOL_OVERLAP);
    expect((await b.requestAddress({ poolId })).address).toBe('10.11.0.1/16');
    const autoA = await a.requestPool({ addressSpace: LOCAL });
    const autoB = await b.requestPool({ addressSpace: LOCAL });
    expect([autoA.pool, autoB.pool]).toEqual(['172.17.0.0/24', '172.17.1.0/24']);
    const concurrent = await Promise.all([a.requestPool({ addressSpace: LOCAL }), b.requestPool({ addressSpace: LOCAL })]);
    expect(new Set(concurrent.map((p) => p.pool)).size).toBe(2);
    await b.releasePool(autoA.poolId);
    await rejection(a.requestAddress({ poolId: autoA.poolId }), ErrorCodes.POOL_NOT_FOUND);
    expect((await a.requestPool({ addressSpace: LOCAL, pool: '172.17.0.0/24' })).poolId).toBe(autoA.poolId);
  });

  it('undoes the in-memory reservation when the store write fails, and keeps an address whose release failed', async () => {
    const store = new FlakyStore();
    const ipam = await DefaultIpam.open({ store });
    const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.12.0.0/24' });
    store.failPuts = 1;
    await rejection(ipam.requestAddress({ poolId, options: GATEWAY }), ErrorCodes.STORE_FAILED);
    expect(ipam.poolInfo(poolId)!.allocated).toBe(0);
    expect((await ipam.requestAddress({ poolId, options: GATEWAY })).address).toBe('10.12.0.1/24');
    store.failPuts = 1;
    await rejection(ipam.requestAddress({ poolId, address: '10.12.0.50' }), ErrorCodes.STORE_FAILED);
    expect((await ipam.requestAddress({ poolId, address: '10.12.0.50' })).address).toBe('10.12.0.50/24');
    store.failDeletes = 1;
    await rejection(ipam.releaseAddress(poolId, '10.12.0.50'), ErrorCodes.STORE_FAILED);
    await rejection(ipam.requestAddress({ poolId, address: '10.12.0.50' }), ErrorCodes.ADDRESS_IN_USE);
    await ipam.releaseAddress(poolId, '10.12.0.50');
    expect(ipam.poolInfo(poolId)!.allocated).toBe(1);
  });

  it('collects address keys of pools that no longer exist, and refuses a corrupt pool record', async () => {
    const store = new MemoryStore();
    await store.put('ipam/addr/LocalDefault%2F10.13.0.0%2F24/10.13.0.5', '{"kind":"address"}');
    await DefaultIpam.open({ store });
    expect(await store.list('ipam/')).toEqual([]);
    await store.put('ipam/pool/LocalDefault%2F10.14.0.0%2F24', '{"id": 3}');
    const err = await rejection(DefaultIpam.open({ store }), ErrorCodes.STORE_FAILED);
    expect(err.message).toContain('ipam/pool/LocalDefault%2F10.14.0.0%2F24');
  });

  it('a pool release deletes all of its address keys, however many (chunked)', async () => {
    const store = new MemoryStore();
    const ipam = await DefaultIpam.open({ store });
    const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.15.0.0/22' });
    await allocateMany(ipam, poolId, 1000);
    await ipam.releasePool(poolId);
    expect(await store.list('ipam/addr/')).toEqual([]);
    expect((await DefaultIpam.open({ store })).listPools()).toEqual([]);
  });
});
