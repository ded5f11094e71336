/**
 * Sandbox files with the embedded resolver as the only nameserver. The
 * search domains and options stay as the controller chose them (the
 * sandbox's --dns-search/--dns-option, else the host's); the nameservers the
 * controller chose (--dns, else the host's) are not lost: the resolver
 * forwards to them. Host-network sandboxes get no files, so they keep the
 * host's resolv.conf.
 */
import type { SandboxFiles, SandboxFilesContent } from '../cnm/sandbox-files.js';
import { RESOLVER_ADDRESS } from './service.js';

export class EmbeddedDnsFiles implements SandboxFiles {
  constructor(
    private readonly inner: SandboxFiles,
    private readonly resolver = RESOLVER_ADDRESS,
  ) {}

  write(netns: string, content: SandboxFilesContent): void {
    this.inner.write(netns, { ...content, nameservers: [this.resolver] });
  }

  remove(netns: string): void {
    this.inner.remove(netns);
  }

  hostResolv(): { nameservers: string[]; search: string[]; options: string[] } {
    return this.inner.hostResolv();
  }
}
