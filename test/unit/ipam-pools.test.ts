import { describe, expect, it } from 'vitest';
import { ErrorCodes, WeftError } from '../../src/errors/index.js';
import { DefaultIpam, type DefaultIpamOptions } from '../../src/ipam/default-ipam.js';
import { DOCKER_DEFAULT_POOLS, WEFT_DEFAULT_POOLS, countDefaultSubnets, parseDefaultPools } from '../../src/ipam/default-pools.js';
import type { PoolRequest } from '../../src/ipam/ipam.js';
import { RESERVED_ADDRESSES_OPTION } from '../../src/ipam/pool-planner.js';
import { MemoryStore } from '../../src/store/memory.js';
import { rejection } from '../helpers/failures.js';

const LOCAL = 'LocalDefault';
const GLOBAL = 'GlobalDefault';

async function openIpam(options: Partial<DefaultIpamOptions> = {}) {
  const store = new MemoryStore();
  const ipam = await DefaultIpam.open({ store, ...options });
  return { store, ipam };
}

async function autoPools(ipam: DefaultIpam, count: number, req: Partial<PoolRequest> = {}): Promise<string[]> {
  const pools: string[] = [];
  for (let i = 0; i < count; i++) pools.push((await ipam.requestPool({ addressSpace: LOCAL, ...req })).pool);
  return pools;
}

/** Requests auto pools until WEFT_NO_DEFAULT_POOL; returns how many fit. */
async function countUntilExhausted(ipam: DefaultIpam, v6 = false): Promise<number> {
  for (let n = 0; ; n++) {
    try {
      await ipam.requestPool({ addressSpace: LOCAL, v6 });
    } catch (err) {
      expect((err as WeftError).code).toBe(ErrorCodes.NO_DEFAULT_POOL);
      return n;
    }
  }
}

describe('DefaultIpam pools', () => {
  it('reports the two address spaces', async () => {
    const { ipam } = await openIpam();
    expect(ipam.defaultAddressSpaces()).toEqual({
      localDefaultAddressSpace: LOCAL,
      globalDefaultAddressSpace: GLOBAL,
    });
  });

  it('creates an explicit pool with a deterministic, Docker-format id and persists it', async () => {
    const { ipam, store } = await openIpam();
    const res = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.0.0/16' });
    expect(res).toEqual({ poolId: 'LocalDefault/10.1.0.0/16', pool: '10.1.0.0/16', data: {} });
    const entry = await store.get('ipam/pool/LocalDefault%2F10.1.0.0%2F16');
    expect(JSON.parse(entry!.value)).toMatchObject({ id: res.poolId, pool: '10.1.0.0/16', auto: false });
    const v6 = await ipam.requestPool({ addressSpace: LOCAL, pool: 'FD12:0:0::/64', v6: true });
    expect(v6).toEqual({ poolId: 'LocalDefault/fd12::/64', pool: 'fd12::/64', data: {} });
  });

  it('includes the subPool in the id and allocates only from it; gateway and preferred anywhere in the pool', async () => {
    const { ipam } = await openIpam();
    const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.0.0/16', subPool: '10.1.2.0/30' });
    expect(poolId).toBe('LocalDefault/10.1.0.0/16/10.1.2.0/30');
    const gateway = { RequestAddressType: 'com.docker.network.gateway' };
    expect((await ipam.requestAddress({ poolId, options: gateway })).address).toBe('10.1.0.1/16');
    expect((await ipam.requestAddress({ poolId, address: '10.1.200.7' })).address).toBe('10.1.200.7/16');
    const auto = [];
    for (let i = 0; i < 4; i++) auto.push((await ipam.requestAddress({ poolId })).address);
    expect(auto).toEqual(['10.1.2.0/16', '10.1.2.1/16', '10.1.2.2/16', '10.1.2.3/16']);
    await rejection(ipam.requestAddress({ poolId }), ErrorCodes.POOL_EXHAUSTED);
  });

  it('rejects a subPool outside its pool, or without a pool', async () => {
    const { ipam } = await openIpam();
    const err = await rejection(
      ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.0.0/16', subPool: '10.2.0.0/24' }),
      ErrorCodes.BAD_CIDR,
    );
    expect(err.message).toContain('not inside pool 10.1.0.0/16');
    await rejection(ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.0.0/24', subPool: '10.1.0.0/16' }), ErrorCodes.BAD_CIDR);
    await rejection(ipam.requestPool({ addressSpace: LOCAL, subPool: '10.2.0.0/24' }), ErrorCodes.INVALID_ARGUMENT);
  });

  it.each(['10.0.0.0/33', 'abc', '10.0.0.0', '10.0.0.1/24', '300.0.0.0/8', 'fd00::/129'])(
    'rejects the bad subnet %j with WEFT_BAD_CIDR quoting it',
    async (pool) => {
      const { ipam, store } = await openIpam();
      const err = await rejection(ipam.requestPool({ addressSpace: LOCAL, pool }), ErrorCodes.BAD_CIDR);
      expect(err.message).toContain(JSON.stringify(pool));
      expect(await store.list('')).toEqual([]);
    },
  );

  it('treats an empty Pool, as the plugin protocol sends it, as "choose one"', async () => {
    const { ipam } = await openIpam();
    const res = await ipam.requestPool({ addressSpace: LOCAL, pool: '', subPool: '', options: {} });
    expect(res.pool).toBe('172.17.0.0/24');
  });

  it('rejects a subnet of the wrong family for the request', async () => {
    const { ipam } = await openIpam();
    await rejection(ipam.requestPool({ addressSpace: LOCAL, pool: '10.0.0.0/24', v6: true }), ErrorCodes.BAD_CIDR);
    await rejection(ipam.requestPool({ addressSpace: LOCAL, pool: 'fd00::/64', v6: false }), ErrorCodes.BAD_CIDR);
  });

  it('auto-chooses distinct /24s in order, then distinct /64s for IPv6', async () => {
    const { ipam } = await openIpam();
    expect(await autoPools(ipam, 3)).toEqual(['172.17.0.0/24', '172.17.1.0/24', '172.17.2.0/24']);
    expect(await autoPools(ipam, 2, { v6: true })).toEqual(['fd00:7765:6674::/64', 'fd00:7765:6674:1::/64']);
    const info = ipam.poolInfo('LocalDefault/172.17.1.0/24');
    expect(info).toMatchObject({ auto: true, allocated: 0 });
  });

  it('auto-choice skips explicit pools and reuses a released subnet', async () => {
    const { ipam } = await openIpam();
    await ipam.requestPool({ addressSpace: LOCAL, pool: '172.17.1.0/24' });
    await ipam.requestPool({ addressSpace: LOCAL, pool: '172.17.2.0/23' }); // overlaps 172.17.2/24 and .3/24
    expect(await autoPools(ipam, 2)).toEqual(['172.17.0.0/24', '172.17.4.0/24']);
    await ipam.releasePool('LocalDefault/172.17.0.0/24');
    expect(await autoPools(ipam, 1)).toEqual(['172.17.0.0/24']);
  });

  it('rejects overlaps with an existing pool of the same space, naming it', async () => {
    const { ipam } = await openIpam();
    await ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.2.0/24' });
    const err = await rejection(ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.0.0/16' }), ErrorCodes.POOL_OVERLAP);
    expect(err.kind).toBe('Conflict');
    expect(err.message).toBe('subnet 10.1.0.0/16 overlaps pool 10.1.2.0/24 (pool id LocalDefault/10.1.2.0/24)');
    // the same pool twice: pools are not shared
    await rejection(ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.2.0/24' }), ErrorCodes.POOL_OVERLAP);
    await rejection(
      ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.2.0/24', subPool: '10.1.2.128/25' }),
      ErrorCodes.POOL_OVERLAP,
    );
    await rejection(ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.2.64/26' }), ErrorCodes.POOL_OVERLAP);
  });

  it('keeps the two address spaces apart and rejects unknown ones', async () => {
    const { ipam } = await openIpam();
    const local = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.5.0.0/16' });
    const global = await ipam.requestPool({ addressSpace: GLOBAL, pool: '10.5.0.0/16' });
    expect([local.poolId, global.poolId]).toEqual(['LocalDefault/10.5.0.0/16', 'GlobalDefault/10.5.0.0/16']);
    expect((await ipam.requestPool({ addressSpace: GLOBAL })).pool).toBe('10.0.0.0/24');
    const err = await rejection(ipam.requestPool({ addressSpace: 'weft-local' }), ErrorCodes.UNKNOWN_ADDRESS_SPACE);
    expect(err.message).toContain('weft-local');
  });

  it('auto-choice avoids routes and addresses in use; explicit subnets overlapping them fail naming the route', async () => {
    const routes = ['172.17.0.0/16 dev docker0', '172.18.0.5/24 dev eth1', '10.1.0.0/24 dev eth0'];
    const { ipam } = await openIpam({ routesInUse: async () => routes });
    expect(await autoPools(ipam, 2)).toEqual(['172.18.1.0/24', '172.18.2.0/24']);
    const err = await rejection(ipam.requestPool({ addressSpace: LOCAL, pool: '10.1.0.0/16' }), ErrorCodes.POOL_OVERLAP);
    expect(err.message).toBe('subnet 10.1.0.0/16 overlaps route 10.1.0.0/24 dev eth0 in use on the host');
    expect((await ipam.requestPool({ addressSpace: LOCAL, pool: '10.2.0.0/16' })).pool).toBe('10.2.0.0/16');
  });

  it('with weft.ipam.ignore_host_routes, an explicit subnet may overlap routes; auto-choice still avoids them', async () => {
    const { ipam } = await openIpam({ routesInUse: async () => ['192.0.2.0/24 dev eth1', '172.17.0.0/24 dev docker0'] });
    const options = { 'weft.ipam.ignore_host_routes': 'true' };
    expect((await ipam.requestPool({ addressSpace: LOCAL, pool: '192.0.2.0/24', options })).pool).toBe('192.0.2.0/24');
    expect((await ipam.requestPool({ addressSpace: LOCAL, options })).pool).toBe('172.17.1.0/24');
    // existing pools still count
    await rejection(ipam.requestPool({ addressSpace: LOCAL, pool: '192.0.2.0/25', options }), ErrorCodes.POOL_OVERLAP);
  });

  it('ignores the default routes', async () => {
    const routes = ['0.0.0.0/0 via 192.0.2.1 dev eth0', 'default', '::/0 via fe80::1 dev eth0'];
    const { ipam } = await openIpam({ routesInUse: async () => routes });
    expect(await autoPools(ipam, 1)).toEqual(['172.17.0.0/24']);
    expect(await autoPools(ipam, 1, { v6: true })).toEqual(['fd00:7765:6674::/64']);
    expect((await ipam.requestPool({ addressSpace: LOCAL, pool: '10.9.0.0/16' })).pool).toBe('10.9.0.0/16');
  });

  it('applies routes to LocalDefault only (global networks live in overlay namespaces)', async () => {
    const { ipam } = await openIpam({ routesInUse: async () => ['10.0.0.0/8 dev eth0'] });
    expect((await ipam.requestPool({ addressSpace: GLOBAL })).pool).toBe('10.0.0.0/24');
  });

  it('fails with WEFT_NO_DEFAULT_POOL once the default pools are used up, and never repeats a held pool', async () => {
    const { ipam } = await openIpam({ defaultPools: [{ base: '10.9.0.0/23', size: 24 }] });
    expect(await autoPools(ipam, 2)).toEqual(['10.9.0.0/24', '10.9.1.0/24']);
    const err = await rejection(ipam.requestPool({ addressSpace: LOCAL }), ErrorCodes.NO_DEFAULT_POOL);
    expect(err.message).toContain('no available IPv4 subnet in the default address pools of LocalDefault');
    expect(err.message).toContain('10.9.0.0/23 as /24');
  });

  it('fits 4096 networks in weft defaults and 31 in Docker defaults', async () => {
    expect(countDefaultSubnets(parseDefaultPools(WEFT_DEFAULT_POOLS, 'weft'), 4)).toBe(4096n);
    const { ipam: docker } = await openIpam({ defaultPools: DOCKER_DEFAULT_POOLS });
    expect(await countUntilExhausted(docker)).toBe(31);
    const { ipam: weft } = await openIpam();
    expect(await countUntilExhausted(weft)).toBe(4096);
    expect(new Set(weft.listPools().map((p) => p.pool)).size).toBe(4096);
  });

  it('rejects invalid default pool configuration', async () => {
    const store = new MemoryStore();
    for (const defaultPools of [[{ base: '10.0.0.0/16', size: 8 }], [{ base: '10.0.0.1/16', size: 24 }]]) {
      let code: string | undefined;
      try {
        new DefaultIpam({ store, defaultPools });
      } catch (err) {
        code = (err as WeftError).code;
      }
      expect(code).toBe(ErrorCodes.CONFIG_INVALID);
    }
  });

  it('releases a pool with all its addresses; unknown pools are WEFT_POOL_NOT_FOUND', async () => {
    const { ipam, store } = await openIpam();
    const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.3.0.0/24' });
    for (let i = 0; i < 5; i++) await ipam.requestAddress({ poolId });
    expect(await store.list('ipam/addr/')).toHaveLength(5);
    await ipam.releasePool(poolId);
    expect(await store.list('ipam/pool/')).toEqual([]);
    expect(await store.list('ipam/addr/')).toEqual([]);
    expect(ipam.listPools()).toEqual([]);
    await rejection(ipam.requestAddress({ poolId }), ErrorCodes.POOL_NOT_FOUND);
    await rejection(ipam.releasePool(poolId), ErrorCodes.POOL_NOT_FOUND);
    await rejection(ipam.releasePool('nonsense'), ErrorCodes.POOL_NOT_FOUND);
    expect((await ipam.requestPool({ addressSpace: LOCAL, pool: '10.3.0.0/24' })).poolId).toBe(poolId);
    expect((await ipam.requestAddress({ poolId })).address).toBe('10.3.0.1/24');
  });

  it('reserves addresses named in the pool option atomically with the pool', async () => {
    const { ipam, store } = await openIpam();
    const options = { [RESERVED_ADDRESSES_OPTION]: '10.4.0.1, 10.4.0.2,10.4.0.2' };
    const { poolId } = await ipam.requestPool({ addressSpace: LOCAL, pool: '10.4.0.0/24', options });
    expect((await ipam.requestAddress({ poolId })).address).toBe('10.4.0.3/24');
    const keys = (await store.list('ipam/addr/')).map((e) => e.key.split('/').pop());
    expect(keys).toEqual(['10.4.0.1', '10.4.0.2', '10.4.0.3']);
    await ipam.releaseAddress(poolId, '10.4.0.1');
    await rejection(
      ipam.requestPool({ addressSpace: LOCAL, pool: '10.5.0.0/24', options: { [RESERVED_ADDRESSES_OPTION]: '10.6.0.1' } }),
      ErrorCodes.ADDRESS_OUT_OF_RANGE,
    );
    expect(await store.get('ipam/pool/LocalDefault%2F10.5.0.0%2F24')).toBeUndefined();
  });
});
