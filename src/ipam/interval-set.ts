/**
 * Allocated offsets as sorted, disjoint, non-adjacent inclusive intervals
 * (adjacent ones are merged). Memory is proportional to the number of runs of
 * consecutive allocations, so an IPv6 /64 never needs a 2^64 bitmap.
 */
import type { AllocationSet } from './allocation-set.js';

/** Rough V8 cost of one interval: two array slots plus two heap BigInts. */
const BYTES_PER_INTERVAL = 2 * (8 + 24);

export class IntervalSet implements AllocationSet {
  private readonly starts: bigint[] = [];
  private readonly ends: bigint[] = [];
  private allocated = 0;

  get count(): number {
    return this.allocated;
  }

  /** Number of intervals (runs of consecutive allocated offsets). */
  get runs(): number {
    return this.starts.length;
  }

  has(offset: bigint): boolean {
    const i = this.lastStartingAtOrBefore(offset);
    return i >= 0 && this.ends[i]! >= offset;
  }

  add(offset: bigint): boolean {
    const i = this.lastStartingAtOrBefore(offset);
    if (i >= 0 && this.ends[i]! >= offset) return false;
    const joinsLeft = i >= 0 && this.ends[i] === offset - 1n;
    const joinsRight = i + 1 < this.starts.length && this.starts[i + 1] === offset + 1n;
    if (joinsLeft && joinsRight) {
      this.ends[i] = this.ends[i + 1]!;
      this.starts.splice(i + 1, 1);
      this.ends.splice(i + 1, 1);
    } else if (joinsLeft) {
      this.ends[i] = offset;
    } else if (joinsRight) {
      this.starts[i + 1] = offset;
    } else {
      this.starts.splice(i + 1, 0, offset);
      this.ends.splice(i + 1, 0, offset);
    }
    this.allocated++;
    return true;
  }

  delete(offset: bigint): boolean {
    const i = this.lastStartingAtOrBefore(offset);
    if (i < 0 || this.ends[i]! < offset) return false;
    const start = this.starts[i]!;
    const end = this.ends[i]!;
    if (start === end) {
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (offset === start) {
      this.starts[i] = offset + 1n;
    } else if (offset === end) {
      this.ends[i] = offset - 1n;
    } else {
      this.ends[i] = offset - 1n;
      this.starts.splice(i + 1, 0, offset + 1n);
      this.ends.splice(i + 1, 0, end);
    }
    this.allocated--;
    return true;
  }

  nextFree(lo: bigint, hi: bigint, from: bigint): bigint | undefined {
    const start = from < lo ? lo : from > hi ? hi + 1n : from;
    return this.firstFreeFrom(start, hi) ?? this.firstFreeFrom(lo, start - 1n);
  }

  max(): bigint | undefined {
    return this.ends.length === 0 ? undefined : this.ends[this.ends.length - 1];
  }

  memoryBytes(): number {
    return this.starts.length * BYTES_PER_INTERVAL;
  }

  /** Intervals are merged, so the offset after a covering interval is free. */
  private firstFreeFrom(start: bigint, end: bigint): bigint | undefined {
    if (start > end) return undefined;
    const i = this.lastStartingAtOrBefore(start);
    const candidate = i >= 0 && this.ends[i]! >= start ? this.ends[i]! + 1n : start;
    return candidate <= end ? candidate : undefined;
  }

  /** Index of the last interval whose start is ≤ offset, or -1. */
  private lastStartingAtOrBefore(offset: bigint): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.starts[mid]! <= offset) low = mid + 1;
      else high = mid - 1;
    }
    return high;
  }
}
