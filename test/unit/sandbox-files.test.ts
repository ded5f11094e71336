/** EtcNetnsFiles: the files `ip netns exec` bind-mounts, written into a temp directory here. */
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EtcNetnsFiles, type SandboxFilesContent } from '../../src/cnm/sandbox-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const content = (addresses: string[]): SandboxFilesContent => ({
  hostname: 'web',
  addresses,
  nameservers: ['192.0.2.53'],
  search: ['example.test'],
  options: ['ndots:2'],
});

describe('EtcNetnsFiles', () => {
  it('writes resolv.conf, hosts and hostname', () => {
    const files = new EtcNetnsFiles(join(dir, 'none'), dir);
    files.write('sb', content(['10.0.0.2']));
    expect(readFileSync(join(dir, 'sb', 'resolv.conf'), 'utf8')).toBe('# written by weft\nnameserver 192.0.2.53\nsearch example.test\noptions ndots:2\n');
    expect(readFileSync(join(dir, 'sb', 'hosts'), 'utf8')).toContain('10.0.0.2\tweb\n');
    expect(readFileSync(join(dir, 'sb', 'hostname'), 'utf8')).toBe('web\n');
  });

  it('updates in place (the inode a bind mount holds stays), shorter text leaving no tail', () => {
    const files = new EtcNetnsFiles(join(dir, 'none'), dir);
    files.write('sb', content(['10.0.0.2', '10.1.0.2']));
    const inode = statSync(join(dir, 'sb', 'hosts')).ino;
    files.write('sb', content(['10.0.0.2']));
    expect(statSync(join(dir, 'sb', 'hosts')).ino).toBe(inode);
    const hosts = readFileSync(join(dir, 'sb', 'hosts'), 'utf8');
    expect(hosts.endsWith('ff02::2\tip6-allrouters\n10.0.0.2\tweb\n')).toBe(true);
    expect(hosts).not.toContain('10.1.0.2');
  });

  it('rewrites only the files whose text changed, and a file someone removed', () => {
    const files = new EtcNetnsFiles(join(dir, 'none'), dir);
    files.write('sb', content(['10.0.0.2']));
    const mtime = (name: string) => statSync(join(dir, 'sb', name)).mtimeMs;
    // back-date the files: a write would move their mtime to now
    for (const name of ['resolv.conf', 'hosts', 'hostname']) utimesSync(join(dir, 'sb', name), 1000, 1000);
    files.write('sb', content(['10.0.0.2', '10.1.0.2']));
    expect(mtime('resolv.conf')).toBe(1_000_000);
    expect(mtime('hostname')).toBe(1_000_000);
    expect(mtime('hosts')).toBeGreaterThan(1_000_000);
    expect(readFileSync(join(dir, 'sb', 'hosts'), 'utf8')).toContain('10.1.0.2\tweb\n');
    unlinkSync(join(dir, 'sb', 'resolv.conf'));
    files.write('sb', content(['10.0.0.2', '10.1.0.2']));
    expect(readFileSync(join(dir, 'sb', 'resolv.conf'), 'utf8')).toContain('nameserver 192.0.2.53');
  });

  it('writes everything again after remove', () => {
    const files = new EtcNetnsFiles(join(dir, 'none'), dir);
    files.write('sb', content(['10.0.0.2']));
    files.remove('sb');
    files.write('sb', content(['10.0.0.2']));
    expect(readFileSync(join(dir, 'sb', 'hostname'), 'utf8')).toBe('web\n');
  });
});
