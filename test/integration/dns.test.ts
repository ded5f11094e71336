/**
 * The embedded DNS end to end: a real weftd in a throwaway host namespace,
 * sandboxes made with the weft CLI, answers checked with dig (and getent,
 * ping) run inside the sandboxes with `ip netns exec`, which also mounts the
 * sandbox's resolv.conf. Upstream servers are dns2 servers the test runs in
 * the "outside" namespace (192.0.2.2 is the host's resolver, 192.0.2.3 a
 * sandbox's --dns); no query ever leaves the test's namespaces.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinuxKernel, type LinuxKernel } from '../../src/kernel/linux/index.js';
import { weftOk } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/dns-upstream.js';
import { NetnsPool, requireRoot } from '../helpers/netns.js';
import { hostWithOutside, SandboxNames } from '../helpers/topology.js';
import { pings, runIn } from '../helpers/traffic.js';
import { requireBuilt, startWeftd, type RunningWeftd } from '../helpers/weftd.js';

const pool = new NetnsPool();
const names = new SandboxNames();
const FUZZER = new URL('../fixtures/dns-fuzz.cjs', import.meta.url).pathname;
const BIG = Array.from({ length: 120 }, (_, i) => `203.0.113.${i + 1}`);
let kernel: LinuxKernel;
let weftd: RunningWeftd;
let host = '';
let outside = '';
let dir = '';
let hostUpstream: TestUpstream;
let ownUpstream: TestUpstream;

const ok = (...args: string[]) => weftOk(weftd.socket, args);
const addressOn = async (sandbox: string, network: string) => JSON.parse(await ok('sandbox', 'inspect', sandbox))[0].Networks[network].IPAddress as string;

/** dig inside the sandbox, through its resolv.conf: the `+short` lines, sorted. */
async function dig(sandbox: string, ...args: string[]): Promise<string[]> {
  const r = await runIn(sandbox, 'dig', ['+short', '+tries=1', '+time=4', ...args], 15_000);
  return r.stdout.trim().split('\n').filter((l) => l && !l.startsWith(';')).sort();
}

/** The status of a dig answer (NOERROR, NXDOMAIN, SERVFAIL, …). */
async function status(sandbox: string, ...args: string[]): Promise<string> {
  const r = await runIn(sandbox, 'dig', ['+tries=1', '+time=4', ...args], 15_000);
  return /status: (\w+)/.exec(r.stdout)?.[1] ?? `no answer: ${r.stdout}${r.stderr}`;
}

async function sandbox(tag: string, ...args: string[]): Promise<string> {
  const name = names.next(tag);
  await ok('sandbox', 'create', ...args, name);
  return name;
}

beforeAll(async () => {
  requireRoot();
  requireBuilt();
  kernel = createLinuxKernel();
  ({ host, outside } = hostWithOutside(pool));
  execFileSync('ip', ['-n', outside, 'addr', 'add', '192.0.2.3/24', 'dev', 'uplink']);
  hostUpstream = startUpstream(kernel, outside, '192.0.2.2', { 'www.example.test': ['198.51.100.7'], 'big.example.test': BIG });
  ownUpstream = startUpstream(kernel, outside, '192.0.2.3', { 'www.example.test': ['198.51.100.8'] });
  dir = mkdtempSync(join(tmpdir(), 'weft-dns-'));
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 192.0.2.2\nsearch corp.test\noptions ndots:1\n');
  weftd = startWeftd(host, { extraArgs: ['--resolv-conf', join(dir, 'resolv.conf')] });
  await weftd.waitForLog('weftd ready');
  await ok('network', 'create', '--subnet', '10.211.0.0/24', 'n1');
  await ok('network', 'create', '--subnet', '10.212.0.0/24', 'n2');
  await ok('network', 'create', '--internal', '--subnet', '10.213.0.0/24', 'n3');
});

afterAll(async () => {
  hostUpstream?.close();
  ownUpstream?.close();
  await weftd?.stop('SIGKILL');
  names.cleanup();
  pool.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await kernel?.close();
});

describe('names of sandboxes', () => {
  let a = '';
  let b = '';
  let c = '';

  it('resolve only between sandboxes that share a network', async () => {
    a = await sandbox('a', '--network', 'n1');
    b = await sandbox('b', '--network', 'n1', '--alias', 'bee');
    c = await sandbox('c', '--network', 'n2');
    await ok('network', 'connect', '--alias', 'bee2', 'n2', b);
    expect(readFileSync(`/etc/netns/${a}/resolv.conf`, 'utf8')).toMatch(/^nameserver 127\.0\.0\.11\nsearch corp\.test\noptions ndots:1\n$/m);
    const bOn1 = await addressOn(b, 'n1');
    const bOn2 = await addressOn(b, 'n2');
    expect(await dig(a, b)).toEqual([bOn1]);
    expect(await dig(c, b)).toEqual([bOn2]);
    expect(await dig(b, a)).toEqual([await addressOn(a, 'n1')]);
    expect(await dig(b, c)).toEqual([await addressOn(c, 'n2')]);
    // a and c share nothing: the name is not weft's for them, and the upstream has never heard of it
    expect(await status(a, c)).toBe('NXDOMAIN');
    expect(await status(c, a)).toBe('NXDOMAIN');
    expect(await dig(a, `${b}.n1`)).toEqual([bOn1]);
    expect(await dig(a, `${b}.n2`)).toEqual([]);
    expect(await dig(a, b.toUpperCase())).toEqual([bOn1]);
  });

  it('resolves aliases per network, every holder of an alias, and PTR for each address', async () => {
    const bOn1 = await addressOn(b, 'n1');
    expect(await dig(a, 'bee')).toEqual([bOn1]);
    expect(await dig(a, 'bee2')).toEqual([]);
    expect(await dig(c, 'bee2')).toEqual([await addressOn(b, 'n2')]);
    const d = await sandbox('d', '--network', 'n1', '--alias', 'bee');
    expect(await dig(a, 'bee')).toEqual([bOn1, await addressOn(d, 'n1')].sort());
    expect(await dig(a, '-x', bOn1)).toEqual([`${b}.n1.`]);
    expect(await dig(c, '-x', await addressOn(b, 'n2'))).toEqual([`${b}.n2.`]);
    expect(await status(a, '-x', '10.211.0.250')).toBe('NXDOMAIN');
  });

  it('answers AAAA and ip6.arpa PTR on an IPv6 network', async () => {
    await ok('network', 'create', '--ipv6', '--subnet', '10.214.0.0/24', '--subnet', 'fd00:214::/64', 'n6');
    const x = await sandbox('x6', '--network', 'n6');
    const y = await sandbox('y6', '--network', 'n6');
    const yInfo = JSON.parse(await ok('sandbox', 'inspect', y))[0].Networks.n6;
    expect(await dig(x, y, 'AAAA')).toEqual([yInfo.GlobalIPv6Address]);
    expect(await dig(x, y, 'A')).toEqual([yInfo.IPAddress]);
    expect(await dig(x, '-x', yInfo.GlobalIPv6Address)).toEqual([`${y}.n6.`]);
  });

  it('works for getent and ping through the C library', async () => {
    const r = await runIn(a, 'getent', ['hosts', b]);
    expect(r.stdout.split(/\s+/)[0]).toBe(await addressOn(b, 'n1'));
    expect(await pings(a, b)).toBe(true);
  });

  it('sees disconnect, a new alias and removal at the next query', async () => {
    await ok('network', 'disconnect', 'n2', b);
    expect(await status(c, b)).toBe('NXDOMAIN');
    await ok('network', 'connect', '--alias', 'renamed', 'n2', b);
    expect(await dig(c, 'renamed')).toEqual([await addressOn(b, 'n2')]);
    expect(await status(c, 'bee2')).toBe('NXDOMAIN');
    await ok('sandbox', 'rm', b);
    // Each dig has its own source port, so the kernel spreads them over the resolver's threads: all see it.
    const statuses = await Promise.all(Array.from({ length: 8 }, () => status(a, b)));
    expect(statuses).toEqual(Array(8).fill('NXDOMAIN'));
    expect(await status(c, 'renamed')).toBe('NXDOMAIN');
  });
});

describe('forwarding', () => {
  it("sends other names to the host's resolver, or to the sandbox's --dns servers", async () => {
    const a = await sandbox('fa', '--network', 'n1');
    const own = await sandbox('fo', '--network', 'n1', '--dns', '192.0.2.3');
    expect(await dig(a, 'www.example.test')).toEqual(['198.51.100.7']);
    expect(await dig(own, 'www.example.test')).toEqual(['198.51.100.8']);
    expect(await status(a, 'nowhere.example.test')).toBe('NXDOMAIN');
  });

  it("reaches a resolver on the host's loopback from the daemon's namespace, not the sandbox's", async () => {
    const loopback = startUpstream(kernel, host, '127.0.0.1', { 'loop.example.test': ['198.51.100.9'] });
    try {
      const l = await sandbox('fl', '--network', 'n1', '--dns', '127.0.0.1');
      expect(await dig(l, 'loop.example.test')).toEqual(['198.51.100.9']);
      expect(loopback.asked('loop.example.test')).toHaveLength(1);
    } finally {
      loopback.close();
    }
  });

  it('fails over from a dead upstream to the next', async () => {
    // 192.0.2.4 is on the uplink's subnet but nobody has it: queries to it go unanswered.
    const f = await sandbox('ff', '--network', 'n1', '--dns', '192.0.2.4', '--dns', '192.0.2.3');
    expect(await dig(f, 'www.example.test')).toEqual(['198.51.100.8']);
  });

  it('retries over TCP when the upstream truncates, and gives the client the whole answer', async () => {
    const t = await sandbox('ft', '--network', 'n1');
    const answer = await dig(t, 'big.example.test');
    expect(answer).toEqual([...BIG].sort());
    expect(hostUpstream.asked('big.example.test').map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('does not forward from a sandbox only on an internal network, where its names still resolve', async () => {
    const i = await sandbox('fi', '--network', 'n3');
    const j = await sandbox('fj', '--network', 'n3');
    const before = hostUpstream.questions.length;
    expect(await status(i, 'www.example.test')).toBe('NXDOMAIN');
    expect(await dig(i, j)).toEqual([await addressOn(j, 'n3')]);
    expect(hostUpstream.questions.length).toBe(before);
  });

  it('gives a none-network sandbox a resolver that forwards nothing', async () => {
    const lone = await sandbox('fn', '--network', 'none');
    const before = hostUpstream.questions.length;
    expect(readFileSync(`/etc/netns/${lone}/resolv.conf`, 'utf8')).toMatch(/^nameserver 127\.0\.0\.11$/m);
    expect(await status(lone, 'www.example.test')).toBe('NXDOMAIN');
    expect(hostUpstream.questions.length).toBe(before);
  });
});

describe('not an open resolver', () => {
  it('answers only inside sandboxes, on 127.0.0.11', async () => {
    const a = await sandbox('oa', '--network', 'n1');
    expect(await status(host, '@127.0.0.11', 'www.example.test')).toMatch(/^no answer/);
    const addr = await addressOn(a, 'n1');
    expect(await status(host, `@${addr}`, 'www.example.test')).toMatch(/^no answer/);
  });

  it('survives random and malformed packets, then answers correctly over UDP and TCP', async () => {
    const a = await sandbox('za', '--network', 'n1');
    const b = await sandbox('zb', '--network', 'n1');
    const r = await runIn(a, process.execPath, [FUZZER, '127.0.0.11', b, await addressOn(b, 'n1'), '7'], 60_000);
    const result = JSON.parse(r.stdout.trim() || '{}');
    expect(result).toMatchObject({ reflected: 0, udpOk: true, tcpOk: true });
    expect(result.sent).toBeGreaterThan(3000);
    expect(weftd.child.exitCode).toBeNull();
    expect(weftd.logs()).not.toMatch(/dns worker failed|dns socket error/);
    expect(await dig(a, b)).toEqual([await addressOn(b, 'n1')]);
  }, 90_000);
});

describe('restart', () => {
  it('serves existing sandboxes again after the daemon restarts', async () => {
    const a = await sandbox('ra', '--network', 'n1');
    const b = await sandbox('rb', '--network', 'n1', '--alias', 'rbee');
    const root = weftd.root;
    await weftd.stop('SIGTERM', { keepRoot: true });
    weftd = startWeftd(host, { root, extraArgs: ['--resolv-conf', join(dir, 'resolv.conf')] });
    await weftd.waitForLog('weftd ready');
    expect(await dig(a, 'rbee')).toEqual([await addressOn(b, 'n1')]);
    expect(await dig(a, 'www.example.test')).toEqual(['198.51.100.7']);
  });
});
