import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isWeftError } from '../../src/errors/index.js';
import { LocalStore } from '../../src/store/local.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store, WatchEvent } from '../../src/store/store.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const implementations: [string, () => Store][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['LocalStore', () => new LocalStore(join(tempDir(), 'state.db'))],
];

describe.each(implementations)('%s contract', (_name, make) => {
  it('puts, gets and versions with a store-wide increasing revision', async () => {
    const store = make();
    const v1 = await store.put('a', '1');
    const v2 = await store.put('b', '2');
    const v3 = await store.put('a', '3');
    expect(v2).toBeGreaterThan(v1);
    expect(v3).toBeGreaterThan(v2);
    expect(await store.get('a')).toEqual({ key: 'a', value: '3', version: v3 });
    expect(await store.get('missing')).toBeUndefined();
    await store.close();
  });

  it('compare-and-set: expectVersion 0 creates only, a stale version conflicts', async () => {
    const store = make();
    const v1 = await store.put('k', 'one', { expectVersion: 0 });
    await expect(store.put('k', 'again', { expectVersion: 0 })).rejects.toMatchObject({ code: 'WEFT_STORE_CONFLICT' });
    const v2 = await store.put('k', 'two', { expectVersion: v1 });
    await expect(store.put('k', 'three', { expectVersion: v1 })).rejects.toMatchObject({ code: 'WEFT_STORE_CONFLICT' });
    expect((await store.get('k'))?.value).toBe('two');
    await expect(store.delete('k', { expectVersion: v1 })).rejects.toMatchObject({ code: 'WEFT_STORE_CONFLICT' });
    await store.delete('k', { expectVersion: v2 });
    expect(await store.get('k')).toBeUndefined();
    await store.close();
  });

  it('deleting a missing key succeeds', async () => {
    const store = make();
    await expect(store.delete('nothing')).resolves.toBeUndefined();
    await store.close();
  });

  it('lists by prefix in key order, not crossing the prefix boundary', async () => {
    const store = make();
    for (const key of ['net/b', 'net/a', 'net0/x', 'nes/z', 'net/c/d']) await store.put(key, key);
    expect((await store.list('net/')).map((e) => e.key)).toEqual(['net/a', 'net/b', 'net/c/d']);
    expect((await store.list('')).length).toBe(5);
    await store.close();
  });

  it('transactions are all-or-nothing', async () => {
    const store = make();
    const v = await store.put('x', '1');
    const error = await store
      .txn([
        { type: 'put', key: 'y', value: 'new' },
        { type: 'put', key: 'x', value: '2', expectVersion: v + 100 },
      ])
      .catch((e: unknown) => e);
    expect(isWeftError(error, 'WEFT_STORE_CONFLICT')).toBe(true);
    expect(await store.get('y')).toBeUndefined();
    expect((await store.get('x'))?.value).toBe('1');
    const rev = await store.txn([
      { type: 'put', key: 'y', value: 'new', expectVersion: 0 },
      { type: 'delete', key: 'x', expectVersion: v },
    ]);
    expect(await store.get('y')).toEqual({ key: 'y', value: 'new', version: rev });
    expect(await store.get('x')).toBeUndefined();
    await store.close();
  });

  it('watch delivers committed events under the prefix only, and unsubscribes', async () => {
    const store = make();
    const events: WatchEvent[] = [];
    const stop = store.watch('ep/', (e) => events.push(e));
    const v = await store.put('ep/1', 'a');
    await store.put('other', 'b');
    await store.delete('ep/1');
    await store.delete('ep/never');
    stop();
    await store.put('ep/2', 'c');
    expect(events).toEqual([
      { type: 'put', key: 'ep/1', value: 'a', version: v },
      { type: 'delete', key: 'ep/1', version: expect.any(Number) },
    ]);
    await store.close();
  });
});

describe('LocalStore durability', () => {
  it('keeps data across close and reopen', async () => {
    const path = join(tempDir(), 'state.db');
    const first = new LocalStore(path);
    const v = await first.put('persist/me', '{"x":1}');
    await first.close();
    const second = new LocalStore(path);
    expect(await second.get('persist/me')).toEqual({ key: 'persist/me', value: '{"x":1}', version: v });
    expect(await second.put('persist/other', 'y')).toBeGreaterThan(v);
    await second.close();
  });

  it('commits durable:false without an fsync and goes back to synchronous=FULL after it, even when it fails', async () => {
    const store = new LocalStore(join(tempDir(), 'lazy.db'));
    const db = (store as unknown as { db: Database.Database }).db;
    const mode = () => db.pragma('synchronous', { simple: true });
    expect(mode()).toBe(2);
    const v = await store.txn([{ type: 'put', key: 'lazy/a', value: '1' }], { durable: false });
    expect(await store.get('lazy/a')).toEqual({ key: 'lazy/a', value: '1', version: v });
    expect(mode()).toBe(2);
    await expect(store.txn([{ type: 'put', key: 'lazy/a', value: '2', expectVersion: 0 }], { durable: false })).rejects.toMatchObject({ code: 'WEFT_STORE_CONFLICT' });
    expect(mode()).toBe(2);
    await store.close();
  });

  it('loses no acknowledged write and tears no transaction when the writer is killed -9', async () => {
    const writer = new URL('../fixtures/store-writer.mjs', import.meta.url).pathname;
    const built = new URL('../../dist/src/store/local.js', import.meta.url).pathname;
    if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` before the tests (npm test does)');
    const path = join(tempDir(), 'crash.db');
    for (let round = 0; round < 3; round++) {
      // rounds 1 and 2 mix in durable:false commits, which must survive a process kill just the same
      const acked = await runUntilKilled(writer, path, 150 + round * 100, round > 0 ? 'mixed' : 'durable');
      const db = new Database(path, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const row = (key: string) => db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string };
      const a = Number(row('crash/a').value);
      const b = Number(row('crash/b').value);
      const logs = (db.prepare("SELECT count(*) AS n FROM kv WHERE key LIKE 'crash/log/%'").get() as { n: number }).n;
      db.close();
      expect(a).toBe(b);
      expect(a).toBeGreaterThanOrEqual(acked);
      // every transaction up to `a` committed whole; none past it half-way
      expect(logs).toBe(a);
    }
  }, 60_000);
});

/** Start the writer, let it acknowledge at least `minAcks` writes, SIGKILL it; returns the last acknowledged counter. */
function runUntilKilled(writer: string, path: string, minAcks: number, mode: 'durable' | 'mixed'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, path, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = 0;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) last = Math.max(last, Number(line));
      if (last >= minAcks && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited before being killed: ${stderr}`));
    });
  });
}
