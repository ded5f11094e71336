/**
 * aardvark-dns (Podman's resolver) for the DNS bench: in a throwaway host
 * namespace with a bridge whose address it listens on (port 53), a client
 * namespace on that bridge, and a config directory written here: one network
 * file listing the client and the named containers, with the bench upstream
 * as the network's DNS server (so it never reads the machine's resolv.conf).
 * It daemonizes; it is stopped by the pid it writes.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DnsSystem } from './dns-weft.js';
import type { Scratch } from './scratch.js';

const execFileAsync = promisify(execFile);
const CANDIDATES = ['/usr/lib/podman/aardvark-dns', '/usr/libexec/podman/aardvark-dns', '/usr/local/libexec/podman/aardvark-dns', '/usr/bin/aardvark-dns'];
const GATEWAY = '10.250.0.1';
const CLIENT = '10.250.0.200';

export function aardvarkBinary(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

async function waitForPid(file: string): Promise<number> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`aardvark-dns wrote no pid file (${file})`);
}

export async function setUpAardvark(scratch: Scratch, binary: string, host: string, client: string, upstream: string, count: number): Promise<DnsSystem> {
  const ip = (...args: string[]) => execFileAsync('ip', args);
  await ip('-n', host, 'link', 'add', 'br0', 'type', 'bridge');
  await ip('-n', host, 'addr', 'add', `${GATEWAY}/24`, 'dev', 'br0');
  await ip('-n', host, 'link', 'set', 'br0', 'up');
  await ip('-n', host, 'link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client);
  await ip('-n', host, 'link', 'set', 'vc', 'master', 'br0', 'up');
  await ip('-n', client, 'addr', 'add', `${CLIENT}/24`, 'dev', 'eth0');
  await ip('-n', client, 'link', 'set', 'eth0', 'up');
  const dir = scratch.tempDir('aardvark');
  const names = Array.from({ length: count }, (_, i) => `actr${i}`);
  const lines = [`${GATEWAY} ${upstream}`, `${'c'.repeat(64)} ${CLIENT}  client`];
  names.forEach((name, i) => lines.push(`${i.toString(16).padStart(64, '0')} 10.250.0.${i + 2}  ${name}`));
  writeFileSync(join(dir, 'dnsbench'), `${lines.join('\n')}\n`);
  const child = spawn('nsenter', [`--net=/run/netns/${host}`, binary, '--config', dir, '-p', '53', 'run'], { stdio: 'ignore' });
  scratch.process(child, 'aardvark-dns launcher');
  const pid = await waitForPid(join(dir, 'aardvark.pid'));
  scratch.defer(`stop aardvark-dns (pid ${pid})`, () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  });
  return { netnsPath: `/run/netns/${client}`, server: GATEWAY, localNames: names };
}
