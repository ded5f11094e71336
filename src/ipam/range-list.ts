/**
 * Sorted address ranges with an overlap query in O(log n). Used for the pools
 * of one address space and family (disjoint by construction) and for the
 * routes in use (merged on construction).
 */

export interface Range<T> {
  start: bigint;
  end: bigint;
  value: T;
}

export class RangeList<T> {
  /** Sorted by start; for disjoint lists also sorted by end. */
  private readonly ranges: Range<T>[] = [];

  get size(): number {
    return this.ranges.length;
  }

  values(): T[] {
    return this.ranges.map((r) => r.value);
  }

  /** Inserts a range that overlaps none of the present ones. */
  insert(range: Range<T>): void {
    this.ranges.splice(this.firstEndingAtOrAfter(range.start), 0, range);
  }

  /** Removes the range holding `value`; false if absent. */
  remove(start: bigint, value: T): boolean {
    const i = this.firstEndingAtOrAfter(start);
    if (this.ranges[i]?.value !== value) return false;
    this.ranges.splice(i, 1);
    return true;
  }

  /** A range overlapping [start, end], or undefined. Ranges must be disjoint. */
  overlapping(start: bigint, end: bigint): Range<T> | undefined {
    const range = this.ranges[this.firstEndingAtOrAfter(start)];
    return range && range.start <= end ? range : undefined;
  }

  private firstEndingAtOrAfter(address: bigint): number {
    let low = 0;
    let high = this.ranges.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.ranges[mid]!.end < address) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** Merges possibly overlapping ranges into a disjoint list (values of merged ranges are dropped but the first). */
export function mergedRangeList<T>(ranges: readonly Range<T>[]): RangeList<T> {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const list = new RangeList<T>();
  let current: Range<T> | undefined;
  for (const range of sorted) {
    if (current && range.start <= current.end + 1n) {
      if (range.end > current.end) current.end = range.end;
      continue;
    }
    if (current) list.insert(current);
    current = { ...range };
  }
  if (current) list.insert(current);
  return list;
}
