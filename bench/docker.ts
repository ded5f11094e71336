/**
 * weft as Docker's network and IPAM plugin, next to Docker's built-in bridge
 * driver, in the same run and the same dockerd: `docker network create`, then
 * per container `docker run --network` (create + start through the Engine
 * API) and `docker rm -f`, alternating between the two networks so drift hits
 * both alike. The dockerd and a real weftd (plugin socket
 * /run/docker/plugins/weft-<random>.sock) run in a throwaway namespace;
 * dockerd has --iptables=false, so the built-in bridge programs no NAT either.
 *
 * The plugin's own handler time (every plugin call the engine makes for one
 * container, as weftd logs it) is shown apart from the engine's wall time.
 * Target: run+rm per container within 10% of the built-in bridge.
 *
 *   npm run build && node dist/bench/docker.js      (WEFT_BENCH_N=… containers, default 30)
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dockerUnavailable, importImage, startDockerd, type EngineApi } from './lib/docker.js';
import { requireRoot, type Scratch, uniqueName, withScratch } from './lib/scratch.js';
import { fmtMs, summarise, table, timed, type Summary } from './lib/timing.js';
import { requireBuilt, WEFTD } from './lib/weftd.js';

const TARGET = 1.1;
const READY_TIMEOUT_MS = 30_000;

interface PluginCall {
  time: number;
  method: string;
  ms: number;
}

/** weftd with its plugin socket where dockerd looks, logging every plugin call (debug) for the handler times. */
async function startPluginWeftd(scratch: Scratch, host: string, pluginSocket: string): Promise<() => PluginCall[]> {
  requireBuilt();
  const dir = scratch.tempDir('weftd');
  const args = [`--net=/run/netns/${host}`, process.execPath, WEFTD, '--root', join(dir, 'state'), '--socket', join(dir, 'weft.sock'), '--plugin-socket', pluginSocket, '--log-level', 'debug'];
  const child = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  scratch.process(child, 'weftd');
  scratch.defer(`remove ${pluginSocket}`, () => rmSync(pluginSocket, { force: true }));
  const calls: PluginCall[] = [];
  let tail = '';
  let ready = false;
  // pino writes to stderr; either stream is parsed line by line.
  for (const stream of [child.stdout!, child.stderr!]) {
    let pending = '';
    stream.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-8000);
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"weftd ready"')) ready = true;
        if (!line.includes('"plugin request"')) continue;
        const entry = JSON.parse(line) as { time: number; method: string; ms: number };
        calls.push({ time: entry.time, method: entry.method, ms: entry.ms });
      }
    });
  }
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!ready) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`weftd did not start:\n${tail}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return () => calls;
}

interface Side {
  label: string;
  network: string;
  networkCreateMs: number;
  run: number[];
  rm: number[];
  /** [start, end] (epoch ms) of each timed call, to attribute plugin calls to containers. */
  windows: [number, number][];
}

async function createNetwork(api: EngineApi, side: Side, body: object): Promise<void> {
  side.networkCreateMs = (await timed(() => api.request('POST', '/networks/create', body))).ms;
}

async function runOne(api: EngineApi, scratch: Scratch, side: Side, image: string, name: string): Promise<void> {
  scratch.defer(`remove container ${name}`, () => api.request('DELETE', `/containers/${name}?force=true`).catch(() => undefined));
  const start = Date.now();
  const t = await timed(async () => {
    await api.request('POST', `/containers/create?name=${name}`, { Image: image, Cmd: ['/bin/sleep', '3600'], HostConfig: { NetworkMode: side.network } });
    await api.request('POST', `/containers/${name}/start`);
  });
  side.run.push(t.ms);
  side.windows.push([start, Date.now()]);
}

async function rmOne(api: EngineApi, side: Side, name: string): Promise<void> {
  const start = Date.now();
  side.rm.push((await timed(() => api.request('DELETE', `/containers/${name}?force=true`))).ms);
  side.windows.push([start, Date.now()]);
}

/** Sum of the plugin's handler times per docker call, from weftd's log: the run windows come first, then the rm ones. */
function handlerTimes(side: Side, calls: PluginCall[]): { run: Summary; rm: Summary } {
  const perWindow = side.windows.map(([from, to]) => calls.filter((c) => c.time >= from && c.time <= to + 2).reduce((sum, c) => sum + c.ms, 0));
  return { run: summarise(perWindow.slice(0, side.run.length)), rm: summarise(perWindow.slice(side.run.length)) };
}

function perMethod(calls: PluginCall[]): string[][] {
  const by = new Map<string, number[]>();
  for (const c of calls) by.set(c.method, [...(by.get(c.method) ?? []), c.ms]);
  return [...by].sort().map(([method, ms]) => {
    const s = summarise(ms);
    return [method.slice(1), String(s.n), fmtMs(s.median), fmtMs(s.p99)];
  });
}

function report(n: number, weft: Side, bridge: Side, calls: PluginCall[]): void {
  const rows = [weft, bridge].map((s) => {
    const run = summarise(s.run);
    const rm = summarise(s.rm);
    const both = summarise(s.run.map((v, i) => v + s.rm[i]!));
    return [s.label, fmtMs(s.networkCreateMs), fmtMs(run.median), fmtMs(run.p99), fmtMs(rm.median), fmtMs(rm.p99), fmtMs(both.median), fmtMs(both.p99)];
  });
  const ratio = summarise(weft.run.map((v, i) => v + weft.rm[i]!)).median / summarise(bridge.run.map((v, i) => v + bridge.rm[i]!)).median;
  const handler = handlerTimes(weft, calls);
  process.stdout.write(
    `${n} containers per driver, alternating; docker run = container create + start (Engine API), rm = rm -f\n\n` +
      table(['driver', 'net create', 'run p50', 'run p99', 'rm p50', 'rm p99', 'run+rm p50', 'run+rm p99'], rows) +
      `\nweft plugin handler time per container (all plugin calls of one docker call): run p50 ${fmtMs(handler.run.median)}, p99 ${fmtMs(handler.run.p99)}; ` +
      `rm p50 ${fmtMs(handler.rm.median)}, p99 ${fmtMs(handler.rm.p99)}\n\n` +
      table(['plugin method', 'calls', 'p50', 'p99'], perMethod(calls)) +
      `\ntarget: run+rm within ${Math.round((TARGET - 1) * 100)}% of the built-in bridge — ${ratio <= TARGET ? 'met' : 'NOT met'} (weft/bridge ${ratio.toFixed(2)}x)\n`,
  );
}

export async function run(): Promise<void> {
  requireRoot('docker');
  const missing = dockerUnavailable();
  if (missing) {
    process.stdout.write(`docker: not measured (${missing})\n`);
    return;
  }
  const n = Number(process.env.WEFT_BENCH_N ?? 30);
  await withScratch(async (scratch) => {
    const host = await scratch.netns('k');
    const plugin = `weft-${uniqueName()}`;
    const calls = await startPluginWeftd(scratch, host, `/run/docker/plugins/${plugin}.sock`);
    const api = await startDockerd(scratch, host);
    const prefix = uniqueName();
    const image = `${prefix}img`;
    await importImage(scratch, api, image);
    const weft: Side = { label: `weft (${plugin})`, network: `${prefix}w`, networkCreateMs: 0, run: [], rm: [], windows: [] };
    const bridge: Side = { label: 'docker bridge', network: `${prefix}b`, networkCreateMs: 0, run: [], rm: [], windows: [] };
    for (const side of [weft, bridge]) scratch.defer(`remove network ${side.network}`, () => api.request('DELETE', `/networks/${side.network}`).catch(() => undefined));
    await createNetwork(api, weft, { Name: weft.network, Driver: plugin, IPAM: { Driver: plugin, Config: [{ Subnet: '10.253.0.0/16' }] } });
    await createNetwork(api, bridge, { Name: bridge.network, Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.252.0.0/16' }] }, Options: { 'com.docker.network.bridge.name': uniqueName('d') } });
    // Warm-up: one untimed container per side.
    for (const side of [weft, bridge]) {
      await runOne(api, scratch, side, image, `${side.network}x`);
      await rmOne(api, side, `${side.network}x`);
      side.run.length = side.rm.length = side.windows.length = 0;
    }
    for (let i = 0; i < n; i++) for (const side of [weft, bridge]) await runOne(api, scratch, side, image, `${side.network}${i}`);
    for (let i = 0; i < n; i++) for (const side of [weft, bridge]) await rmOne(api, side, `${side.network}${i}`);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last log lines
    report(n, weft, bridge, calls());
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
