/**
 * Typed loader for the weft_netns N-API addon (native/netns.c): the few
 * namespace syscalls Node cannot make itself. Every call is synchronous and
 * runs on the JS thread.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NetnsAddon {
  /** A new, empty network namespace pinned by a bind mount at `path`. */
  createNetns(path: string): void;
  /** Pin the calling thread's own namespace at `path` (a bind mount, like `ip netns attach NAME $$`). */
  pinOwnNetns(path: string): void;
  /** Unpin the namespace at `path`; the kernel frees it once nothing uses it. */
  deleteNetns(path: string): void;
  /** Call `fn` with this thread inside the namespace `nsFd`, then switch back. */
  inNetns<T>(nsFd: number, fn: () => T): T;
  /** A socket created and bound inside the namespace (SO_REUSEPORT set first when `reusePort`); returns its fd. */
  openSocketIn(nsFd: number, family: 4 | 6, type: 1 | 2, address: string, port: number, reusePort?: boolean): number;
}

const ADDON_PATH = join('native', 'build', 'Release', 'weft_netns.node');

/**
 * Load the addon. The compiled module lives in the package root, which is two
 * levels further up when running from dist/ than from the sources (vitest), so
 * walk up from this file until it is found.
 */
export function loadNetnsAddon(explicitPath?: string): NetnsAddon {
  const require = createRequire(import.meta.url);
  return require(explicitPath ?? findAddon()) as NetnsAddon;
}

function findAddon(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, ADDON_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `weft_netns addon not found (looked for ${ADDON_PATH} above ${fileURLToPath(import.meta.url)}); ` +
          'build it with `npx node-gyp rebuild --directory native`',
      );
    }
    dir = parent;
  }
}
