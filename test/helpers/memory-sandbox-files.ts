/**
 * An in-memory SandboxFiles for controller tests: it keeps the last content
 * written per namespace, every write in order, and which namespaces had their
 * files removed; `hostResolv()` answers what the test configured.
 */
import type { SandboxFiles, SandboxFilesContent } from '../../src/cnm/sandbox-files.js';

export interface HostResolv {
  nameservers: string[];
  search: string[];
  options: string[];
}

export class MemorySandboxFiles implements SandboxFiles {
  /** The current files per namespace (as last written; absent once removed). */
  readonly current = new Map<string, SandboxFilesContent>();
  /** Every write, in order. */
  readonly writes: { netns: string; content: SandboxFilesContent }[] = [];
  /** Every remove, in order. */
  readonly removed: string[] = [];
  private host: HostResolv;

  constructor(host: Partial<HostResolv> = {}) {
    this.host = { nameservers: [], search: [], options: [], ...host };
  }

  /** Change what the daemon's resolv.conf says from now on. */
  setHostResolv(host: Partial<HostResolv>): void {
    this.host = { nameservers: [], search: [], options: [], ...host };
  }

  write(netns: string, content: SandboxFilesContent): void {
    const copy = structuredClone(content);
    this.current.set(netns, copy);
    this.writes.push({ netns, content: structuredClone(copy) });
  }

  remove(netns: string): void {
    this.current.delete(netns);
    this.removed.push(netns);
  }

  hostResolv(): HostResolv {
    return structuredClone(this.host);
  }

  /** The files of `netns`, or undefined when none are written. */
  get(netns: string): SandboxFilesContent | undefined {
    return this.current.get(netns);
  }

  /** Writes made for `netns`, oldest first. */
  writesOf(netns: string): SandboxFilesContent[] {
    return this.writes.filter((w) => w.netns === netns).map((w) => w.content);
  }
}
