/**
 * A sandbox's resolv.conf and hosts, where `ip netns exec` picks them up
 * (/etc/netns/NAME/, bind-mounted over /etc/ for the command), so tools inside
 * a harness sandbox resolve names as they would in a container.
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SandboxFilesContent {
  hostname: string;
  /** The sandbox's own addresses (plain IPs), written to hosts with its hostname. */
  addresses: string[];
  nameservers: string[];
  search: string[];
  options: string[];
}

export interface SandboxFiles {
  write(netns: string, content: SandboxFilesContent): void;
  remove(netns: string): void;
  /** Nameservers, search domains and options of the daemon's resolv.conf. */
  hostResolv(): { nameservers: string[]; search: string[]; options: string[] };
}

export class EtcNetnsFiles implements SandboxFiles {
  /** What this daemon last wrote to each file: a connect rewrites hosts only, not all three. */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly hostResolvConf: string,
    private readonly baseDir = '/etc/netns',
  ) {}

  write(netns: string, content: SandboxFilesContent): void {
    const dir = join(this.baseDir, netns);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.update(join(dir, 'resolv.conf'), renderResolvConf(content));
    this.update(join(dir, 'hosts'), renderHosts(content));
    this.update(join(dir, 'hostname'), `${content.hostname}\n`);
  }

  remove(netns: string): void {
    const dir = join(this.baseDir, netns);
    for (const file of ['resolv.conf', 'hosts', 'hostname']) this.written.delete(join(dir, file));
    rmSync(dir, { recursive: true, force: true });
  }

  /** Unchanged text is not written again, unless someone removed the file meanwhile. */
  private update(path: string, text: string): void {
    if (this.written.get(path) === text && existsSync(path)) return;
    writeInPlace(path, text);
    this.written.set(path, text);
  }

  hostResolv(): { nameservers: string[]; search: string[]; options: string[] } {
    let text = '';
    try {
      text = readFileSync(this.hostResolvConf, 'utf8');
    } catch {
      // no resolv.conf: no upstreams
    }
    return parseResolvConf(text);
  }
}

export function parseResolvConf(text: string): { nameservers: string[]; search: string[]; options: string[] } {
  const out = { nameservers: [] as string[], search: [] as string[], options: [] as string[] };
  for (const raw of text.split('\n')) {
    const [keyword, ...args] = raw.replace(/[#;].*/, '').trim().split(/\s+/);
    if (keyword === 'nameserver' && args[0]) out.nameservers.push(args[0]);
    else if ((keyword === 'search' || keyword === 'domain') && args.length > 0) out.search = args;
    else if (keyword === 'options') out.options.push(...args);
  }
  return out;
}

export function renderResolvConf(c: SandboxFilesContent): string {
  const lines = ['# written by weft'];
  for (const ns of c.nameservers) lines.push(`nameserver ${ns}`);
  if (c.search.length > 0) lines.push(`search ${c.search.join(' ')}`);
  if (c.options.length > 0) lines.push(`options ${c.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export function renderHosts(c: SandboxFilesContent): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const address of c.addresses) lines.push(`${address}\t${c.hostname}`);
  return `${lines.join('\n')}\n`;
}

/** Overwrite from the start, then cut to length (never truncating to 0 first, which makes ext4 flush on close). */
function writeInPlace(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    writeFileSync(path, text, { mode: 0o644 });
    return;
  }
  try {
    const bytes = Buffer.from(text);
    writeSync(fd, bytes, 0, bytes.length, 0);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}
