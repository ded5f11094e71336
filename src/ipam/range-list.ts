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

/**
 * The address space covered by a set of disjoint ranges, with adjacent ranges
 * merged, so a search can jump past a whole run of back-to-back pools in one
 * step.
 */
export class Coverage {
  private readonly starts: bigint[] = [];
  private readonly ends: bigint[] = [];

  get runs(): number {
    return this.starts.length;
  }

  /** Adds a range that overlaps nothing covered. */
  add(start: bigint, end: bigint): void {
    const i = this.lastStartingAtOrBefore(start);
    const joinsLeft = i >= 0 && this.ends[i] === start - 1n;
    const joinsRight = i + 1 < this.starts.length && this.starts[i + 1] === end + 1n;
    if (joinsLeft && joinsRight) {
      this.ends[i] = this.ends[i + 1]!;
      this.starts.splice(i + 1, 1);
      this.ends.splice(i + 1, 1);
    } else if (joinsLeft) {
      this.ends[i] = end;
    } else if (joinsRight) {
      this.starts[i + 1] = start;
    } else {
      this.starts.splice(i + 1, 0, start);
      this.ends.splice(i + 1, 0, end);
    }
  }

  /** Removes a range that was added before (it lies within one run). */
  remove(start: bigint, end: bigint): void {
    const i = this.lastStartingAtOrBefore(start);
    if (i < 0 || this.ends[i]! < end) return;
    const [runStart, runEnd] = [this.starts[i]!, this.ends[i]!];
    const pieces: [bigint, bigint][] = [];
    if (runStart < start) pieces.push([runStart, start - 1n]);
    if (end < runEnd) pieces.push([end + 1n, runEnd]);
    this.starts.splice(i, 1, ...pieces.map((p) => p[0]));
    this.ends.splice(i, 1, ...pieces.map((p) => p[1]));
  }

  /** The end of the last covered run overlapping [start, end], or undefined. */
  coveredUntil(start: bigint, end: bigint): bigint | undefined {
    const i = this.lastStartingAtOrBefore(end);
    if (i < 0 || this.ends[i]! < start) return undefined;
    return this.ends[i];
  }

  private lastStartingAtOrBefore(address: bigint): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.starts[mid]! <= address) low = mid + 1;
      else high = mid - 1;
    }
    return high;
  }
}
