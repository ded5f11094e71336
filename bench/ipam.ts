/**
 * IPAM benchmark: allocation throughput (with the in-memory store, and with a
 * store that keeps nothing, to separate the allocator from the store), time to
 * fill a /16, memory of big pools, and how many networks fit in weft's default
 * pools next to Docker's (both computed by running the chooser in this run).
 *
 *   npm run build && node dist/bench/ipam.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { isWeftError, ErrorCodes } from '../src/errors/index.js';
import { DefaultIpam } from '../src/ipam/default-ipam.js';
import { DOCKER_DEFAULT_POOLS, type DefaultPoolConfig } from '../src/ipam/default-pools.js';
import { MemoryStore } from '../src/store/memory.js';
import { LocalStore } from '../src/store/local.js';
import type { Entry, Store, TxnOp } from '../src/store/store.js';

/** A store that accepts every write and keeps nothing: the allocator's cost alone. */
class NullStore implements Store {
  private revision = 0;
  async get(): Promise<Entry | undefined> {
    return undefined;
  }
  async put(): Promise<number> {
    return ++this.revision;
  }
  async delete(): Promise<void> {}
  async list(): Promise<Entry[]> {
    return [];
  }
  async txn(_ops: readonly TxnOp[]): Promise<number> {
    return ++this.revision;
  }
  watch(): () => void {
    return () => undefined;
  }
  async close(): Promise<void> {}
}

interface Row {
  metric: string;
  value: string;
  note?: string;
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function memory(gc: () => void): { heap: number; rss: number; external: number } {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss, external: m.external + m.arrayBuffers };
}

const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');

async function openWithPool(store: Store, pool: string): Promise<{ ipam: DefaultIpam; poolId: string }> {
  const ipam = await DefaultIpam.open({ store });
  const { poolId } = await ipam.requestPool({ addressSpace: 'LocalDefault', pool, v6: pool.includes(':') });
  return { ipam, poolId };
}

/** Sequential allocate+release pairs on a /16 that is already half full. */
async function allocateRelease(store: Store, pairs: number): Promise<number> {
  const { ipam, poolId } = await openWithPool(store, '10.0.0.0/16');
  for (let i = 0; i < 32_768; i++) await ipam.requestAddress({ poolId });
  const start = performance.now();
  for (let i = 0; i < pairs; i++) {
    const { address } = await ipam.requestAddress({ poolId });
    await ipam.releaseAddress(poolId, address.slice(0, address.indexOf('/')));
  }
  return performance.now() - start;
}

/** The store alone: create-only put + delete pairs, as the IPAM issues them. */
async function storeOnly(pairs: number): Promise<number> {
  const store = new MemoryStore();
  const start = performance.now();
  for (let i = 0; i < pairs; i++) {
    const key = `ipam/addr/LocalDefault%2F10.0.0.0%2F16/10.0.${(i >> 8) & 255}.${i & 255}`;
    await store.put(key, '{"kind":"address"}', { expectVersion: 0 });
    await store.delete(key);
  }
  return performance.now() - start;
}

async function fillPool(store: Store, pool: string, count: number): Promise<{ ms: number; ipam: DefaultIpam; poolId: string }> {
  const { ipam, poolId } = await openWithPool(store, pool);
  const start = performance.now();
  for (let i = 0; i < count; i++) await ipam.requestAddress({ poolId });
  return { ms: performance.now() - start, ipam, poolId };
}

/** The daemon's real store: every allocation is a SQLite transaction with fsync (synchronous=FULL). */
async function durableRow(): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-ipam-'));
  const store = new LocalStore(join(dir, 'weft.db'));
  try {
    const { ipam, poolId } = await openWithPool(store, '10.0.0.0/16');
    const pairs = 1_000;
    const start = performance.now();
    for (let i = 0; i < pairs; i++) {
      const { address } = await ipam.requestAddress({ poolId });
      await ipam.releaseAddress(poolId, address.slice(0, address.indexOf('/')));
    }
    const ms = performance.now() - start;
    ipam.close();
    return { metric: 'allocate+release on a /16, LocalStore (SQLite, fsync)', value: `${perSecond(pairs, ms)} pairs/s`, note: `${((ms / pairs) * 1000).toFixed(0)} µs per pair; durable before each call returns` };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function throughputRows(): Promise<Row[]> {
  const pairs = 200_000;
  const withStore = await allocateRelease(new MemoryStore(), pairs);
  const allocatorOnly = await allocateRelease(new NullStore(), pairs);
  const store = await storeOnly(pairs);
  const fillMem = await fillPool(new MemoryStore(), '10.0.0.0/16', 65_534);
  const fillNull = await fillPool(new NullStore(), '10.0.0.0/16', 65_534);
  const overflow = await fillNull.ipam.requestAddress({ poolId: fillNull.poolId }).catch((e: unknown) => e);
  if (!isWeftError(overflow, ErrorCodes.POOL_EXHAUSTED)) throw new Error('a full /16 did not report exhaustion');
  const pairRow = (metric: string, ms: number, what: string): Row => ({
    metric,
    value: `${perSecond(pairs, ms)} pairs/s`,
    note: `= ${perSecond(2 * pairs, ms)} ops/s; ${what}`,
  });
  return [
    pairRow('allocate+release on a half-full /16, MemoryStore', withStore, `${pairs.toLocaleString('en-US')} sequential pairs`),
    pairRow('allocate+release on a half-full /16, no store', allocatorOnly, 'the allocator alone'),
    pairRow('MemoryStore alone: put(expectVersion 0)+delete', store, 'the store alone, same keys'),
    await durableRow(),
    { metric: 'allocate all 65,534 addresses of a /16, MemoryStore', value: `${fillMem.ms.toFixed(0)} ms` },
    { metric: 'allocate all 65,534 addresses of a /16, no store', value: `${fillNull.ms.toFixed(0)} ms`, note: 'then POOL_EXHAUSTED' },
  ];
}

async function memoryRows(gc: () => void): Promise<Row[]> {
  const before = memory(gc);
  const { ipam: empty, poolId: emptyId } = await openWithPool(new NullStore(), '10.0.0.0/8');
  const afterPool = memory(gc);
  const structure = empty.poolInfo(emptyId)!.structureBytes;
  const million = 1_000_000;
  const v4 = await fillPool(new NullStore(), '11.0.0.0/8', million);
  const afterV4 = memory(gc);
  const v6 = await fillPool(new NullStore(), 'fd00:7765:6674::/64', million);
  const afterV6 = memory(gc);
  const v6Info = v6.ipam.poolInfo(v6.poolId)!;
  return [
    {
      metric: '/8 pool structure (bitmap)',
      value: MiB(structure),
      note: `heap+buffers delta ${MiB(afterPool.heap + afterPool.external - before.heap - before.external)}`,
    },
    {
      metric: '/8 pool with 1M allocations, no store',
      value: `${v4.ms.toFixed(0)} ms`,
      note: `heap+buffers delta ${MiB(afterV4.heap + afterV4.external - afterPool.heap - afterPool.external)}, rss delta ${MiB(afterV4.rss - afterPool.rss)}`,
    },
    await storeMemoryRow(gc),
    {
      metric: 'IPv6 /64 pool with 1M allocations, no store',
      value: `${v6.ms.toFixed(0)} ms`,
      note: `structure ${v6Info.structureBytes} B, heap delta ${MiB(afterV6.heap - afterV4.heap)}`,
    },
  ];
}

/** What persisting 1M addresses costs in the in-memory store (one key per address). */
async function storeMemoryRow(gc: () => void): Promise<Row> {
  const before = memory(gc);
  const filled = await fillPool(new MemoryStore(), '12.0.0.0/8', 1_000_000);
  const after = memory(gc);
  const perAddress = (after.heap - before.heap) / 1_000_000;
  filled.ipam.close();
  return {
    metric: '/8 pool with 1M allocations, MemoryStore',
    value: `${filled.ms.toFixed(0)} ms`,
    note: `heap delta ${MiB(after.heap - before.heap)} (~${perAddress.toFixed(0)} B per stored address)`,
  };
}

/** Requests auto pools until WEFT_NO_DEFAULT_POOL. */
async function networksThatFit(defaultPools?: readonly DefaultPoolConfig[], v6 = false): Promise<{ count: number; ms: number }> {
  const ipam = await DefaultIpam.open({ store: new MemoryStore(), defaultPools });
  const start = performance.now();
  for (let count = 0; ; count++) {
    try {
      await ipam.requestPool({ addressSpace: 'LocalDefault', v6 });
    } catch (err) {
      if (!isWeftError(err, ErrorCodes.NO_DEFAULT_POOL)) throw err;
      return { count, ms: performance.now() - start };
    }
  }
}

async function defaultPoolRows(): Promise<Row[]> {
  const weft = await networksThatFit();
  const docker = await networksThatFit(DOCKER_DEFAULT_POOLS);
  const weftV6 = await networksThatFit(undefined, true);
  return [
    { metric: 'IPv4 networks that fit, weft default pools', value: String(weft.count), note: `/24s; chosen in ${weft.ms.toFixed(0)} ms` },
    { metric: 'IPv4 networks that fit, Docker default pools', value: String(docker.count), note: '172.17-31/16 as /16 + 192.168/16 as /20' },
    { metric: 'IPv6 networks that fit, weft default pools', value: String(weftV6.count), note: `fd00:7765:6674::/48 as /64s; ${weftV6.ms.toFixed(0)} ms` },
  ];
}

function printTable(rows: readonly Row[]): void {
  const width = Math.max(...rows.map((r) => r.metric.length));
  const valueWidth = Math.max(...rows.map((r) => r.value.length));
  for (const row of rows) {
    const note = row.note ? `  ${row.note}` : '';
    process.stdout.write(`${row.metric.padEnd(width)}  ${row.value.padStart(valueWidth)}${note}\n`);
  }
}

export async function run(): Promise<void> {
  const gc = collectGarbage();
  printTable([...(await throughputRows()), ...(await memoryRows(gc)), ...(await defaultPoolRows())]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
