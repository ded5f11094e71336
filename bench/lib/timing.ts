/** Samples, their summary (median, p90, p99), timed child processes, and aligned tables. */
import { spawn, type SpawnOptions } from 'node:child_process';

export interface Summary {
  n: number;
  median: number;
  p90: number;
  p99: number;
  mean: number;
  /** Wall time of the whole phase the samples came from, if it was measured (for ops/s). */
  totalMs?: number;
}

/** Nearest-rank percentiles (with 30 samples, p99 is the slowest one). */
export function summarise(samples: readonly number[], totalMs?: number): Summary {
  if (samples.length === 0) throw new Error('no samples to summarise');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, median: at(0.5), p90: at(0.9), p99: at(0.99), mean, totalMs };
}

/** Operations per second over a phase (its total wall time), or from the mean when the phase total is unknown. */
export function opsPerSecond(s: Summary): number {
  return s.totalMs !== undefined ? (s.n / s.totalMs) * 1000 : 1000 / s.mean;
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Times `fn` and returns its result with the milliseconds it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: elapsedMs(start), value };
}

export interface ChildResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its exit; `ms` is the wall time from spawn to exit (and its output closed). */
export function runTimed(command: string, args: readonly string[], options: SpawnOptions & { input?: string } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ ms: elapsedMs(start), code, stdout, stderr }));
    child.stdin!.end(options.input ?? '');
  });
}

/** Like runTimed, but a non-zero exit is an error that shows the program's stderr. */
export async function runTimedOk(command: string, args: readonly string[], options: SpawnOptions & { input?: string } = {}): Promise<ChildResult> {
  const result = await runTimed(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  return result;
}

export const fmtMs = (v: number): string => (v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`);
export const fmtRate = (v: number): string => `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}/s`;
export const fmtRatio = (v: number): string => `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}x`;

/** Left-aligned first column, right-aligned others. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
