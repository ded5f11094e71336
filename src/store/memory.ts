/**
 * An in-memory Store with the same semantics as the durable ones: for unit
 * tests and for components that need a scratch store.
 */
import { ErrorCodes, WeftError } from '../errors/index.js';
import type { Entry, PutOptions, Store, TxnOp, WatchEvent } from './store.js';
import { WatchHub } from './watch-hub.js';

export class MemoryStore implements Store {
  private readonly entries = new Map<string, Entry>();
  private revision = 0;
  private readonly hub = new WatchHub();

  async get(key: string): Promise<Entry | undefined> {
    const entry = this.entries.get(key);
    return entry && { ...entry };
  }

  async put(key: string, value: string, options: PutOptions = {}): Promise<number> {
    return this.txn([{ type: 'put', key, value, expectVersion: options.expectVersion }]);
  }

  async delete(key: string, options: PutOptions = {}): Promise<void> {
    await this.txn([{ type: 'delete', key, expectVersion: options.expectVersion }]);
  }

  async list(prefix: string): Promise<Entry[]> {
    return [...this.entries.values()]
      .filter((e) => e.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((e) => ({ ...e }));
  }

  async txn(ops: readonly TxnOp[]): Promise<number> {
    for (const op of ops) checkExpected(op.key, this.entries.get(op.key)?.version ?? 0, op.expectVersion);
    const revision = ++this.revision;
    const events: WatchEvent[] = [];
    for (const op of ops) {
      if (op.type === 'put') {
        this.entries.set(op.key, { key: op.key, value: op.value, version: revision });
        events.push({ type: 'put', key: op.key, value: op.value, version: revision });
      } else if (this.entries.delete(op.key)) {
        events.push({ type: 'delete', key: op.key, version: revision });
      }
    }
    this.hub.publish(events);
    return revision;
  }

  watch(prefix: string, listener: (event: WatchEvent) => void): () => void {
    return this.hub.subscribe(prefix, listener);
  }

  async close(): Promise<void> {
    this.hub.clear();
  }
}

/** Shared compare-and-set check: throws WEFT_STORE_CONFLICT on a version mismatch. */
export function checkExpected(key: string, current: number, expected: number | undefined): void {
  if (expected === undefined || expected === current) return;
  const want = expected === 0 ? 'to be absent' : `at version ${expected}`;
  const have = current === 0 ? 'it is absent' : `it is at version ${current}`;
  throw new WeftError(ErrorCodes.STORE_CONFLICT, 'Conflict', `store key ${key} expected ${want}, but ${have}`, {
    details: { key, expected, current },
  });
}
