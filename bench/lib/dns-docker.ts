/**
 * Docker's embedded DNS for the DNS bench: a dockerd of the bench's own in a
 * throwaway host namespace (nsenter --net) with its own data root, exec
 * root, pidfile, socket and cgroup parent, no iptables on the host side, no
 * default bridge, vfs storage; a busybox-static image it imports; containers
 * on a user-defined bridge network, the client with the bench upstream as its
 * DNS server. dnsperf runs in the client container's namespace against
 * 127.0.0.11, where Docker's resolver answers.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, rmdirSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DnsSystem } from './dns-weft.js';
import { type Scratch, uniqueName } from './scratch.js';

const execFileAsync = promisify(execFile);
const BUSYBOX = '/bin/busybox';
export const DOCKER_DNS_SUBNET = '10.249.0.0/24';

/** Why Docker cannot be measured here, or undefined. */
export function dockerMissing(): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin']) if (existsSync(join(dir, 'dockerd'))) return existsSync(BUSYBOX) ? undefined : 'busybox-static not installed';
  return 'dockerd not installed';
}

function request(socketPath: string, method: string, path: string, body?: unknown, file?: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': file ? 'application/x-tar' : 'application/json' };
    const req = http.request({ socketPath, method, path: `/v1.41${path}`, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`docker ${method} ${path}: ${res.statusCode} ${text.trim()}`));
        else resolve(text.trim() && res.headers['content-type']?.includes('json') ? JSON.parse(text) : text);
      });
    });
    req.on('error', reject);
    if (file) createReadStream(file).pipe(req);
    else req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function startDockerd(scratch: Scratch, host: string): Promise<string> {
  const dir = scratch.tempDir('dockerd-dns');
  const socket = join(dir, 'docker.sock');
  const cgroupParent = uniqueName('cg');
  scratch.defer(`remove cgroups ${cgroupParent}`, () => {
    for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
      const path = join('/sys/fs/cgroup', hierarchy, cgroupParent);
      if (existsSync(path)) rmdirSync(path);
    }
  });
  const child = spawn('nsenter', [`--net=/run/netns/${host}`, 'dockerd', `--data-root=${join(dir, 'data')}`, `--exec-root=${join(dir, 'exec')}`,
    `--pidfile=${join(dir, 'dockerd.pid')}`, `--host=unix://${socket}`, `--cgroup-parent=/${cgroupParent}`, '--iptables=false', '--ip6tables=false',
    '--ip-forward=false', '--ip-masq=false', '--bridge=none', '--storage-driver=vfs', '--userland-proxy=false', '--log-level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  scratch.process(child, 'dockerd');
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-16_384)));
  for (const deadline = Date.now() + 60_000; ; ) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dockerd exited:\n${log}`);
    if (Date.now() > deadline) throw new Error(`dockerd did not answer:\n${log}`);
    try {
      await request(socket, 'GET', '/_ping');
      return socket;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function importImage(scratch: Scratch, socket: string, repo: string): Promise<void> {
  const dir = scratch.tempDir('dns-image');
  mkdirSync(join(dir, 'root', 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'root', 'bin', 'busybox'));
  symlinkSync('busybox', join(dir, 'root', 'bin', 'sleep'));
  await execFileAsync('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'image.tar'), '.']);
  await request(socket, 'POST', `/images/create?fromSrc=-&repo=${repo}&tag=latest`, undefined, join(dir, 'image.tar'));
}

/** Docker's containers forward from their own namespace: the host forwards their queries on to the upstream. */
export async function setUpDocker(scratch: Scratch, host: string, upstream: string, count: number): Promise<DnsSystem> {
  await execFileAsync('ip', ['netns', 'exec', host, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  const socket = await startDockerd(scratch, host);
  const prefix = uniqueName();
  await importImage(scratch, socket, `${prefix}img`);
  const network = `${prefix}net`;
  await request(socket, 'POST', '/networks/create', { Name: network, Driver: 'bridge', IPAM: { Config: [{ Subnet: DOCKER_DNS_SUBNET }] }, Options: { 'com.docker.network.bridge.name': uniqueName('d') } });
  scratch.defer(`remove docker network ${network}`, () => request(socket, 'DELETE', `/networks/${network}`).catch(() => undefined));
  const run = async (name: string) => {
    scratch.defer(`remove container ${name}`, () => request(socket, 'DELETE', `/containers/${name}?force=true`).catch(() => undefined));
    await request(socket, 'POST', `/containers/create?name=${name}`, { Image: `${prefix}img`, Cmd: ['/bin/sleep', '3600'], HostConfig: { NetworkMode: network, Dns: [upstream] } });
    await request(socket, 'POST', `/containers/${name}/start`);
  };
  const names = Array.from({ length: count }, (_, i) => `${prefix}c${i}`);
  for (const name of [...names, `${prefix}cl`]) await run(name);
  const inspect = (await request(socket, 'GET', `/containers/${prefix}cl/json`)) as { NetworkSettings: { SandboxKey: string } };
  return { netnsPath: inspect.NetworkSettings.SandboxKey, server: '127.0.0.11', localNames: names };
}
