/**
 * dnsperf as the DNS benches run it: inside a given network namespace
 * (nsenter --net), against one server, with a query file; a throughput run
 * (as many queries as the server answers, several clients) and a latency run
 * at a fixed offered rate (-Q) with every answer's latency printed (-v), from
 * which p50 and p99 are taken. Also the shared upstream: a namespace with a
 * lean UDP responder that answers every A question with one address.
 */
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kernel } from '../../src/kernel/kernel.js';
import type { Scratch } from './scratch.js';
import { summarise } from './timing.js';

const execFileAsync = promisify(execFile);
/**
 * Queries in flight at most. Much more and the client's own socket drops
 * answers of its bursts, and each lost query holds a slot for the whole
 * timeout, which then measures dnsperf rather than the server.
 */
export const OUTSTANDING = 100;

export interface Throughput {
  qps: number;
  completed: number;
  lost: number;
  /** dnsperf's average latency under full load, ms. */
  avgMs: number;
  rcodes: string;
}

export interface Latency {
  rate: number;
  p50Ms: number;
  p99Ms: number;
  answered: number;
  lost: number;
}

/** Where dnsperf runs and what it asks. */
export interface PerfTarget {
  /** A path for nsenter --net (/run/netns/NAME, or a container's SandboxKey). */
  netnsPath: string;
  server: string;
  /** Query files by mix name. */
  files: Record<string, string>;
}

export async function requireDnsperf(): Promise<void> {
  try {
    await execFileAsync('dnsperf', ['-h']);
  } catch (err) {
    // dnsperf -h exits 1 after printing its usage; only a missing binary matters
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('dnsperf is not installed: apt-get install dnsperf');
  }
}

function dnsperf(target: PerfTarget, file: string, extra: string[], timeoutMs: number): Promise<string> {
  const args = [`--net=${target.netnsPath}`, 'dnsperf', '-s', target.server, '-d', file, ...extra];
  return execFileAsync('nsenter', args, { timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024 }).then((r) => r.stdout);
}

const field = (text: string, label: string): number => Number(new RegExp(`${label}:\\s+([\\d.]+)`).exec(text)?.[1] ?? NaN);

export async function throughput(target: PerfTarget, mix: string, seconds: number, clients: number): Promise<Throughput> {
  const out = await dnsperf(target, target.files[mix]!, ['-l', String(seconds), '-c', String(clients), '-q', String(OUTSTANDING), '-t', '2'], (seconds + 20) * 1000);
  return {
    qps: field(out, 'Queries per second'),
    completed: field(out, 'Queries completed'),
    lost: field(out, 'Queries lost'),
    avgMs: field(out, 'Average Latency \\(s\\)') * 1000,
    rcodes: /Response codes:\s+(.*)/.exec(out)?.[1]?.trim() ?? '?',
  };
}

/** Latency of every answer at `rate` queries per second, from dnsperf -v ("> NOERROR name A 0.000123"). */
export async function latency(target: PerfTarget, mix: string, seconds: number, rate: number): Promise<Latency> {
  const out = await dnsperf(target, target.files[mix]!, ['-l', String(seconds), '-Q', String(rate), '-c', '4', '-q', String(OUTSTANDING), '-t', '2', '-v'], (seconds + 20) * 1000);
  const samples: number[] = [];
  for (const line of out.split('\n')) {
    if (!line.startsWith('> ')) continue;
    const seconds = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(seconds)) samples.push(seconds * 1000);
  }
  if (samples.length === 0) throw new Error(`dnsperf printed no answers:\n${out.slice(0, 2000)}`);
  const s = summarise(samples);
  return { rate, p50Ms: s.median, p99Ms: s.p99, answered: samples.length, lost: field(out, 'Queries lost') };
}

/** A query file: each name asked for A, in order, dnsperf cycling through them. */
export function queryFile(dir: string, mix: string, names: readonly string[]): string {
  const path = join(dir, `${mix}.queries`);
  writeFileSync(path, names.map((n) => `${n} A\n`).join(''));
  return path;
}

/** Local names and forwarded names interleaved half and half. */
export function mixed(local: readonly string[], forwarded: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(local.length, forwarded.length); i++) out.push(local[i % local.length]!, forwarded[i % forwarded.length]!);
  return out;
}

export const FORWARDED_NAMES = Array.from({ length: 50 }, (_, i) => `f${i}.bench.test`);
export const UPSTREAM_ANSWER = '198.51.100.77';

/**
 * The upstream: answers every question with one A record (TTL 300), echoing
 * the question, without OPT. Lean on purpose: resolvers that do not cache send
 * it every forwarded query, and it must not be the bottleneck.
 */
export function startUpstream(scratch: Scratch, kernel: Kernel, netns: string): { count: () => number } {
  const socket = dgram.createSocket({ type: 'udp4', lookup: ((a: string, _f: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, a, 4)) as never });
  let answered = 0;
  const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, ...UPSTREAM_ANSWER.split('.').map(Number)]);
  socket.on('message', (query, peer) => {
    if (query.length < 17 || query[2]! & 0x80) return;
    let end = 12;
    while (end < query.length && query[end] !== 0) end += query[end]! + 1;
    end += 5;
    if (end > query.length) return;
    const out = Buffer.allocUnsafe(end + rr.length);
    query.copy(out, 0, 0, end);
    out[2] = 0x80 | (query[2]! & 0x01);
    out[3] = 0x80;
    out.writeUInt16BE(1, 6);
    out.writeUInt32BE(0, 8);
    rr.copy(out, end);
    answered++;
    socket.send(out, peer.port, peer.address);
  });
  socket.on('error', () => undefined);
  socket.bind({ fd: kernel.openSocket(netns, 4, 'udp', '0.0.0.0', 53) });
  scratch.defer('close the bench upstream', () => socket.close());
  return { count: () => answered };
}

/** A veth between a system's host namespace ("toupstream", .1) and the upstream namespace (.2) on 10.254.N.0/30. */
export async function linkToUpstream(host: string, upstream: string, n: number): Promise<{ hostAddress: string; upstreamAddress: string }> {
  const ip = (...args: string[]) => execFileAsync('ip', args);
  const peer = `h${n}`;
  await ip('-n', host, 'link', 'add', 'toupstream', 'type', 'veth', 'peer', 'name', peer, 'netns', upstream);
  await ip('-n', host, 'addr', 'add', `10.254.${n}.1/30`, 'dev', 'toupstream');
  await ip('-n', upstream, 'addr', 'add', `10.254.${n}.2/30`, 'dev', peer);
  await ip('-n', host, 'link', 'set', 'toupstream', 'up');
  await ip('-n', upstream, 'link', 'set', peer, 'up');
  return { hostAddress: `10.254.${n}.1`, upstreamAddress: `10.254.${n}.2` };
}
