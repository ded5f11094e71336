/**
 * The usual end-to-end topology: a throwaway "host" namespace (where weftd
 * runs) and an "outside" namespace standing for another machine on the host's
 * uplink (host 192.0.2.1/24, outside 192.0.2.2/24). Plus the names of sandboxes
 * the daemon makes, so cleanup can remove them by exact name if a test fails.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { type NetnsPool, uniqueName } from './netns.js';

export function hostWithOutside(pool: NetnsPool): { host: string; outside: string } {
  const host = pool.create('h');
  const outside = pool.create('o');
  const ip = (...args: string[]) => execFileSync('ip', args);
  ip('-n', host, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink', 'netns', outside);
  ip('-n', host, 'addr', 'add', '192.0.2.1/24', 'dev', 'uplink');
  ip('-n', outside, 'addr', 'add', '192.0.2.2/24', 'dev', 'uplink');
  ip('-n', host, 'link', 'set', 'uplink', 'up');
  ip('-n', outside, 'link', 'set', 'uplink', 'up');
  return { host, outside };
}

export class SandboxNames {
  readonly all: string[] = [];

  /** A unique sandbox name, remembered for cleanup. */
  next(tag: string): string {
    const name = uniqueName(tag);
    this.all.push(name);
    return name;
  }

  /** Remove what the daemon may have left of these sandboxes: namespaces and /etc/netns dirs. */
  cleanup(): void {
    for (const name of this.all.splice(0)) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // removed by the test itself
      }
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  }
}
