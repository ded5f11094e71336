/**
 * How the IPAM lives in the store. Keys (prefix `ipam/` by default):
 *
 *   ipam/pool/<escaped pool id>          one pool: a PoolRecord (JSON)
 *   ipam/addr/<escaped pool id>/<ip>     one allocated address: an AddressRecord (JSON)
 *   ipam/space/<address space>           a guard whose version changes with every pool
 *                                        create/release in that space
 *
 * Pool ids contain `/` (`LocalDefault/10.1.0.0/16`), so they are escaped with
 * encodeURIComponent. Creates use compare-and-set (`expectVersion: 0`): two
 * IPAM instances over one store can never both own an address or a pool id,
 * and pool creation also compare-and-sets the space guard, so two instances
 * can never create overlapping pools in one space.
 */
import { ErrorCodes, WeftError, isWeftError } from '../errors/index.js';
import type { Entry, Store, TxnOp } from '../store/store.js';

export interface PoolRecord {
  id: string;
  addressSpace: string;
  pool: string;
  subPool?: string;
  auto: boolean;
  options: Record<string, string>;
}

export type AddressKind = 'address' | 'gateway' | 'reserved';

export interface AddressRecord {
  kind: AddressKind;
  mac?: string;
}

export interface StoredAddress {
  ip: string;
  version: number;
}

export interface StoredPool {
  record: PoolRecord;
  /** Store version of the pool key. */
  version: number;
  addresses: StoredAddress[];
}

export interface LoadedState {
  pools: StoredPool[];
  /** Address keys whose pool no longer exists (an interrupted releasePool). */
  orphans: Entry[];
  /** Version of each space guard key. */
  spaceVersions: Map<string, number>;
}

/** Deletes per transaction when releasing a pool's addresses (etcd's default limit is 128 ops). */
const DELETE_CHUNK = 100;

export class IpamState {
  private readonly poolPrefix: string;
  private readonly addrPrefix: string;
  private readonly spacePrefix: string;
  /** Address key prefix per pool id (escaping is on the allocation hot path). */
  private readonly addressPrefixes = new Map<string, string>();

  constructor(
    private readonly store: Store,
    keyPrefix: string,
  ) {
    this.poolPrefix = `${keyPrefix}pool/`;
    this.addrPrefix = `${keyPrefix}addr/`;
    this.spacePrefix = `${keyPrefix}space/`;
  }

  poolKey(poolId: string): string {
    return this.poolPrefix + encodeURIComponent(poolId);
  }

  /** Prefix of the address keys of one pool (ends with `/`). */
  addressPrefix(poolId: string): string {
    let prefix = this.addressPrefixes.get(poolId);
    if (prefix === undefined) {
      prefix = `${this.addrPrefix}${encodeURIComponent(poolId)}/`;
      if (this.addressPrefixes.size >= 65_536) this.addressPrefixes.clear(); // a bound, not a policy
      this.addressPrefixes.set(poolId, prefix);
    }
    return prefix;
  }

  spaceKey(space: string): string {
    return this.spacePrefix + encodeURIComponent(space);
  }

  /**
   * Reads everything. Address keys are listed before pools: an address key
   * listed here existed before the pool listing, so one without a pool there
   * really is an orphan, never the first address of a pool created meanwhile.
   */
  async load(): Promise<LoadedState> {
    const addressEntries = await this.store.list(this.addrPrefix);
    const poolEntries = await this.store.list(this.poolPrefix);
    const spaceEntries = await this.store.list(this.spacePrefix);
    const byPool = new Map<string, StoredPool>();
    for (const entry of poolEntries) {
      const record = decodePoolRecord(entry);
      byPool.set(encodeURIComponent(record.id), { record, version: entry.version, addresses: [] });
    }
    const orphans: Entry[] = [];
    for (const entry of addressEntries) {
      const rest = entry.key.slice(this.addrPrefix.length);
      const slash = rest.indexOf('/');
      const pool = slash < 0 ? undefined : byPool.get(rest.slice(0, slash));
      if (pool) pool.addresses.push({ ip: rest.slice(slash + 1), version: entry.version });
      else orphans.push(entry);
    }
    const spaceVersions = new Map(
      spaceEntries.map((e) => [decodeURIComponent(e.key.slice(this.spacePrefix.length)), e.version]),
    );
    return { pools: [...byPool.values()], orphans, spaceVersions };
  }

  /** The pool records of one address space, with their versions. */
  async listPools(space: string): Promise<{ record: PoolRecord; version: number }[]> {
    const entries = await this.store.list(this.poolPrefix);
    return entries
      .map((entry) => ({ record: decodePoolRecord(entry), version: entry.version }))
      .filter((p) => p.record.addressSpace === space);
  }

  /** Calls back when a pool key is deleted (by any instance); returns the unsubscribe function. */
  watchPoolDeletes(listener: (poolId: string, version: number) => void): () => void {
    return this.store.watch(this.poolPrefix, (event) => {
      if (event.type === 'delete') listener(decodeURIComponent(event.key.slice(this.poolPrefix.length)), event.version);
    });
  }

  /** The allocated addresses of one pool. */
  async listAddresses(poolId: string): Promise<StoredAddress[]> {
    const prefix = this.addressPrefix(poolId);
    return (await this.store.list(prefix)).map((e) => ({ ip: e.key.slice(prefix.length), version: e.version }));
  }

  /** The allocated addresses of one pool with what they were allocated as; an unreadable record counts as 'reserved'. */
  async listAddressKinds(poolId: string): Promise<{ ip: string; kind: AddressKind }[]> {
    const prefix = this.addressPrefix(poolId);
    return (await this.store.list(prefix)).map((e) => ({ ip: e.key.slice(prefix.length), kind: addressKindOf(e.value) }));
  }

  async spaceVersion(space: string): Promise<number> {
    return (await this.store.get(this.spaceKey(space)))?.version ?? 0;
  }

  /**
   * Creates a pool and its reserved addresses in one transaction, guarded by
   * the space version. Returns the new space version; throws
   * WEFT_STORE_CONFLICT if the pool exists or the space changed.
   */
  async createPool(record: PoolRecord, reserved: readonly string[], spaceVersion: number): Promise<number> {
    const reservedValue = encodeAddressRecord({ kind: 'reserved' });
    const ops: TxnOp[] = [
      { type: 'put', key: this.spaceKey(record.addressSpace), value: '{}', expectVersion: spaceVersion },
      { type: 'put', key: this.poolKey(record.id), value: JSON.stringify(record), expectVersion: 0 },
      ...reserved.map((ip): TxnOp => ({
        type: 'put',
        key: this.addressPrefix(record.id) + ip,
        value: reservedValue,
        expectVersion: 0,
      })),
    ];
    return this.store.txn(ops);
  }

  /** Deletes a pool record, guarded by the space version; returns the new space version. */
  async deletePool(record: PoolRecord, spaceVersion: number): Promise<number> {
    this.addressPrefixes.delete(record.id);
    return this.store.txn([
      { type: 'put', key: this.spaceKey(record.addressSpace), value: '{}', expectVersion: spaceVersion },
      { type: 'delete', key: this.poolKey(record.id) },
    ]);
  }

  /** Creates an address key; throws WEFT_STORE_CONFLICT if someone holds it. */
  async putAddress(poolId: string, ip: string, value: string, durable = true): Promise<void> {
    await this.store.put(this.addressPrefix(poolId) + ip, value, { expectVersion: 0, durable });
  }

  async deleteAddress(poolId: string, ip: string): Promise<void> {
    await this.store.delete(this.addressPrefix(poolId) + ip);
  }

  async addressExists(poolId: string, ip: string): Promise<boolean> {
    return (await this.store.get(this.addressPrefix(poolId) + ip)) !== undefined;
  }

  /** Deletes an address key if it exists (at the version read); false if it did not. */
  async deleteAddressIfPresent(poolId: string, ip: string): Promise<boolean> {
    const key = this.addressPrefix(poolId) + ip;
    const entry = await this.store.get(key);
    if (!entry) return false;
    try {
      await this.store.delete(key, { expectVersion: entry.version });
      return true;
    } catch (err) {
      if (isWeftError(err, ErrorCodes.STORE_CONFLICT)) return false;
      throw err;
    }
  }

  /** Deletes the address keys of a released pool, each only at the version listed (never a newer owner's). */
  async deleteAddresses(poolId: string): Promise<void> {
    await this.deleteEntries(await this.store.list(this.addressPrefix(poolId)));
  }

  async deleteEntries(entries: readonly Entry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += DELETE_CHUNK) {
      const chunk = entries.slice(i, i + DELETE_CHUNK);
      const ops = chunk.map((e): TxnOp => ({ type: 'delete', key: e.key, expectVersion: e.version }));
      try {
        await this.store.txn(ops);
      } catch (err) {
        if (!isWeftError(err, ErrorCodes.STORE_CONFLICT)) throw err;
        await this.deleteEach(chunk);
      }
    }
  }

  /** After a chunk conflicted: delete what is still at its listed version, one by one. */
  private async deleteEach(entries: readonly Entry[]): Promise<void> {
    for (const entry of entries) {
      try {
        await this.store.delete(entry.key, { expectVersion: entry.version });
      } catch (err) {
        if (!isWeftError(err, ErrorCodes.STORE_CONFLICT)) throw err;
      }
    }
  }
}

/** Store values of address keys; the common one is a constant string. */
const PLAIN_ADDRESS_VALUE = JSON.stringify({ kind: 'address' });

function addressKindOf(value: string): AddressKind {
  if (value === PLAIN_ADDRESS_VALUE) return 'address';
  try {
    const kind = (JSON.parse(value) as { kind?: unknown }).kind;
    return kind === 'address' || kind === 'gateway' ? kind : 'reserved';
  } catch {
    return 'reserved';
  }
}

export function encodeAddressRecord(record: AddressRecord): string {
  return record.kind === 'address' && record.mac === undefined ? PLAIN_ADDRESS_VALUE : JSON.stringify(record);
}

function decodePoolRecord(entry: Entry): PoolRecord {
  let value: unknown;
  try {
    value = JSON.parse(entry.value);
  } catch (err) {
    throw corrupt(entry.key, 'not JSON', err);
  }
  const record = value as Partial<PoolRecord> | null;
  if (
    typeof record?.id !== 'string' ||
    typeof record.addressSpace !== 'string' ||
    typeof record.pool !== 'string' ||
    (record.subPool !== undefined && typeof record.subPool !== 'string')
  ) {
    throw corrupt(entry.key, 'missing id, addressSpace or pool');
  }
  return {
    id: record.id,
    addressSpace: record.addressSpace,
    pool: record.pool,
    subPool: record.subPool,
    auto: record.auto === true,
    options: typeof record.options === 'object' && record.options !== null ? record.options : {},
  };
}

function corrupt(key: string, reason: string, cause?: unknown): WeftError {
  return new WeftError(ErrorCodes.STORE_FAILED, 'Unavailable', `IPAM store entry ${key} is corrupt: ${reason}`, {
    cause,
    details: { key },
  });
}
