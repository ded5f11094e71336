/**
 * Named network namespaces under /run/netns (the iproute2 convention):
 * create, delete, list, and open file descriptors to act inside them.
 *
 * An open fd pins its namespace, so cached fds must not outlive the name:
 * every lookup checks that the name still refers to the same namespace
 * (same nsfs inode), and a periodic sweep drops entries whose name is gone
 * (e.g. a sandbox that Docker deleted) so we never keep a dead one alive.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { NetnsAddon } from './addon.js';

export const NETNS_DIR = '/run/netns';

/** One open namespace: its fd and the inode that identifies it. */
export interface NetnsHandle {
  name: string;
  fd: number;
  ino: number;
}

type ReleaseListener = (name: string) => void;

export class NetnsRegistry {
  private readonly open = new Map<string, NetnsHandle>();
  private readonly releaseListeners: ReleaseListener[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  /** fd of the daemon's own namespace, opened on first use (a link moved back goes there). */
  private ownNetnsFd: number | undefined;
  /** The nsfs device: a name whose file is not on it is a leftover, not a namespace. */
  private readonly nsfsDev = statSync('/proc/self/ns/net').dev;

  constructor(
    private readonly addon: NetnsAddon,
    private readonly dir = NETNS_DIR,
    sweepIntervalMs = 10_000,
  ) {
    if (sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  /** Called whenever a cached handle is dropped, so per-namespace sockets can close too. */
  onRelease(listener: ReleaseListener): void {
    this.releaseListeners.push(listener);
  }

  path(name: string): string {
    return join(this.dir, validNetnsName(name));
  }

  exists(name: string): boolean {
    return this.inodeOf(this.path(name)) !== undefined;
  }

  list(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => this.inodeOf(join(this.dir, name)) !== undefined)
      .sort();
  }

  /**
   * Create and pin a namespace, or with `pinDaemon` pin the daemon's own one
   * under that name. Returns false when one of that name already exists.
   */
  create(name: string, pinDaemon = false): boolean {
    const path = this.path(name);
    if (this.inodeOf(path) !== undefined) return false;
    // A leftover file from an interrupted create would make the exclusive create fail.
    if (existsSync(path)) this.addon.deleteNetns(path);
    if (pinDaemon) this.addon.pinOwnNetns(path);
    else this.addon.createNetns(path);
    return true;
  }

  /** Unpin a namespace (closing our own handles on it first). Returns false when it was not there. */
  delete(name: string): boolean {
    this.release(name);
    const path = this.path(name);
    if (!existsSync(path)) return false;
    this.addon.deleteNetns(path);
    return true;
  }

  /** An fd for the namespace, opened once and reused while the name still points at it. */
  handle(name: string): NetnsHandle {
    const ino = this.inodeOf(this.path(name));
    const cached = this.open.get(name);
    if (cached && cached.ino === ino) return cached;
    if (cached) this.release(name);
    if (ino === undefined) {
      throw new WeftError(ErrorCodes.NETNS_NOT_FOUND, 'NotFound', `network namespace ${name} does not exist`, {
        details: { netns: name },
      });
    }
    const fd = openSync(this.path(name), 'r');
    const handle = { name, fd, ino: fstatSync(fd).ino };
    this.open.set(name, handle);
    return handle;
  }

  /** An fd of the daemon's own network namespace, opened once. */
  ownFd(): number {
    this.ownNetnsFd ??= openSync('/proc/thread-self/ns/net', 'r');
    return this.ownNetnsFd;
  }

  /** Close our fd (and, through listeners, sockets) for a namespace. */
  release(name: string): void {
    const cached = this.open.get(name);
    if (!cached) return;
    this.open.delete(name);
    for (const listener of this.releaseListeners) listener(name);
    closeSync(cached.fd);
  }

  /** Drop cached handles whose name is gone or now names another namespace. */
  sweep(): void {
    for (const [name, handle] of [...this.open]) {
      if (this.inodeOf(this.path(name)) !== handle.ino) this.release(name);
    }
  }

  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const name of [...this.open.keys()]) this.release(name);
    if (this.ownNetnsFd !== undefined) closeSync(this.ownNetnsFd);
    this.ownNetnsFd = undefined;
  }

  /** The nsfs inode behind a name, or undefined (no such name, or an unmounted leftover file). */
  private inodeOf(path: string): number | undefined {
    try {
      const st = statSync(path);
      return st.dev === this.nsfsDev ? st.ino : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Namespace names become file names under /run/netns: keep them to one plain path component. */
export function validNetnsName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || name === '.' || name === '..') {
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', `invalid network namespace name: ${JSON.stringify(name)}`, {
      details: { netns: name },
    });
  }
  return name;
}
