/**
 * The pools an IPAM instance knows, by id and, per address space and family,
 * as a sorted range list for overlap queries.
 */
import { AddressPool } from './address-pool.js';
import { type Cidr, type Family, cidrLast, parseCidr } from './cidr.js';
import { ErrorCodes, WeftError } from '../errors/index.js';
import type { PoolRecord, StoredPool } from './ipam-state.js';
import { Coverage, RangeList } from './range-list.js';

export class PoolRegistry {
  private readonly byId = new Map<string, AddressPool>();
  private readonly bySpace = new Map<string, RangeList<AddressPool>>();
  /** Per space and family: the address ranges the pools cover, back-to-back pools merged. */
  private readonly coverage = new Map<string, Coverage>();

  get(poolId: string): AddressPool | undefined {
    return this.byId.get(poolId);
  }

  all(): AddressPool[] {
    return [...this.byId.values()];
  }

  inSpace(space: string): AddressPool[] {
    return this.all().filter((p) => p.addressSpace === space);
  }

  /** A pool of the space overlapping the subnet, or undefined. */
  overlapping(space: string, cidr: Cidr): AddressPool | undefined {
    return this.bySpace.get(keyOf(space, cidr.family))?.overlapping(cidr.network, cidrLast(cidr))?.value;
  }

  /**
   * If pools of the space overlap the subnet: the last address of the run of
   * back-to-back pools that does, so a search can skip the whole run.
   */
  blockedUntil(space: string, cidr: Cidr): bigint | undefined {
    return this.coverage.get(keyOf(space, cidr.family))?.coveredUntil(cidr.network, cidrLast(cidr));
  }

  /** Adds a pool; false (and nothing added) if its id or subnet is taken in its space. */
  add(pool: AddressPool): boolean {
    if (this.byId.has(pool.id) || this.overlapping(pool.addressSpace, pool.cidr)) return false;
    const key = keyOf(pool.addressSpace, pool.cidr.family);
    let list = this.bySpace.get(key);
    if (!list) this.bySpace.set(key, (list = new RangeList()));
    let coverage = this.coverage.get(key);
    if (!coverage) this.coverage.set(key, (coverage = new Coverage()));
    list.insert({ start: pool.cidr.network, end: pool.last, value: pool });
    coverage.add(pool.cidr.network, pool.last);
    this.byId.set(pool.id, pool);
    return true;
  }

  remove(pool: AddressPool): void {
    if (this.byId.get(pool.id) !== pool) return;
    this.byId.delete(pool.id);
    const key = keyOf(pool.addressSpace, pool.cidr.family);
    this.bySpace.get(key)?.remove(pool.cidr.network, pool);
    this.coverage.get(key)?.remove(pool.cidr.network, pool.last);
  }

  clear(): void {
    this.byId.clear();
    this.bySpace.clear();
    this.coverage.clear();
  }
}

function keyOf(space: string, family: Family): string {
  return `${family}|${space}`;
}

/** Deterministic pool id, Docker's format: `<space>/<subnet>[/<subPool>]`. */
export function poolIdOf(space: string, subnet: string, subPool?: string): string {
  return subPool === undefined ? `${space}/${subnet}` : `${space}/${subnet}/${subPool}`;
}

/** Rebuilds a pool and its allocations from the store. */
export function poolFromStore(stored: StoredPool): AddressPool {
  const { record } = stored;
  const pool = new AddressPool({
    id: record.id,
    addressSpace: record.addressSpace,
    cidr: parseStoredCidr(record, record.pool),
    subPool: record.subPool === undefined ? undefined : parseStoredCidr(record, record.subPool),
    auto: record.auto,
    options: record.options,
  });
  pool.storeVersion = stored.version;
  for (const address of stored.addresses) {
    try {
      pool.reserve(pool.offsetOf(address.ip));
    } catch (err) {
      throw corruptPool(record, `address ${address.ip} does not belong to it`, err);
    }
  }
  pool.restoreCursor();
  return pool;
}

function parseStoredCidr(record: PoolRecord, text: string): Cidr {
  try {
    return parseCidr(text);
  } catch (err) {
    throw corruptPool(record, `bad subnet ${text}`, err);
  }
}

function corruptPool(record: PoolRecord, reason: string, cause: unknown): WeftError {
  return new WeftError(ErrorCodes.STORE_FAILED, 'Unavailable', `stored IPAM pool ${record.id} is corrupt: ${reason}`, {
    cause,
    details: { poolId: record.id },
  });
}
