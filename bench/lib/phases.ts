/** The churn bench's common shape: one step over every sandbox in turn, each call timed, and the phase as a whole. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { elapsedMs, summarise, timed, type Summary } from './timing.js';

const execFileAsync = promisify(execFile);

/** The four steps of an endpoint's life, as each side calls them. */
export type Step = 'create' | 'connect' | 'disconnect' | 'remove';
export const STEPS: readonly Step[] = ['create', 'connect', 'disconnect', 'remove'];

export type StepStats = Record<Step, Summary>;

/** Runs `step` for every name in turn; per-call times plus the phase's total wall time (for ops/s). */
export async function phase(names: readonly string[], step: (name: string, i: number) => Promise<unknown>): Promise<Summary> {
  const samples: number[] = [];
  const start = process.hrtime.bigint();
  for (const [i, name] of names.entries()) samples.push((await timed(() => step(name, i))).ms);
  return summarise(samples, elapsedMs(start));
}

/**
 * Checks with `ip` (not the code under test) that the namespace `netns` (a
 * name under /run/netns, or a path) has an interface (`ifname`, or any but lo)
 * with an IPv4 address starting with `subnetPrefix` (e.g. "10.250."), or that it has none.
 */
export async function checkInterface(netns: string, ifname: string | undefined, subnetPrefix: string, present: boolean): Promise<void> {
  const args = ['-j', 'addr', 'show'];
  const { stdout } = netns.startsWith('/')
    ? await execFileAsync('nsenter', [`--net=${netns}`, 'ip', ...args])
    : await execFileAsync('ip', ['-n', netns, ...args]);
  const links = JSON.parse(stdout) as { ifname: string; addr_info?: { family: string; local: string }[] }[];
  const inSubnet = links
    .filter((l) => (ifname === undefined ? l.ifname !== 'lo' : l.ifname === ifname))
    .some((l) => l.addr_info?.some((a) => a.family === 'inet' && a.local.startsWith(subnetPrefix)));
  if (inSubnet !== present) {
    throw new Error(`bench: ${ifname ?? 'an interface'} in ${netns} should ${present ? '' : 'no longer '}have an address in ${subnetPrefix}*: ${stdout}`);
  }
}
