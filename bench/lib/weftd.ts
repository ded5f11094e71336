/**
 * A real weftd (from dist/) for benches, inside a throwaway "host" namespace
 * entered with nsenter --net (not `ip netns exec`, which would give it a
 * private mount namespace, so the sandboxes it makes under /run/netns would
 * not be usable from outside), with its own root directory and sockets in a
 * temp directory. The Scratch stops it by pid and removes the directory.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../src/api/grpc/client.js';
import type { Scratch } from './scratch.js';

/** dist/src/bin/, seen from dist/bench/lib/. */
export const WEFTD = new URL('../../src/bin/weftd.js', import.meta.url).pathname;
export const WEFT = new URL('../../src/bin/weft.js', import.meta.url).pathname;

const READY_TIMEOUT_MS = 30_000;
/** Keep this much of the daemon's log, for the error when it fails. */
const LOG_TAIL_CHARS = 16_384;

export function requireBuilt(): void {
  if (!existsSync(WEFTD) || !existsSync(WEFT)) throw new Error('dist/ is incomplete: run `npm run build` first (npm run bench does)');
}

export interface BenchDaemon {
  /** unix:///.../weft.sock, for the client and `weft -H`. */
  target: string;
  pid: number;
  /** The end of its log (warnings and errors). */
  logTail(): string;
}

/** Starts weftd in `hostNetns` and resolves once its API answers. */
export async function startWeftd(scratch: Scratch, hostNetns: string): Promise<BenchDaemon> {
  requireBuilt();
  const dir = scratch.tempDir('weftd');
  const args = [
    `--net=/run/netns/${hostNetns}`,
    process.execPath,
    WEFTD,
    '--root', join(dir, 'state'),
    '--socket', join(dir, 'weft.sock'),
    '--plugin-socket', join(dir, 'plugin.sock'),
    '--log-level', 'warn',
  ];
  // nsenter execs the program, so the pid is weftd's own.
  const child = spawn('nsenter', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  scratch.process(child, 'weftd');
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-LOG_TAIL_CHARS)));
  const daemon: BenchDaemon = { target: `unix://${join(dir, 'weft.sock')}`, pid: child.pid ?? -1, logTail: () => log };
  await waitUntilAnswering(daemon, () => child.exitCode !== null || child.signalCode !== null);
  return daemon;
}

async function waitUntilAnswering(daemon: BenchDaemon, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const client = connect(daemon.target);
  try {
    for (;;) {
      if (exited()) throw new Error(`weftd exited before answering:\n${daemon.logTail()}`);
      if (Date.now() > deadline) throw new Error(`weftd did not answer within ${READY_TIMEOUT_MS} ms:\n${daemon.logTail()}`);
      try {
        await client.version();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    client.close();
  }
}
