/**
 * Runs a real weftd (from dist/) inside a throwaway "host" namespace, entered
 * with nsenter --net (not `ip netns exec`, which would give it a private mount
 * namespace), with its own root directory and sockets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WEFTD = new URL('../../dist/src/bin/weftd.js', import.meta.url).pathname;
export const WEFT = new URL('../../dist/src/bin/weft.js', import.meta.url).pathname;

export function requireBuilt(): void {
  if (!existsSync(WEFTD)) throw new Error('dist/ is missing: run `npm run build` first (npm test and scripts/test.sh do)');
}

export interface RunningWeftd {
  child: ChildProcess;
  root: string;
  /** The gRPC API socket. */
  socket: string;
  logs: () => string;
  /** Resolves when a JSON log line with this msg appears; rejects on exit or timeout. */
  waitForLog: (msg: string, timeoutMs?: number) => Promise<Record<string, unknown>>;
  /** How many JSON log lines with this msg there are so far. */
  logCount: (msg: string) => number;
  /** Resolves when the n-th line with this msg (counting from the start) appears. */
  waitForNthLog: (msg: string, n: number, timeoutMs?: number) => Promise<Record<string, unknown>>;
  /** Stop (SIGTERM by default); the root directory is deleted unless `keepRoot` (for a restart over the same state). */
  stop: (signal?: NodeJS.Signals, options?: { keepRoot?: boolean }) => Promise<number | null>;
}

export interface WeftdOptions {
  extraArgs?: string[];
  /** Reuse the state of an earlier daemon (a restart). */
  root?: string;
}

export function startWeftd(hostNetns: string, options: WeftdOptions = {}): RunningWeftd {
  requireBuilt();
  const root = options.root ?? mkdtempSync(join(tmpdir(), 'weftd-'));
  const extraArgs = options.extraArgs ?? [];
  const args = [
    `--net=/run/netns/${hostNetns}`,
    process.execPath,
    WEFTD,
    '--root', join(root, 'state'),
    '--socket', join(root, 'weft.sock'),
    '--plugin-socket', join(root, 'plugin.sock'),
    '--log-level', 'debug',
    ...extraArgs,
  ];
  const child = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.on('exit', () => {
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const logsWith = (msg: string) =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{') && l.endsWith('}'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === msg);
  const waitFor = (msg: string, n: number, timeoutMs: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`weftd: no "${msg}" log #${n} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const check = () => {
        const line = logsWith(msg)[n - 1];
        if (line) done(undefined, line);
        else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`weftd exited (${child.exitCode ?? child.signalCode}) before "${msg}" #${n}:\n${output}`));
      };
      const done = (err?: Error, line?: Record<string, unknown>) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (err) reject(err);
        else resolve(line!);
      };
      waiters.add(check);
      check();
    });

  return {
    child,
    root,
    socket: join(root, 'weft.sock'),
    logs: () => output,
    waitForLog: (msg, timeoutMs = 20_000) => waitFor(msg, 1, timeoutMs),
    logCount: (msg) => logsWith(msg).length,
    waitForNthLog: (msg, n, timeoutMs = 20_000) => waitFor(msg, n, timeoutMs),
    async stop(signal = 'SIGTERM', stopOptions = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      if (!stopOptions.keepRoot) rmSync(root, { recursive: true, force: true });
      return code;
    },
  };
}
