/**
 * The daemon's own resolvers, the upstreams of sandboxes without --dns: the
 * nameservers of its resolv.conf, re-read when the file changes. When that
 * names only systemd-resolved's stub (127.0.0.53), the stub's own upstream
 * list (/run/systemd/resolve/resolv.conf) is used instead, as Docker does, so
 * answers do not depend on the stub's per-link routing.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseResolvConf } from '../cnm/sandbox-files.js';

export const SYSTEMD_STUB = '127.0.0.53';
export const SYSTEMD_UPSTREAMS = '/run/systemd/resolve/resolv.conf';
/** Our own listening address is never an upstream (it would loop). */
export const EMBEDDED_RESOLVER = '127.0.0.11';

export interface HostResolversOptions {
  /** systemd-resolved's upstream list. */
  stubUpstreams?: string;
  /** How often at most the file's mtime is checked. */
  recheckMs?: number;
  nowMs?: () => number;
}

export class HostResolvers {
  private nameserverList: string[] = [];
  private signature = '';
  private checkedAt = -Infinity;
  private readonly stubUpstreams: string;
  private readonly recheckMs: number;
  private readonly nowMs: () => number;

  constructor(
    private readonly resolvConf: string,
    options: HostResolversOptions = {},
  ) {
    this.stubUpstreams = options.stubUpstreams ?? SYSTEMD_UPSTREAMS;
    this.recheckMs = options.recheckMs ?? 1000;
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  nameservers(): string[] {
    const now = this.nowMs();
    if (now - this.checkedAt >= this.recheckMs) {
      this.checkedAt = now;
      this.reloadIfChanged();
    }
    return this.nameserverList;
  }

  private reloadIfChanged(): void {
    const signature = `${mtimeOf(this.resolvConf)}:${mtimeOf(this.stubUpstreams)}`;
    if (signature === this.signature) return;
    this.signature = signature;
    let servers = readNameservers(this.resolvConf);
    if (servers.length > 0 && servers.every((s) => s === SYSTEMD_STUB)) {
      const upstream = readNameservers(this.stubUpstreams);
      if (upstream.length > 0) servers = upstream;
    }
    this.nameserverList = usableUpstreams(servers);
  }
}

/** Drops our own address and duplicates. */
export function usableUpstreams(servers: readonly string[]): string[] {
  return [...new Set(servers.filter((s) => s !== EMBEDDED_RESOLVER))];
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

function readNameservers(path: string): string[] {
  try {
    return parseResolvConf(readFileSync(path, 'utf8')).nameservers;
  } catch {
    return [];
  }
}
