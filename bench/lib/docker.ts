/**
 * Docker's native bridge, when a dockerd binary is installed: a dockerd of the
 * bench's own, in its own throwaway namespace (nsenter --net), with its own
 * data root, exec root, pidfile, socket and cgroup parent, and no iptables,
 * no default bridge, no IP forwarding or masquerading, vfs storage. Driven
 * through the Engine API on its socket (one kept-alive connection, like weft's
 * client), with containers of a busybox-static image it imports itself.
 * Everything is removed at the end: containers, network, the daemon (by pid),
 * its containerd, the cgroup directories, the namespace and the directories.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, symlinkSync, copyFileSync } from 'node:fs';
import http from 'node:http';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { checkInterface, phase, type StepStats } from './phases.js';
import { type Scratch, uniqueName } from './scratch.js';

const execFileAsync = promisify(execFile);

const API = '/v1.41';
export const DOCKER_SUBNET = '10.252.0.0/16';
const READY_TIMEOUT_MS = 60_000;
const BUSYBOX = '/bin/busybox';

function onPath(program: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return dirs.some((dir) => dir !== '' && existsSync(join(dir, program)));
}

function packageInstalled(name: string): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' }).includes('install ok installed');
  } catch {
    return false;
  }
}

/** Why Docker cannot be measured here, or undefined if it can. */
export function dockerUnavailable(): string | undefined {
  if (!onPath('dockerd')) return 'dockerd not installed: apt-get install docker.io';
  if (!packageInstalled('busybox-static') || !existsSync(BUSYBOX)) return "busybox-static not installed (apt-get install busybox-static): the containers' image is its /bin/busybox";
  return undefined;
}

export class EngineApi {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(private readonly socketPath: string) {}

  /** A JSON request; resolves with the parsed answer (or its text). */
  request(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.send(method, path, 'application/json', (req) => req.end(body === undefined ? undefined : JSON.stringify(body)));
  }

  /** Streams a file as the request body (an image tarball). */
  upload(path: string, file: string): Promise<unknown> {
    return this.send('POST', path, 'application/x-tar', (req) => createReadStream(file).pipe(req));
  }

  private send(method: string, path: string, contentType: string, write: (req: http.ClientRequest) => void): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const options = { socketPath: this.socketPath, agent: this.agent, method, path: `${API}${path}`, headers: { 'content-type': contentType } };
      const req = http.request(options, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`docker ${method} ${path}: ${res.statusCode} ${text.trim()}`));
          else resolve(text.trim() && res.headers['content-type']?.includes('json') ? JSON.parse(text) : text);
        });
      });
      req.on('error', reject);
      write(req);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

async function waitForPing(api: EngineApi, exited: () => boolean, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited()) throw new Error(`dockerd exited before answering:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`dockerd did not answer within ${READY_TIMEOUT_MS} ms:\n${log()}`);
    try {
      await api.request('GET', '/_ping');
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Removes the cgroup directories the daemon's containers lived under, in every hierarchy that has one. */
function removeCgroups(parent: string): void {
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', hierarchy, parent);
    if (existsSync(dir)) rmdirSync(dir);
  }
}

/** A containerd that outlived its dockerd (killed after the grace period) is stopped by the pid it recorded. */
function stopOrphanContainerd(execRoot: string): void {
  const pidFile = join(execRoot, 'containerd', 'containerd.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    if (pid > 0) process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

export async function startDockerd(scratch: Scratch, host: string): Promise<EngineApi> {
  const dir = scratch.tempDir('docker');
  const execRoot = join(dir, 'exec');
  const cgroupParent = uniqueName('cg');
  scratch.defer(`remove cgroups ${cgroupParent}`, () => removeCgroups(cgroupParent));
  scratch.defer('stop an orphaned containerd', () => stopOrphanContainerd(execRoot));
  const args = [
    `--net=/run/netns/${host}`, 'dockerd',
    `--data-root=${join(dir, 'data')}`, `--exec-root=${execRoot}`, `--pidfile=${join(dir, 'dockerd.pid')}`,
    `--host=unix://${join(dir, 'docker.sock')}`, `--cgroup-parent=/${cgroupParent}`,
    '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', '--bridge=none',
    '--storage-driver=vfs', '--userland-proxy=false', '--log-level=warn',
  ];
  const child = spawn('nsenter', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  scratch.process(child, 'dockerd');
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-16_384)));
  const api = new EngineApi(join(dir, 'docker.sock'));
  scratch.defer('close the docker API connection', () => api.close());
  await waitForPing(api, () => child.exitCode !== null || child.signalCode !== null, () => log);
  return api;
}

/** A one-file image: busybox-static as /bin/busybox, with sleep linked to it. */
export async function importImage(scratch: Scratch, api: EngineApi, repo: string): Promise<void> {
  const dir = scratch.tempDir('image');
  mkdirSync(join(dir, 'root', 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'root', 'bin', 'busybox'));
  symlinkSync('busybox', join(dir, 'root', 'bin', 'sleep'));
  await execFileAsync('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'image.tar'), '.']);
  await api.upload(`/images/create?fromSrc=-&repo=${repo}&tag=latest`, join(dir, 'image.tar'));
}

export async function churnDocker(scratch: Scratch, n: number): Promise<StepStats> {
  const host = await scratch.netns('d');
  const api = await startDockerd(scratch, host);
  const prefix = uniqueName();
  const image = `${prefix}img`;
  const network = `${prefix}net`;
  await importImage(scratch, api, image);
  await api.request('POST', '/networks/create', {
    Name: network,
    Driver: 'bridge',
    IPAM: { Config: [{ Subnet: DOCKER_SUBNET }] },
    Options: { 'com.docker.network.bridge.name': uniqueName('d') },
  });
  scratch.defer(`remove docker network ${network}`, () => api.request('DELETE', `/networks/${network}`).catch(() => undefined));
  const run = async (name: string) => {
    scratch.defer(`remove container ${name}`, () => api.request('DELETE', `/containers/${name}?force=true`).catch(() => undefined));
    await api.request('POST', `/containers/create?name=${name}`, { Image: image, Cmd: ['/bin/sleep', '3600'], HostConfig: { NetworkMode: network } });
    await api.request('POST', `/containers/${name}/start`);
  };
  const connect = (name: string) => api.request('POST', `/networks/${network}/connect`, { Container: name });
  const disconnect = (name: string) => api.request('POST', `/networks/${network}/disconnect`, { Container: name });
  const remove = (name: string) => api.request('DELETE', `/containers/${name}?force=true`);
  // Warm-up: one untimed cycle.
  await run(`${prefix}w`).then(() => disconnect(`${prefix}w`)).then(() => connect(`${prefix}w`)).then(() => remove(`${prefix}w`));

  const names = Array.from({ length: n }, (_, i) => `${prefix}c${i}`);
  // A container on "none" cannot join a network later: each starts on the network and leaves it, untimed, before the connect phase.
  const create = await phase(names, run);
  for (const name of names) await disconnect(name);
  const connected = await phase(names, connect);
  const sandboxKey = String(((await api.request('GET', `/containers/${names[0]}/json`)) as { NetworkSettings: { SandboxKey: string } }).NetworkSettings.SandboxKey);
  await checkInterface(sandboxKey, undefined, '10.252.', true);
  const disconnected = await phase(names, disconnect);
  await checkInterface(sandboxKey, undefined, '10.252.', false);
  const removed = await phase(names, remove);
  return { create, connect: connected, disconnect: disconnected, remove: removed };
}
