/**
 * What a bench makes on the machine, undone at the end even when the bench
 * failed: network namespaces (and their /etc/netns/NAME directories), temp
 * directories and processes. Everything is named uniquely (`wb` + random) and
 * removed by exact name or pid, in reverse order; cleanup carries on past
 * failures and reports them all.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** How long a process gets to exit on SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

/** `wb`, 6 random hex digits, then `tag`: at most 15 characters, so it also fits an interface name. */
export function uniqueName(tag = ''): string {
  return `wb${randomBytes(3).toString('hex')}${tag}`.slice(0, 15);
}

export function requireRoot(bench: string): void {
  if (process.getuid?.() !== 0) throw new Error(`the ${bench} bench needs root (it creates network namespaces)`);
}

/** Deletes a namespace by exact name; one that is already gone is fine. */
export async function deleteNetns(name: string): Promise<void> {
  try {
    await execFileAsync('ip', ['netns', 'del', name]);
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '');
    if (!/No such file or directory|Invalid argument/.test(stderr)) throw err;
  }
  rmSync(join('/etc/netns', name), { recursive: true, force: true });
}

/** Stops a process by pid: SIGTERM, then SIGKILL if it has not exited within the grace period. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

interface Undo {
  what: string;
  run: () => unknown;
}

export class Scratch {
  private readonly undos: Undo[] = [];
  private readonly namespaces = new Set<string>();

  /** Creates a namespace (ip netns add) with lo up; deleted at cleanup. */
  async netns(tag = ''): Promise<string> {
    const name = uniqueName(tag);
    await this.addNetns(name);
    return name;
  }

  /** Creates a namespace of a given (unique) name with lo up; deleted at cleanup. */
  async addNetns(name: string): Promise<void> {
    this.trackNetns(name);
    await execFileAsync('ip', ['netns', 'add', name]);
    await execFileAsync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  }

  /** A namespace someone else creates (a daemon's sandbox): deleted at cleanup if it is still there. */
  trackNetns(name: string): void {
    if (this.namespaces.has(name)) return;
    this.namespaces.add(name);
    this.defer(`delete netns ${name}`, () => deleteNetns(name));
  }

  tempDir(tag: string): string {
    const dir = mkdtempSync(join(tmpdir(), `wb-${tag}-`));
    this.defer(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A process started by the bench: stopped by pid at cleanup. */
  process(child: ChildProcess, what: string): void {
    this.defer(`stop ${what} (pid ${child.pid})`, () => stopProcess(child));
  }

  defer(what: string, run: () => unknown): void {
    this.undos.push({ what, run });
  }

  /** Undoes everything in reverse; returns the failures (also written to stderr). */
  async cleanup(): Promise<string[]> {
    const failures: string[] = [];
    for (const undo of this.undos.splice(0).reverse()) {
      try {
        await undo.run();
      } catch (err) {
        failures.push(`${undo.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const failure of failures) process.stderr.write(`bench cleanup: could not ${failure}\n`);
    return failures;
  }
}

/** Runs `body` with a Scratch and cleans up after it, whatever happens; a failed cleanup fails the bench. */
export async function withScratch<T>(body: (scratch: Scratch) => Promise<T>): Promise<T> {
  const scratch = new Scratch();
  let result: T;
  try {
    result = await body(scratch);
  } finally {
    const failures = await scratch.cleanup();
    if (failures.length > 0) process.exitCode = 1;
  }
  return result;
}
