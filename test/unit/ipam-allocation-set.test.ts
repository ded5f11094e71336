import { describe, expect, it } from 'vitest';
import { createAllocationSet, type AllocationSet } from '../../src/ipam/allocation-set.js';
import { BitmapSet } from '../../src/ipam/bitmap-set.js';
import { IntervalSet } from '../../src/ipam/interval-set.js';
import { Coverage } from '../../src/ipam/range-list.js';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function referenceNextFree(used: Set<bigint>, lo: bigint, hi: bigint, from: bigint): bigint | undefined {
  const start = from < lo ? lo : from;
  for (let o = start; o <= hi; o++) if (!used.has(o)) return o;
  for (let o = lo; o < start && o <= hi; o++) if (!used.has(o)) return o;
  return undefined;
}

function differential(make: () => AllocationSet, size: number, seed: number): void {
  const set = make();
  const used = new Set<bigint>();
  const next = random(seed);
  const pick = () => BigInt(Math.floor(next() * size));
  for (let step = 0; step < 4000; step++) {
    const offset = pick();
    if (next() < 0.6) expect(set.add(offset)).toBe(!used.has(offset)), used.add(offset);
    else expect(set.delete(offset)).toBe(used.delete(offset));
    expect(set.count).toBe(used.size);
    const probe = pick();
    expect(set.has(probe)).toBe(used.has(probe));
    const [a, b] = [pick(), pick()];
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const from = pick();
    expect(set.nextFree(lo, hi, from)).toBe(referenceNextFree(used, lo, hi, from));
  }
  const max = used.size === 0 ? undefined : [...used].reduce((m, o) => (o > m ? o : m));
  expect(set.max()).toBe(max);
}

describe('allocation sets', () => {
  it('the bitmap agrees with a reference Set (random ops, word boundaries)', () => {
    differential(() => new BitmapSet(100), 100, 1);
    differential(() => new BitmapSet(64), 64, 2);
    differential(() => new BitmapSet(1000), 1000, 3);
  });

  it('the interval set agrees with a reference Set (random ops)', () => {
    differential(() => new IntervalSet(), 100, 4);
    differential(() => new IntervalSet(), 1000, 5);
  });

  it('the bitmap finds the last free slot of a full word run and reports exhaustion', () => {
    const set = new BitmapSet(96);
    for (let i = 0n; i < 96n; i++) if (i !== 95n) set.add(i);
    expect(set.nextFree(0n, 95n, 10n)).toBe(95n);
    set.add(95n);
    expect(set.nextFree(0n, 95n, 10n)).toBeUndefined();
  });

  it('the interval set merges runs: 10k sequential offsets in a /64 are one interval', () => {
    const set = new IntervalSet();
    const base = 1n << 40n;
    for (let i = 0n; i < 10_000n; i++) set.add(base + i);
    expect(set.runs).toBe(1);
    expect(set.memoryBytes()).toBeLessThan(100);
    set.delete(base + 5000n);
    expect(set.runs).toBe(2);
    expect(set.nextFree(0n, (1n << 64n) - 1n, base)).toBe(base + 5000n);
  });

  it('chooses a bitmap up to 2^24 addresses and intervals beyond', () => {
    expect(createAllocationSet(1n << 16n)).toBeInstanceOf(BitmapSet);
    expect(createAllocationSet(1n << 24n).memoryBytes()).toBe(2 * 1024 * 1024);
    expect(createAllocationSet(1n << 25n)).toBeInstanceOf(IntervalSet);
    expect(createAllocationSet(1n << 64n).memoryBytes()).toBe(0);
  });

  it('coverage merges back-to-back ranges and splits on removal (random, against brute force)', () => {
    const next = random(6);
    const coverage = new Coverage();
    const blocks = new Set<number>(); // blocks of 4 addresses: [4b, 4b+3]
    for (let step = 0; step < 3000; step++) {
      const block = Math.floor(next() * 64);
      if (blocks.has(block)) coverage.remove(BigInt(block * 4), BigInt(block * 4 + 3)), blocks.delete(block);
      else coverage.add(BigInt(block * 4), BigInt(block * 4 + 3)), blocks.add(block);
      const start = Math.floor(next() * 256);
      const end = start + Math.floor(next() * 16);
      let expected: bigint | undefined;
      // the end of the last run overlapping [start, end]
      for (let a = end; a >= start && expected === undefined; a--) {
        if (!blocks.has(a >> 2)) continue;
        let b = a >> 2;
        while (blocks.has(b + 1)) b++;
        expected = BigInt(b * 4 + 3);
      }
      expect(coverage.coveredUntil(BigInt(start), BigInt(end))).toBe(expected);
    }
    let runs = 0;
    for (let b = 0; b < 64; b++) if (blocks.has(b) && !blocks.has(b - 1)) runs++;
    expect(coverage.runs).toBe(runs);
  });
});
