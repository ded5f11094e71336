/**
 * The embedded local store: SQLite (better-sqlite3) in WAL mode with
 * synchronous=FULL, so a committed write survives kill -9 and power loss, and
 * a crash mid-write leaves the previous state (SQLite's atomic commit).
 *
 * better-sqlite3 is synchronous; every call here is one short transaction.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, WeftError } from '../errors/index.js';
import { checkExpected } from './memory.js';
import type { Entry, PutOptions, Store, TxnOp, TxnOptions, WatchEvent } from './store.js';
import { WatchHub } from './watch-hub.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0);
`;

export class LocalStore implements Store {
  private readonly db: Database.Database;
  private readonly hub = new WatchHub();
  private readonly statements;
  private readonly commit: (ops: readonly TxnOp[]) => { revision: number; events: WatchEvent[] };

  /** Opens (creating if needed) the database file at `path`. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw storeError(`cannot open store ${path}: ${(err as Error).message}`, err);
    }
    this.statements = {
      get: this.db.prepare<[string], Entry>('SELECT key, value, version FROM kv WHERE key = ?'),
      version: this.db.prepare<[string], { version: number }>('SELECT version FROM kv WHERE key = ?'),
      list: this.db.prepare<[string, string], Entry>(
        'SELECT key, value, version FROM kv WHERE key >= ? AND key < ? ORDER BY key',
      ),
      listAll: this.db.prepare<[], Entry>('SELECT key, value, version FROM kv ORDER BY key'),
      upsert: this.db.prepare('INSERT INTO kv (key, value, version) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version'),
      remove: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      bump: this.db.prepare<[], { value: number }>("UPDATE meta SET value = value + 1 WHERE name = 'revision' RETURNING value"),
    };
    this.commit = this.db.transaction((ops: readonly TxnOp[]) => this.commitOps(ops));
  }

  async get(key: string): Promise<Entry | undefined> {
    return this.statements.get.get(key);
  }

  async put(key: string, value: string, options: PutOptions = {}): Promise<number> {
    return this.txn([{ type: 'put', key, value, expectVersion: options.expectVersion }], { durable: options.durable });
  }

  async delete(key: string, options: PutOptions = {}): Promise<void> {
    await this.txn([{ type: 'delete', key, expectVersion: options.expectVersion }]);
  }

  async list(prefix: string): Promise<Entry[]> {
    if (prefix === '') return this.statements.listAll.all();
    return this.statements.list.all(prefix, prefixEnd(prefix));
  }

  async txn(ops: readonly TxnOp[], options: TxnOptions = {}): Promise<number> {
    let result: { revision: number; events: WatchEvent[] };
    // In WAL mode synchronous=NORMAL appends the commit to the log without an fsync: safe
    // from a process crash; the next FULL commit's fsync covers it (the log is sequential).
    const lazy = options.durable === false;
    try {
      if (lazy) this.db.pragma('synchronous = NORMAL');
      result = this.commit(ops);
    } catch (err) {
      if (err instanceof WeftError) throw err;
      throw storeError(`store write failed: ${(err as Error).message}`, err);
    } finally {
      if (lazy) this.db.pragma('synchronous = FULL');
    }
    this.hub.publish(result.events);
    return result.revision;
  }

  watch(prefix: string, listener: (event: WatchEvent) => void): () => void {
    return this.hub.subscribe(prefix, listener);
  }

  async close(): Promise<void> {
    this.hub.clear();
    if (this.db.open) this.db.close();
  }

  /** Runs inside one SQLite transaction: a thrown conflict rolls everything back. */
  private commitOps(ops: readonly TxnOp[]): { revision: number; events: WatchEvent[] } {
    for (const op of ops) {
      checkExpected(op.key, this.statements.version.get(op.key)?.version ?? 0, op.expectVersion);
    }
    const revision = this.statements.bump.get()!.value;
    const events: WatchEvent[] = [];
    for (const op of ops) {
      if (op.type === 'put') {
        this.statements.upsert.run(op.key, op.value, revision);
        events.push({ type: 'put', key: op.key, value: op.value, version: revision });
      } else if (this.statements.remove.run(op.key).changes > 0) {
        events.push({ type: 'delete', key: op.key, version: revision });
      }
    }
    return { revision, events };
  }
}

/** The smallest string greater than every string starting with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function storeError(message: string, cause: unknown): WeftError {
  return new WeftError(ErrorCodes.STORE_FAILED, 'Unavailable', message, { cause });
}
