/**
 * The pools an IPAM instance knows, by id and, per address space and family,
 * as a sorted range list for overlap queries.
 */
import { AddressPool } from './address-pool.js';
import { type Cidr, type Family, cidrLast, parseCidr } from './cidr.js';
import { ErrorCodes, WeftError } from '../errors/index.js';
import type { PoolRecord, StoredPool } from './ipam-state.js';
import { RangeList } from './range-list.js';

export class PoolRegistry {
  private readonly byId = new Map<string, AddressPool>();
  private readonly bySpace = new Map<string, RangeList<AddressPool>>();

  get(poolId: string): AddressPool | undefined {
    return this.byId.get(poolId);
  }

  all(): AddressPool[] {
    return [...this.byId.values()];
  }

  inSpace(space: string): AddressPool[] {
    return this.all().filter((p) => p.addressSpace === space);
  }

  /** The pools of one space and family, sorted (for the default-pool chooser). */
  ranges(space: string, family: Family): RangeList<AddressPool> | undefined {
    return this.bySpace.get(`${family}|${space}`);
  }

  /** A pool of the space overlapping the subnet, or undefined. */
  overlapping(space: string, cidr: Cidr): AddressPool | undefined {
    return this.ranges(space, cidr.family)?.overlapping(cidr.network, cidrLast(cidr))?.value;
  }

  /** Adds a pool; false (and nothing added) if its id or subnet is taken in its space. */
  add(pool: AddressPool): boolean {
    if (this.byId.has(pool.id) || this.overlapping(pool.addressSpace, pool.cidr)) return false;
    const key = `${pool.cidr.family}|${pool.addressSpace}`;
    let list = this.bySpace.get(key);
    if (!list) this.bySpace.set(key, (list = new RangeList()));
    list.insert({ start: pool.cidr.network, end: pool.last, value: pool });
    this.byId.set(pool.id, pool);
    return true;
  }

  remove(pool: AddressPool): void {
    if (this.byId.get(pool.id) !== pool) return;
    this.byId.delete(pool.id);
    this.ranges(pool.addressSpace, pool.cidr.family)?.remove(pool.cidr.network, pool);
  }

  clear(): void {
    this.byId.clear();
    this.bySpace.clear();
  }
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
  return new WeftError(ErrorCodes.STORE_FAILED, 'Internal', `stored IPAM pool ${record.id} is corrupt: ${reason}`, {
    cause,
    details: { poolId: record.id },
  });
}
