/**
 * Per-namespace sysctls under /proc/sys/net.
 *
 * /proc/sys/net shows the namespace of the thread that *opens* the file, so
 * we open it inside the namespace (synchronously, via addon.inNetns) and read
 * or write the fd back in our own. Only keys under net/ are accepted: they
 * are the only per-network-namespace ones, and anything else would change
 * the whole machine.
 */
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { NetnsAddon } from './addon.js';
import type { NetnsRegistry } from './netns.js';

/** `net.ipv4.ip_forward` or `net/ipv4/conf/all/forwarding` → its /proc/sys path. */
export function sysctlPath(key: string): string {
  // Dotted form as sysctl(8) takes it; a '/' form is taken as it is (interface names may contain dots).
  const segments = key.includes('/') ? key.split('/') : key.split('.');
  const bad = segments.some((s) => s === '' || s === '.' || s === '..' || !/^[A-Za-z0-9_.:@-]+$/.test(s));
  if (bad || segments[0] !== 'net' || segments.length < 2) {
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', `invalid sysctl key ${JSON.stringify(key)}: only keys under net/ are allowed`, {
      details: { key },
    });
  }
  return `/proc/sys/${segments.join('/')}`;
}

/** Compare sysctl values as the kernel prints them (tabs between fields, newline at the end). */
export const normaliseSysctl = (value: string): string => value.trim().split(/\s+/).join(' ');

export class Sysctls {
  constructor(
    private readonly addon: NetnsAddon,
    private readonly registry: NetnsRegistry,
  ) {}

  read(key: string, netns: string | undefined): string {
    const fd = this.open(key, constants.O_RDONLY, netns);
    try {
      return readFileSync(fd, 'utf8').trim();
    } finally {
      closeSync(fd);
    }
  }

  write(key: string, value: string, netns: string | undefined): void {
    // Plain O_WRONLY: no O_CREAT/O_TRUNC games in /proc, and write-only keys open too.
    const fd = this.open(key, constants.O_WRONLY, netns);
    try {
      writeSync(fd, `${value}\n`);
    } finally {
      closeSync(fd);
    }
  }

  private open(key: string, flags: number, netns: string | undefined): number {
    const path = sysctlPath(key);
    if (netns === undefined) return openSync(path, flags);
    const { fd } = this.registry.handle(netns);
    return this.addon.inNetns(fd, () => openSync(path, flags));
  }
}
