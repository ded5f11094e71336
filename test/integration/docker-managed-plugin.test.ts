/**
 * The managed (v2) plugin path: scripts/build-managed-plugin.sh builds
 * config.json + rootfs/ from local files; a real dockerd (in a throwaway
 * namespace, with its own containerd) takes it with `docker plugin create`,
 * runs it with `docker plugin enable` (as a containerd task with host
 * networking, i.e. in the test's namespace), and uses it as NAME:latest.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerHost, dockerMissing } from '../helpers/dockerd.js';
import { ipJson, NetnsPool, requireRoot } from '../helpers/netns.js';
import { requireBuilt } from '../helpers/weftd.js';

const SCRIPT = new URL('../../scripts/build-managed-plugin.sh', import.meta.url).pathname;
const pool = new NetnsPool();
const tag = randomBytes(3).toString('hex');
const plugin = `weftmp${tag}`;
const image = `weftmpimg${tag}`;
const made = { containers: [`m1${tag}`, `m2${tag}`], networks: [`mpnet${tag}`], images: [image] };
const work = mkdtempSync(join(tmpdir(), 'weft-managed-'));
const out = join(work, 'plugin');
let docker: DockerHost;
let host = '';

beforeAll(async () => {
  requireRoot();
  requireBuilt();
  const missing = dockerMissing();
  if (missing) throw new Error(`the managed-plugin test needs a dockerd: ${missing}`);
  execFileSync('bash', [SCRIPT, out], { stdio: 'pipe' });
  host = pool.create('m');
  docker = new DockerHost(host);
  await docker.start();
  await docker.importImage(image);
}, 180_000);

afterAll(async () => {
  const errors: string[] = [];
  if (docker) {
    for (const c of made.containers) await docker.docker(['rm', '-f', c]);
    for (const n of made.networks) await docker.docker(['network', 'rm', n]);
    await docker.docker(['plugin', 'disable', '-f', plugin]);
    await docker.docker(['plugin', 'rm', '-f', plugin]);
    errors.push(...(await docker.cleanup({ containers: [], networks: [], images: made.images })));
  }
  pool.cleanup();
  rmSync(work, { recursive: true, force: true });
  if (errors.length > 0) throw new Error(`cleanup: ${errors.join('; ')}`);
}, 120_000);

describe('managed plugin', () => {
  it('builds config.json and a self-contained rootfs', () => {
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.interface).toEqual({ types: ['docker.networkdriver/1.0', 'docker.ipamdriver/1.0'], socket: 'weft.sock' });
    expect(config.network).toEqual({ type: 'host' });
    expect(config.linux.capabilities).toEqual(expect.arrayContaining(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']));
    expect(config.entrypoint[2]).toMatch(/exec \/usr\/local\/bin\/node \/opt\/weft\/dist\/src\/bin\/weftd\.js "\$@"/);
    expect(config.entrypoint.slice(4, 6)).toEqual(['--plugin-socket', '/run/docker/plugins/weft.sock']);
    const rootfs = join(out, 'rootfs');
    for (const file of ['usr/local/bin/node', 'usr/sbin/nft', 'bin/sh', 'bin/mount', 'opt/weft/proto/weft.proto', 'opt/weft/dist/src/bin/weftd.js', 'opt/weft/native/build/Release/weft_netns.node', 'opt/weft/node_modules/better-sqlite3/package.json', 'opt/weft/node_modules/netlink/package.json']) {
      expect(existsSync(join(rootfs, file)), file).toBe(true);
    }
    expect(existsSync(join(rootfs, 'opt/weft/node_modules/vitest'))).toBe(false);
    // every library node links is inside (ldd from the rootfs's point of view)
    const libs = execFileSync('ldd', [join(rootfs, 'usr/local/bin/node')], { encoding: 'utf8' }).match(/=> (\/\S+)/g)!.map((m) => m.slice(3));
    for (const lib of libs) expect(statSync(join(rootfs, lib)).isFile(), lib).toBe(true);
  });

  it('is created, enabled and used by dockerd as NAME:latest', async () => {
    const state = join(work, 'state');
    const api = join(work, 'api');
    execFileSync('mkdir', ['-p', state, api]);
    await docker.dockerOk(['plugin', 'create', plugin, out], 300_000);
    await docker.dockerOk(['plugin', 'set', plugin, `state.source=${state}`, `api.source=${api}`]);
    const enabled = await docker.docker(['plugin', 'enable', plugin], 120_000);
    // on failure the message carries the engine's stderr and the tail of its log
    expect(enabled.code, `plugin enable failed: ${enabled.stderr}\n${docker.logs().slice(-3000)}`).toBe(0);
    await docker.dockerOk(['network', 'create', '-d', `${plugin}:latest`, '--ipam-driver', `${plugin}:latest`, '--subnet', '10.203.0.0/24', made.networks[0]!]);
    await docker.dockerOk(['run', '-d', '--name', made.containers[0]!, '--network', made.networks[0]!, image, 'sleep', '3600']);
    await docker.dockerOk(['run', '-d', '--name', made.containers[1]!, '--network', made.networks[0]!, '--ip', '10.203.0.50', image, 'sleep', '3600']);
    expect((await docker.docker(['exec', made.containers[0]!, 'ping', '-c2', '-W2', '10.203.0.50'])).code).toBe(0);
    // the plugin's weftd runs in the test's namespace (host network): its bridge is there
    expect(ipJson<{ ifname: string }[]>(host, 'link').some((l) => l.ifname.startsWith('weft-'))).toBe(true);
    expect(existsSync(join(state, 'weft.db'))).toBe(true);
    for (const c of made.containers) await docker.dockerOk(['rm', '-f', c]);
    await docker.dockerOk(['network', 'rm', made.networks[0]!]);
    expect(ipJson<{ ifname: string }[]>(host, 'link').some((l) => /^weft-[0-9a-f]{10}$/.test(l.ifname))).toBe(false);
  });
});
