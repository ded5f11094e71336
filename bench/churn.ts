/**
 * Endpoint churn: N sandboxes on one bridge network go through create (a
 * network namespace), connect, disconnect and remove, each step over all N
 * in turn (a phase), one call at a time. Per step: ops/s over the phase and
 * per-call p50/p99. Side by side, in the same run and the same throwaway host
 * namespace:
 *
 * - weft: a real weftd driven through its gRPC API by the in-process client
 *   (the daemon is measured, not CLI start-up; one CLI step is shown apart);
 * - CNI: the reference `bridge` plugin with `host-local` IPAM
 *   (containernetworking-plugins), exec'd per ADD/DEL like a runtime does;
 *   its namespaces are made and deleted with `ip netns add/del`, timed as the
 *   create/remove steps, as weft's sandbox create/remove make and delete theirs;
 * - Docker's native bridge, when a dockerd binary is installed (bench/lib/docker.ts).
 *
 * Target: connect+disconnect at least 5x the CNI plugin's throughput, and
 * faster than Docker's connect/disconnect.
 *
 *   npm run build && node dist/bench/churn.js      (WEFT_BENCH_N=… sandboxes, default 100)
 */
import { pathToFileURL } from 'node:url';
import { churnCni, requireCniPlugins } from './lib/cni.js';
import { churnDocker, dockerUnavailable } from './lib/docker.js';
import { STEPS, type Step, type StepStats } from './lib/phases.js';
import { requireRoot, withScratch } from './lib/scratch.js';
import { fmtMs, fmtRate, fmtRatio, opsPerSecond, table, type Summary } from './lib/timing.js';
import { churnWeft } from './lib/weft-churn.js';
import { requireBuilt } from './lib/weftd.js';

const CNI_FACTOR = 5;

const LABELS: Record<Step, Record<'weft' | 'cni' | 'docker', string>> = {
  create: { weft: 'sandbox create on the network', cni: 'ip netns add, lo up', docker: 'container create+start on the network' },
  connect: { weft: 'connect', cni: 'bridge ADD', docker: 'network connect' },
  disconnect: { weft: 'disconnect', cni: 'bridge DEL', docker: 'network disconnect' },
  remove: { weft: 'sandbox rm', cni: 'ip netns del', docker: 'container rm -f' },
};

/** Attach+detach cycles per second: connect and disconnect phases together. */
function cycleRate(s: StepStats): number {
  return (s.connect.n * 1000) / ((s.connect.totalMs ?? 0) + (s.disconnect.totalMs ?? 0));
}

function cells(s: Summary | undefined): string[] {
  return s ? [fmtRate(opsPerSecond(s)), fmtMs(s.median), fmtMs(s.p99)] : ['-', '-', '-'];
}

function ratio(a: Summary, b: Summary | undefined): string {
  return b ? fmtRatio(opsPerSecond(a) / opsPerSecond(b)) : '-';
}

/** CNI's create and remove make and delete a bare namespace, weft's and Docker's also an endpoint: not the same work. */
function cniRatio(step: Step, weft: StepStats, cni: StepStats): string {
  return step === 'create' || step === 'remove' ? 'n/a' : ratio(weft[step], cni[step]);
}

interface Results {
  n: number;
  weft: StepStats;
  cliConnect: Summary;
  cni: StepStats;
  docker: StepStats | string;
}

function report({ n, weft, cliConnect, cni, docker }: Results): void {
  const dockerStats = typeof docker === 'string' ? undefined : docker;
  const rows = STEPS.map((step) => [
    step,
    ...cells(weft[step]),
    ...cells(cni[step]),
    cniRatio(step, weft, cni),
    ...(dockerStats ? [...cells(dockerStats[step]), ratio(weft[step], dockerStats[step])] : []),
  ]);
  const legend = STEPS.map(
    (step) => `  ${step.padEnd(10)}  weft: ${LABELS[step].weft}; CNI: ${LABELS[step].cni}${dockerStats ? `; docker: ${LABELS[step].docker}` : ''}`,
  );
  const headers = ['step', 'weft ops/s', 'p50', 'p99', 'CNI ops/s', 'p50', 'p99', 'weft/CNI', ...(dockerStats ? ['docker ops/s', 'p50', 'p99', 'weft/docker'] : [])];
  const weftCycle = cycleRate(weft);
  const cniCycle = cycleRate(cni);
  const cycle = [
    `connect+disconnect: weft ${fmtRate(weftCycle)}, CNI ${fmtRate(cniCycle)} (${fmtRatio(weftCycle / cniCycle)})` +
      (dockerStats ? `, docker ${fmtRate(cycleRate(dockerStats))} (${fmtRatio(weftCycle / cycleRate(dockerStats))})` : ''),
    `target: >= ${CNI_FACTOR}x the CNI plugin's connect+disconnect throughput — ${weftCycle >= CNI_FACTOR * cniCycle ? 'met' : 'NOT met'} (${fmtRatio(weftCycle / cniCycle)})`,
    dockerStats
      ? `target: faster than Docker's connect/disconnect — ${weftCycle > cycleRate(dockerStats) ? 'met' : 'NOT met'} (${fmtRatio(weftCycle / cycleRate(dockerStats))})`
      : `docker: not measured (${docker as string})`,
  ];
  process.stdout.write(
    `endpoint churn: ${n} sandboxes on one bridge network; each step over all ${n} in turn, one call at a time\n` +
      `weft: real weftd, gRPC API, in-process client; CNI: ${'`bridge`'} + host-local exec'd per call (nsenter into the same host namespace)\n` +
      `ops/s = calls / wall time of the phase; p50/p99 per call; namespaces are made inside the timed create step on every side\n` +
      `weft and Docker start each sandbox on the network (neither can join a network later from "none") and leave it, untimed,\n` +
      `before the connect phase; CNI's create/remove steps are the runtime's bare namespace, so no ratio for them (n/a)\n\n` +
      table(headers, rows) +
      `\n${legend.join('\n')}\n\n${cycle.join('\n')}\n` +
      `weft via the CLI (a node process per call, start-up included): network connect p50 ${fmtMs(cliConnect.median)}, p99 ${fmtMs(cliConnect.p99)} (${cliConnect.n} calls)\n`,
  );
}

export async function run(): Promise<void> {
  requireRoot('churn');
  requireBuilt();
  requireCniPlugins();
  const n = Number(process.env.WEFT_BENCH_N ?? 100);
  if (!Number.isInteger(n) || n < 1) throw new Error(`WEFT_BENCH_N must be a positive integer, not ${process.env.WEFT_BENCH_N}`);
  const results = await withScratch(async (scratch) => {
    const host = await scratch.netns('h');
    const weft = await churnWeft(scratch, host, n);
    const cni = await churnCni(scratch, host, n);
    const unavailable = dockerUnavailable();
    const docker = unavailable ?? (await churnDocker(scratch, n));
    return { n, weft: weft.steps, cliConnect: weft.cliConnect, cni, docker };
  });
  report(results);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((err: unknown) => {
    process.stderr.write(`churn bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
