/**
 * Kernel bench: one endpoint setup, done through LinuxKernel.apply (netlink,
 * pipelined per namespace socket) and by forking `ip` once per step — the
 * same five steps both ways, in a throwaway "host" namespace with a bridge:
 *
 *   1. veth whose peer is created in a fresh sandbox namespace as eth0
 *   2. an address on eth0      3. eth0 up
 *   4. default route via the bridge's address
 *   5. the host end on the bridge, up
 *
 * Each iteration gets a fresh sandbox namespace, made outside the timed
 * region. The two ways run as separate phases (after a warm-up of each):
 * interleaved, the exit and reaping of each `ip` process would spill kernel
 * work into the next netlink sample, which a daemon never sees. Everything
 * made here is deleted at the end, also on failure. Run with `node dist/bench/kernel.js`
 * (WEFT_BENCH_N=… for another iteration count).
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createLinuxKernel, type LinuxKernel } from '../src/kernel/linux/index.js';
import type { KernelOp } from '../src/kernel/ops.js';

const execFileAsync = promisify(execFile);

const GATEWAY = '10.200.0.1';
const PREFIX = 16;
const WARMUP = 5;

interface Stats {
  median: number;
  p99: number;
  mean: number;
}

type Method = 'apply' | 'ip';

export async function run(): Promise<void> {
  const iterations = Number(process.env.WEFT_BENCH_N ?? 200);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`WEFT_BENCH_N must be a positive integer, not ${process.env.WEFT_BENCH_N}`);
  if (process.getuid?.() !== 0) throw new Error('the kernel bench needs root (it creates network namespaces)');

  const kernel = createLinuxKernel();
  const prefix = `weftbench-${process.pid}`;
  const host = `${prefix}-h`;
  const made: string[] = [];
  try {
    await createNamespace(kernel, host, made);
    await kernel.apply(
      [
        { op: 'link.add', link: { name: 'br0', kind: 'bridge', up: true } },
        { op: 'addr.add', dev: 'br0', cidr: `${GATEWAY}/${PREFIX}` },
      ],
      { netns: host },
    );
    const samples: Record<Method, number[]> = { apply: [], ip: [] };
    let serial = 0;
    for (const method of ['apply', 'ip'] as const) {
      for (let i = 0; i < WARMUP + iterations; i++) {
        const n = serial++;
        const sandbox = `${prefix}-s${n}`;
        await createNamespace(kernel, sandbox, made);
        const ms = await timeSetup(kernel, method, { host, sandbox, n });
        if (i >= WARMUP) samples[method].push(ms);
      }
      // Both ways must have built the same thing.
      await verifyEndpoint({ host, sandbox: `${prefix}-s${serial - 1}`, n: serial - 1 });
    }
    report(iterations, summarise(samples.apply), summarise(samples.ip));
  } finally {
    await deleteNamespaces(kernel, made);
    await kernel.close();
  }
}

async function createNamespace(kernel: LinuxKernel, name: string, made: string[]): Promise<void> {
  made.push(name);
  await kernel.apply([{ op: 'netns.add', name }]);
}

/** Sandboxes first (their veths go with them), the host last; through the kernel so it drops its cached handles. */
async function deleteNamespaces(kernel: LinuxKernel, made: string[]): Promise<void> {
  for (const name of [...made].reverse()) {
    await kernel.apply([{ op: 'netns.del', name }]).catch((err: unknown) => {
      process.stderr.write(`bench cleanup: could not delete netns ${name}: ${String(err)}\n`);
    });
  }
}

interface Endpoint {
  host: string;
  sandbox: string;
  /** Distinct per endpoint: names the host end and picks the address. */
  n: number;
}

function addressOf(n: number): string {
  const hostPart = 256 + n; // 10.200.1.0 upwards, clear of the gateway
  return `10.200.${hostPart >> 8}.${hostPart & 255}/${PREFIX}`;
}

async function timeSetup(kernel: LinuxKernel, method: Method, ep: Endpoint): Promise<number> {
  const start = process.hrtime.bigint();
  if (method === 'apply') await setupWithApply(kernel, ep);
  else await setupWithIp(ep);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function setupWithApply(kernel: LinuxKernel, { host, sandbox, n }: Endpoint): Promise<KernelOp[]> {
  const hostEnd = `wb${n}`;
  return kernel.apply([
    { op: 'link.add', ns: host, link: { name: hostEnd, kind: 'veth', veth: { name: 'eth0', ns: sandbox } } },
    { op: 'addr.add', ns: sandbox, dev: 'eth0', cidr: addressOf(n) },
    { op: 'link.set', ns: sandbox, name: 'eth0', set: { up: true } },
    { op: 'route.add', ns: sandbox, route: { dst: 'default', via: GATEWAY } },
    { op: 'link.set', ns: host, name: hostEnd, set: { master: 'br0', up: true } },
  ]);
}

async function setupWithIp({ host, sandbox, n }: Endpoint): Promise<void> {
  const hostEnd = `wb${n}`;
  const steps = [
    ['-n', host, 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', sandbox],
    ['-n', sandbox, 'addr', 'add', addressOf(n), 'dev', 'eth0'],
    ['-n', sandbox, 'link', 'set', 'eth0', 'up'],
    ['-n', sandbox, 'route', 'add', 'default', 'via', GATEWAY],
    ['-n', host, 'link', 'set', hostEnd, 'master', 'br0', 'up'],
  ];
  for (const args of steps) await execFileAsync('ip', args);
}

/** Check an endpoint with ip itself: eth0 up with its address, default route via the gateway, host end on br0. */
async function verifyEndpoint({ host, sandbox, n }: Endpoint): Promise<void> {
  const ipJson = async (ns: string, ...args: string[]) => JSON.parse((await execFileAsync('ip', ['-n', ns, '-j', ...args])).stdout);
  const [[eth0], [route], [hostEnd]] = await Promise.all([
    ipJson(sandbox, 'addr', 'show', 'dev', 'eth0'),
    ipJson(sandbox, 'route', 'show', 'default'),
    ipJson(host, 'link', 'show', 'dev', `wb${n}`),
  ]);
  const ok =
    eth0?.flags?.includes('UP') &&
    eth0.addr_info?.some((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}` === addressOf(n)) &&
    route?.gateway === GATEWAY &&
    route?.dev === 'eth0' &&
    hostEnd?.master === 'br0' &&
    hostEnd?.flags?.includes('UP');
  if (!ok) throw new Error(`bench: endpoint in ${sandbox} is not as set up: ${JSON.stringify({ eth0, route, hostEnd })}`);
}

function summarise(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { median: at(0.5), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

function report(iterations: number, apply: Stats, ip: Stats): void {
  const ms = (v: number) => `${v.toFixed(3)} ms`.padStart(12);
  const x = (v: number) => `${v.toFixed(1)}x`.padStart(12);
  const row = (label: string, cells: string[]) => `${label.padEnd(30)}${cells.join('')}\n`;
  process.stdout.write(
    `endpoint setup: veth (peer born in the sandbox as eth0), address, up, default route, host end on bridge\n` +
      `${iterations} iterations each, fresh sandbox namespace per iteration\n\n` +
      row('', ['median', 'p99', 'mean'].map((h) => h.padStart(12))) +
      row('LinuxKernel.apply (netlink)', [ms(apply.median), ms(apply.p99), ms(apply.mean)]) +
      row('ip, one fork per step (5)', [ms(ip.median), ms(ip.p99), ms(ip.mean)]) +
      row('speed-up (ip / apply)', [x(ip.median / apply.median), x(ip.p99 / apply.p99), x(ip.mean / apply.mean)]) +
      `\ntarget: >= 10x faster than forking ip — ${ip.median / apply.median >= 10 ? 'met' : 'NOT met'} (median)\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((err: unknown) => {
    process.stderr.write(`kernel bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
