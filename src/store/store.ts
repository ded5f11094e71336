/**
 * The persistence port. Shaped after etcd so that a cluster store can
 * implement it unchanged: every write gets a store-wide, strictly increasing
 * revision; a key's `version` is the revision of its last write (etcd's
 * mod_revision); compare-and-set on that version; watches by prefix.
 */

export interface Entry {
  key: string;
  value: string;
  /** Revision of the last write to this key. */
  version: number;
}

export interface PutOptions {
  /**
   * Compare-and-set: the write succeeds only if the key's current version is
   * this one; 0 means "the key must not exist". Absent: unconditional.
   */
  expectVersion?: number;
  /** As TxnOptions.durable. */
  durable?: boolean;
}

export interface TxnOptions {
  /**
   * true (the default): the commit survives power loss. false: it survives a
   * crash of this process, and becomes power-safe with the next durable
   * commit (commits become durable in order, never a later one without an
   * earlier one). For records whose meaning dies with a reboot anyway, such
   * as the controller's intents, which guard kernel state.
   */
  durable?: boolean;
}

export type TxnOp =
  | { type: 'put'; key: string; value: string; expectVersion?: number }
  | { type: 'delete'; key: string; expectVersion?: number };

export type WatchEvent =
  | { type: 'put'; key: string; value: string; version: number }
  | { type: 'delete'; key: string; version: number };

export interface Store {
  get(key: string): Promise<Entry | undefined>;
  /** Returns the new version. Throws WEFT_STORE_CONFLICT when `expectVersion` does not match. */
  put(key: string, value: string, options?: PutOptions): Promise<number>;
  /** Deleting a missing key succeeds (unless expectVersion says it must exist). */
  delete(key: string, options?: PutOptions): Promise<void>;
  /** Every entry whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<Entry[]>;
  /**
   * All ops or none: every expectVersion is checked first; one mismatch fails
   * the whole transaction with WEFT_STORE_CONFLICT. Returns the revision of the commit.
   */
  txn(ops: readonly TxnOp[], options?: TxnOptions): Promise<number>;
  /** Events for keys under `prefix`, after they are durable. Returns an unsubscribe function. */
  watch(prefix: string, listener: (event: WatchEvent) => void): () => void;
  close(): Promise<void>;
}
