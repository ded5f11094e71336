/**
 * A real dockerd (Debian's docker.io) for end-to-end tests, inside the test's
 * throwaway "host" namespace (nsenter --net, never the machine's own), with a
 * containerd the test starts itself (so killing dockerd leaves containerd and
 * the containers running, as on a real host), its own data root, exec root,
 * pidfile, sockets and cgroup parent, and --iptables=false. Everything is
 * removed by exact pid, path or name in cleanup(), even after a failure.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';
/** docker.io's own CLI, the daemon's version (a newer one may shadow it on PATH). */
const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const READY_TIMEOUT_MS = 60_000;
const APPLETS = ['sh', 'sleep', 'ping', 'httpd', 'wget', 'ip', 'cat', 'nslookup', 'true', 'ls'];

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What is missing for the Docker tests, or undefined. */
export function dockerMissing(): string | undefined {
  for (const [bin, pkg] of [['/usr/sbin/dockerd', 'docker.io'], ['/usr/bin/containerd', 'containerd'], ['/usr/sbin/runc', 'runc'], [BUSYBOX, 'busybox-static']]) {
    if (!existsSync(bin!)) return `${bin} is missing (package ${pkg}; scripts/install.sh installs it)`;
  }
  return undefined;
}

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

export class DockerHost {
  readonly dir = mkdtempSync(join(tmpdir(), 'weft-docker-'));
  readonly socket = join(this.dir, 'docker.sock');
  readonly containerdSocket = join(this.dir, 'containerd', 'containerd.sock');
  readonly cgroupParent = `weftcg${randomBytes(3).toString('hex')}`;
  private containerd: ChildProcess | undefined;
  private dockerd: ChildProcess | undefined;
  private log = '';

  constructor(readonly hostNetns: string) {}

  /** The tail of dockerd's and containerd's output, for failure messages. */
  logs(): string {
    return this.log.slice(-8000);
  }

  async start(): Promise<void> {
    await this.startContainerd();
    await this.startDockerd();
  }

  private spawnIn(args: string[]): ChildProcess {
    const child = spawn('nsenter', [`--net=/run/netns/${this.hostNetns}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => (this.log = (this.log + d.toString()).slice(-64_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return child;
  }

  private async startContainerd(): Promise<void> {
    const base = join(this.dir, 'containerd');
    mkdirSync(base, { recursive: true });
    const config = join(base, 'config.toml');
    writeFileSync(config, [
      'version = 2',
      `root = "${base}/root"`,
      `state = "${base}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]', `  address = "${this.containerdSocket}"`,
      '[ttrpc]', `  address = "${this.containerdSocket}.ttrpc"`,
      '[debug]', `  address = "${base}/debug.sock"`,
      '[plugins."io.containerd.internal.v1.opt"]', `  path = "${base}/opt"`,
      '',
    ].join('\n'));
    this.containerd = this.spawnIn(['containerd', '--config', config]);
    await this.waitFor(() => existsSync(this.containerdSocket), 'containerd socket', this.containerd);
  }

  /** Starts (or restarts) dockerd over the same roots and containerd. */
  async startDockerd(): Promise<void> {
    rmSync(join(this.dir, 'dockerd.pid'), { force: true });
    this.dockerd = this.spawnIn([
      'dockerd',
      `--data-root=${join(this.dir, 'data')}`, `--exec-root=${join(this.dir, 'exec')}`, `--pidfile=${join(this.dir, 'dockerd.pid')}`,
      `--host=unix://${this.socket}`, `--containerd=${this.containerdSocket}`, `--cgroup-parent=/${this.cgroupParent}`,
      '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', '--bridge=none',
      '--storage-driver=vfs', '--userland-proxy=false', '--log-level=info',
    ]);
    const dockerd = this.dockerd;
    let ready = false;
    const probe = async () => {
      ready = (await this.docker(['version', '--format', '{{.Server.Version}}'], 5000)).code === 0;
    };
    await this.waitFor(() => {
      void probe();
      return ready;
    }, 'dockerd API', dockerd);
  }

  private async waitFor(check: () => boolean, what: string, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!check()) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what}: process exited\n${this.logs()}`);
      if (Date.now() > deadline) throw new Error(`${what} not ready within ${READY_TIMEOUT_MS} ms\n${this.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** dockerd dies (SIGKILL); containerd and the containers live on. */
  async killDockerd(): Promise<void> {
    await stop(this.dockerd, 'SIGKILL');
  }

  /** Pids of the containerd shims of this test's containerd (matched by its unique socket path). */
  shimPids(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      const args = cmdline.split('\0');
      if (args[0]?.endsWith('containerd-shim-runc-v2') && args.includes(this.containerdSocket)) pids.push(Number(entry));
    }
    return pids;
  }

  /** Kills this test's shims by pid: their containers die with them. */
  killShims(): void {
    for (const pid of this.shimPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** While dockerd is down: its record of a container goes (as after a lost or restored data root). */
  forgetContainer(id: string): void {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`not a container id: ${id}`);
    this.unmountUnder(join(this.dir, 'data', 'containers', id));
    rmSync(join(this.dir, 'data', 'containers', id), { recursive: true, force: true });
  }

  docker(args: string[], timeoutMs = 60_000): Promise<RunResult> {
    return run(DOCKER_CLI, ['-H', `unix://${this.socket}`, ...args], timeoutMs);
  }

  async dockerOk(args: string[], timeoutMs?: number): Promise<string> {
    const r = await this.docker(args, timeoutMs);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  }

  /** A one-file image: busybox-static with its applets and a page for httpd. */
  async importImage(name: string): Promise<void> {
    const root = join(this.dir, 'image');
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'www'), { recursive: true });
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    for (const applet of APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
    writeFileSync(join(root, 'www', 'index.html'), 'hello from weft\n');
    const tarball = join(this.dir, 'image.tar');
    const tar = await run('tar', ['-C', root, '-cf', tarball, '.']);
    if (tar.code !== 0) throw new Error(`tar: ${tar.stderr}`);
    await this.dockerOk(['import', tarball, name]);
  }

  /** Stops everything this host started and removes its files; carries on past failures and reports them. */
  async cleanup(names: { containers: string[]; networks: string[]; images: string[] }): Promise<string[]> {
    const errors: string[] = [];
    const attempt = async (what: string, fn: () => unknown) => {
      try {
        await fn();
      } catch (err) {
        errors.push(`${what}: ${(err as Error).message}`);
      }
    };
    if (this.dockerd && this.dockerd.exitCode === null && this.dockerd.signalCode === null) {
      for (const c of names.containers) await attempt(`rm ${c}`, () => this.docker(['rm', '-f', c], 30_000));
      for (const n of names.networks) await attempt(`network rm ${n}`, () => this.docker(['network', 'rm', n], 30_000));
      for (const i of names.images) await attempt(`rmi ${i}`, () => this.docker(['rmi', '-f', i], 30_000));
    }
    await attempt('stop dockerd', () => stop(this.dockerd));
    await attempt('kill shims', () => this.killShims());
    await attempt('stop containerd', () => stop(this.containerd));
    await attempt('unmount', () => this.unmountAll());
    await attempt('cgroups', () => this.removeCgroups());
    await attempt('remove dir', () => rmSync(this.dir, { recursive: true, force: true }));
    return errors;
  }

  /** Mounts dockerd and containerd left under this host's directory (netns bind mounts, rootfs), deepest first. */
  private unmountAll(): void {
    this.unmountUnder(this.dir);
  }

  private unmountUnder(dir: string): void {
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '');
    const ours = mounts.filter((m) => m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
    for (const m of ours) spawnSyncUmount(m);
  }

  private removeCgroups(): void {
    for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
      const dir = join('/sys/fs/cgroup', hierarchy, this.cgroupParent);
      if (existsSync(dir)) removeCgroupTree(dir);
    }
  }
}

function spawnSyncUmount(path: string): void {
  // umount -l: a netns bind mount may still be busy for a moment after its processes died.
  try {
    execFileSync('umount', ['-l', path], { stdio: 'ignore' });
  } catch {
    // gone meanwhile
  }
}

function removeCgroupTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  rmdirSync(dir);
}
