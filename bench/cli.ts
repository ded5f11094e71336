/**
 * CLI responsiveness: wall time of `weft` commands, each a fresh
 * `node dist/src/bin/weft.js -H unix://...` process (node start-up included)
 * against a real weftd in a throwaway host namespace, next to `node -e 0`
 * (node's own start-up) measured in the same run. The commands run round-robin,
 * one of each per round, so that machine noise spreads evenly over them.
 * `sandbox create NAME` joins the default bridge network (as `docker run`
 * does), so create and rm include the daemon's endpoint work.
 * Target: under 150 ms per command (Docker's CLI answers in tens of ms).
 *
 *   npm run build && node dist/bench/cli.js
 *   WEFT_BENCH_N=…            rounds (default 30)
 *   WEFT_BENCH_CLI=path.js    time another build of weft.js (before/after comparisons)
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { connect } from '../src/api/grpc/client.js';
import { requireRoot, uniqueName, withScratch } from './lib/scratch.js';
import { fmtMs, runTimedOk, summarise, table, type Summary } from './lib/timing.js';
import { startWeftd, WEFT, type BenchDaemon } from './lib/weftd.js';

const TARGET_MS = 150;
const WARMUP_ROUNDS = 3;

interface Command {
  label: string;
  /** The program and arguments for round `i`. */
  argv(i: number): string[];
  /** An independent check of what the command did (the sandbox's namespace exists or is gone). */
  check?(i: number): void;
  /** Not a weft command: no target applies. */
  reference?: boolean;
}

function commands(weft: string, target: string, prefix: string): Command[] {
  const cli = (...args: string[]) => [process.execPath, weft, '-H', target, ...args];
  // A sandbox joins the default bridge network unless told otherwise: create and rm include an endpoint.
  const sandbox = (i: number) => `${prefix}s${i}`;
  const exists = (name: string, want: boolean) => {
    if (existsSync(`/run/netns/${name}`) !== want) throw new Error(`namespace ${name} should ${want ? '' : 'not '}exist now`);
  };
  return [
    { label: 'node -e 0 (node start-up alone)', argv: () => [process.execPath, '-e', '0'], reference: true },
    { label: 'weft network ls', argv: () => cli('network', 'ls') },
    { label: 'weft network inspect bridge', argv: () => cli('network', 'inspect', 'bridge') },
    { label: 'weft sandbox create NAME', argv: (i) => cli('sandbox', 'create', sandbox(i)), check: (i) => exists(sandbox(i), true) },
    { label: 'weft sandbox rm NAME', argv: (i) => cli('sandbox', 'rm', sandbox(i)), check: (i) => exists(sandbox(i), false) },
  ];
}

/** Runs every command once per round; returns the samples of the rounds after the warm-up. */
async function measure(list: readonly Command[], rounds: number): Promise<number[][]> {
  const samples = list.map(() => [] as number[]);
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    for (const [k, command] of list.entries()) {
      const [program, ...args] = command.argv(round);
      const { ms } = await runTimedOk(program!, args);
      command.check?.(round);
      if (round >= WARMUP_ROUNDS) samples[k]!.push(ms);
    }
  }
  return samples;
}

/** Removes whatever sandboxes of this run are left (after a failure); the Scratch deletes their namespaces too. */
async function removeLeftovers(daemon: BenchDaemon, prefix: string): Promise<void> {
  const client = connect(daemon.target);
  try {
    for (const sandbox of await client.listSandboxes()) {
      if (sandbox.Name.startsWith(prefix)) await client.removeSandbox(sandbox.Name, true);
    }
  } finally {
    client.close();
  }
}

function report(list: readonly Command[], stats: readonly Summary[], weft: string, rounds: number): void {
  const rows = list.map((command, k) => {
    const s = stats[k]!;
    const verdict = command.reference ? '' : s.median < TARGET_MS ? 'met' : 'NOT met';
    return [command.label, fmtMs(s.median), fmtMs(s.p90), fmtMs(s.p99), fmtMs(s.mean), command.reference ? '' : `< ${TARGET_MS} ms`, verdict];
  });
  const node = stats[0]!.median;
  process.stdout.write(
    `weft CLI wall time per command: spawn to exit, node start-up included\n` +
      `${weft}, against a real weftd in a throwaway namespace; ${rounds} rounds after ${WARMUP_ROUNDS} warm-up rounds\n\n` +
      table(['command', 'median', 'p90', 'p99', 'mean', 'target', 'median'], rows) +
      `\nabove node's own start-up (median): ${list
        .slice(1)
        .map((c, k) => `${c.label.replace(/^weft /, '')} +${fmtMs(stats[k + 1]!.median - node)}`)
        .join(', ')}\n`,
  );
}

export async function run(): Promise<void> {
  requireRoot('cli');
  const rounds = Number(process.env.WEFT_BENCH_N ?? 30);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`WEFT_BENCH_N must be a positive integer, not ${process.env.WEFT_BENCH_N}`);
  const weft = process.env.WEFT_BENCH_CLI || WEFT;
  if (!existsSync(weft)) throw new Error(`${weft} is missing: run \`npm run build\` first`);
  await withScratch(async (scratch) => {
    const host = await scratch.netns('h');
    const daemon = await startWeftd(scratch, host);
    const prefix = uniqueName();
    const list = commands(weft, daemon.target, prefix);
    for (let i = 0; i < WARMUP_ROUNDS + rounds; i++) scratch.trackNetns(`${prefix}s${i}`);
    try {
      const samples = await measure(list, rounds);
      report(list, samples.map((s) => summarise(s)), weft, rounds);
    } finally {
      await removeLeftovers(daemon, prefix).catch((err: unknown) => process.stderr.write(`bench cleanup: ${String(err)}\n`));
    }
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((err: unknown) => {
    process.stderr.write(`cli bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
