/**
 * The set of allocated offsets of one pool (offset = address − network
 * address). Two implementations behind one interface: a flat bitmap for pools
 * up to 2^24 addresses (an IPv4 /8 costs 2 MiB) and a sorted interval set
 * whose memory follows the number of allocated runs, not the pool size (an
 * IPv6 /64 with 10k sequential allocations is one interval).
 */
import { BitmapSet } from './bitmap-set.js';
import { IntervalSet } from './interval-set.js';

export interface AllocationSet {
  /** Number of allocated offsets. */
  readonly count: number;
  has(offset: bigint): boolean;
  /** Marks the offset allocated; false if it already was. */
  add(offset: bigint): boolean;
  /** Marks the offset free; false if it was not allocated. */
  delete(offset: bigint): boolean;
  /**
   * The first free offset in [from, hi], else the first in [lo, from)
   * (a cursor that wraps), or undefined when [lo, hi] is full.
   */
  nextFree(lo: bigint, hi: bigint, from: bigint): bigint | undefined;
  /** The largest allocated offset. */
  max(): bigint | undefined;
  /** Approximate bytes held by the structure, for diagnostics and benchmarks. */
  memoryBytes(): number;
}

/** Pools up to this many addresses get a bitmap (2 MiB at the limit). */
export const BITMAP_MAX_ADDRESSES = 1n << 24n;

export function createAllocationSet(poolSize: bigint): AllocationSet {
  return poolSize <= BITMAP_MAX_ADDRESSES ? new BitmapSet(Number(poolSize)) : new IntervalSet();
}
