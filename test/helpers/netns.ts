/**
 * Throwaway network namespaces for integration tests. Names carry a unique
 * per-process prefix; every namespace made here is deleted by exact name in
 * `cleanup()`, even when the test failed.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('integration tests need root (they create network namespaces); run them as root');
  }
}

/** A short unique prefix: Linux interface names have 15 characters at most. */
export function uniqueName(tag: string): string {
  return `wt${randomBytes(3).toString('hex')}${tag}`.slice(0, 15);
}

export class NetnsPool {
  private readonly made: string[] = [];

  /** Create a namespace with `ip netns add` (an independent tool) and bring lo up. */
  create(tag = 'h'): string {
    const name = uniqueName(tag);
    execFileSync('ip', ['netns', 'add', name]);
    this.made.push(name);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Track a namespace created by the code under test, so cleanup removes it too. */
  track(name: string): void {
    this.made.push(name);
  }

  cleanup(): void {
    for (const name of this.made.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }
}

/** `ip -j ...` inside a namespace, parsed. */
export function ipJson<T = any>(netns: string, ...args: string[]): T {
  const out = execFileSync('ip', ['-n', netns, '-j', ...args], { encoding: 'utf8' });
  return (out.trim() ? JSON.parse(out) : []) as T;
}

export function sh(netns: string, cmd: string, args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', netns, cmd, ...args], { encoding: 'utf8' });
}

/** `bridge -j ...` inside a namespace, parsed. */
export function bridgeJson<T = any>(netns: string, ...args: string[]): T {
  const out = execFileSync('bridge', ['-n', netns, '-j', ...args], { encoding: 'utf8' });
  return (out.trim() ? JSON.parse(out) : []) as T;
}

/** `nft -j ...` inside a namespace, parsed. */
export function nftJson<T = any>(netns: string, ...args: string[]): T {
  return JSON.parse(sh(netns, 'nft', ['-j', ...args])) as T;
}

/** Whether a command succeeds inside a namespace (for probing what the kernel can do). */
export function succeedsIn(netns: string, cmd: string, args: string[]): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', netns, cmd, ...args], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
