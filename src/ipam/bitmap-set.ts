/**
 * A flat bitmap in 32-bit words: O(1) add/delete/has, and a free-slot search
 * that skips 32 allocated addresses per step.
 */
import type { AllocationSet } from './allocation-set.js';

/** Bits 0..bit of a word, as an int32 mask. */
function maskUpTo(bit: number): number {
  return bit === 31 ? -1 : (1 << (bit + 1)) - 1;
}

export class BitmapSet implements AllocationSet {
  private readonly words: Uint32Array;
  private allocated = 0;

  constructor(readonly capacity: number) {
    this.words = new Uint32Array(Math.ceil(capacity / 32));
  }

  get count(): number {
    return this.allocated;
  }

  has(offset: bigint): boolean {
    const i = Number(offset);
    return i >= 0 && i < this.capacity && (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  add(offset: bigint): boolean {
    const i = this.index(offset);
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if ((this.words[w]! & bit) !== 0) return false;
    this.words[w] = this.words[w]! | bit;
    this.allocated++;
    return true;
  }

  delete(offset: bigint): boolean {
    const i = this.index(offset);
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if ((this.words[w]! & bit) === 0) return false;
    this.words[w] = this.words[w]! & ~bit;
    this.allocated--;
    return true;
  }

  nextFree(lo: bigint, hi: bigint, from: bigint): bigint | undefined {
    const low = Number(lo);
    const high = Math.min(Number(hi), this.capacity - 1);
    const start = Math.min(Math.max(Number(from), low), high + 1);
    const found = this.scan(start, high) ?? this.scan(low, start - 1);
    return found === undefined ? undefined : BigInt(found);
  }

  max(): bigint | undefined {
    for (let w = this.words.length - 1; w >= 0; w--) {
      const word = this.words[w]!;
      if (word !== 0) return BigInt(w * 32 + 31 - Math.clz32(word));
    }
    return undefined;
  }

  memoryBytes(): number {
    return this.words.byteLength;
  }

  /** The first clear bit in [start, end], or undefined. */
  private scan(start: number, end: number): number | undefined {
    if (start > end) return undefined;
    const lastWord = end >>> 5;
    let w = start >>> 5;
    let free = ~this.words[w]! & (-1 << (start & 31));
    for (;;) {
      if (w === lastWord) free &= maskUpTo(end & 31);
      if (free !== 0) return w * 32 + 31 - Math.clz32(free & -free);
      if (w === lastWord) return undefined;
      w++;
      free = ~this.words[w]!;
    }
  }

  private index(offset: bigint): number {
    const i = Number(offset);
    if (!(i >= 0 && i < this.capacity)) throw new RangeError(`offset ${offset} outside bitmap of ${this.capacity}`);
    return i;
  }
}
