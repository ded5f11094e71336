/**
 * End to end with the real engine: Debian's dockerd (and a containerd the
 * test starts) inside a throwaway "host" namespace uses a real weftd in the
 * same namespace as its network and IPAM plugin, found as
 * /run/docker/plugins/weft-<random>.sock. Checked with docker itself, `ip -j`,
 * `nft -j`, weft's CLI and real traffic (ping, busybox httpd) between the
 * test's own namespaces only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weftOk } from '../helpers/cli.js';
import { DockerHost, dockerMissing } from '../helpers/dockerd.js';
import { ipJson, NetnsPool, requireRoot, sh } from '../helpers/netns.js';
import { pluginCall, pluginOk } from '../helpers/plugin-client.js';
import { hostWithOutside } from '../helpers/topology.js';
import { runIn } from '../helpers/traffic.js';
import { requireBuilt, startWeftd, type RunningWeftd } from '../helpers/weftd.js';

const pool = new NetnsPool();
const tag = randomBytes(3).toString('hex');
const plugin = `weft-${tag}`;
const pluginSocket = `/run/docker/plugins/${plugin}.sock`;
const image = `weftimg${tag}`;
const made = { containers: [] as string[], networks: [] as string[], images: [image] };
let host = '';
let outside = '';
let weftd: RunningWeftd;
let weftRoot = '';
let docker: DockerHost;

const d = (...args: string[]) => docker.dockerOk(args);
const net = (name: string) => {
  made.networks.push(name);
  return name;
};
const ctr = (name: string) => {
  made.containers.push(name);
  return name;
};
const weftArgs = () => ['--plugin-socket', pluginSocket, '--config', join(weftRoot, 'extra.json')];
const wv = () => ipJson<{ ifname: string }[]>(host, 'link').map((l) => l.ifname).filter((n) => /^w[vcn][0-9a-f]{12}$/.test(n));
const engineEndpoints = async (networkId: string) => {
  const inspect = JSON.parse(await weftOk(weftd.socket, ['network', 'inspect', `docker-${networkId.slice(0, 12)}`]))[0];
  return Object.values(inspect.Containers as Record<string, { EndpointID: string; IPv4Address: string }>);
};
const ipOn = async (c: string, network: string) => d('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, c);
const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};

beforeAll(async () => {
  requireRoot();
  requireBuilt();
  const missing = dockerMissing();
  if (missing) throw new Error(`the Docker end-to-end tests need a dockerd: ${missing}`);
  ({ host, outside } = hostWithOutside(pool));
  weftRoot = mkdtempSync(join(tmpdir(), 'weftd-'));
  writeFileSync(join(weftRoot, 'extra.json'), JSON.stringify({ pluginSweepIntervalMs: 1000 }));
  weftd = startWeftd(host, { root: weftRoot, extraArgs: weftArgs() });
  await weftd.waitForLog('weftd ready');
  docker = new DockerHost(host);
  await docker.start();
  await docker.importImage(image);
}, 120_000);

afterAll(async () => {
  const errors = docker ? await docker.cleanup(made) : [];
  await weftd?.stop('SIGKILL');
  rmSync(pluginSocket, { force: true });
  pool.cleanup();
  if (errors.length > 0) throw new Error(`cleanup: ${errors.join('; ')}`);
}, 120_000);

describe('weft as the engine’s network and IPAM plugin', () => {
  let n1 = '';
  it('creates a network with --subnet/--gateway/--ip-range/--aux-address and -o, from weft’s IPAM', async () => {
    n1 = await d('network', 'create', '-d', plugin, '--ipam-driver', plugin, '--subnet', '10.201.0.0/24', '--gateway', '10.201.0.254',
      '--ip-range', '10.201.0.128/25', '--aux-address', 'printer=10.201.0.130', '-o', 'com.docker.network.driver.mtu=1400', net('wn1'));
    const inspect = JSON.parse(await d('network', 'inspect', 'wn1'))[0];
    expect(inspect.IPAM).toEqual({ Driver: plugin, Options: {}, Config: [{ Subnet: '10.201.0.0/24', IPRange: '10.201.0.128/25', Gateway: '10.201.0.254', AuxiliaryAddresses: { printer: '10.201.0.130' } }] });
    // weft's own view: the same network, its bridge holding the gateway, the pool taken in weft's IPAM
    const bridge = `weft-${n1.slice(0, 10)}`;
    expect(ipJson(host, 'addr', 'show', bridge)[0]).toMatchObject({ mtu: 1400 });
    expect(ipJson(host, 'addr', 'show', bridge)[0].addr_info.map((a: { local: string }) => a.local)).toContain('10.201.0.254');
    const clash = await pluginCall(pluginSocket, 'IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '10.201.0.0/24' });
    expect(clash.body.Err).toMatch(/WEFT_POOL_OVERLAP/);
  });

  it('creates networks with auto-chosen pools that never overlap weft’s own, and IPv6 ones', async () => {
    await d('network', 'create', '-d', plugin, '--ipam-driver', plugin, net('wauto'));
    await d('network', 'create', '-d', plugin, '--ipam-driver', plugin, '--ipv6', '--subnet', 'fd42:7:1::/64', net('wv6'));
    const auto = JSON.parse(await d('network', 'inspect', 'wauto'))[0].IPAM.Config[0].Subnet;
    const v6 = JSON.parse(await d('network', 'inspect', 'wv6'))[0].IPAM.Config.map((c: { Subnet: string }) => c.Subnet);
    const weftBridge = JSON.parse(await weftOk(weftd.socket, ['network', 'inspect', 'bridge']))[0].IPAM.Config[0].Subnet;
    expect(auto).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
    expect(new Set([auto, v6[0], weftBridge]).size).toBe(3);
    expect(v6).toContain('fd42:7:1::/64');
  });

  it('runs containers with addresses from weft, MTU, and reachability by IP and by name', async () => {
    await d('run', '-d', '--name', ctr(`a${tag}`), '--network', 'wn1', image, 'sleep', '3600');
    await d('run', '-d', '--name', ctr(`b${tag}`), '--network', 'wn1', '--ip', '10.201.0.200', image, 'sleep', '3600');
    const a = await ipOn(`a${tag}`, 'wn1');
    expect(a).toMatch(/^10\.201\.0\.(1[3-9]\d|2[0-5]\d|12[89])$/);
    expect(a).not.toBe('10.201.0.130');
    expect(await ipOn(`b${tag}`, 'wn1')).toBe('10.201.0.200');
    const link = await d('exec', `a${tag}`, 'ip', '-o', 'link', 'show', 'eth0');
    expect(link).toMatch(/mtu 1400/);
    expect(await d('exec', `a${tag}`, 'ip', 'route')).toMatch(/default via 10\.201\.0\.254 dev eth0/);
    expect((await docker.docker(['exec', `a${tag}`, 'ping', '-c2', '-W2', '10.201.0.200'])).code).toBe(0);
    // the engine's embedded DNS (127.0.0.11) answers container names on user networks, even with --iptables=false
    expect((await docker.docker(['exec', `a${tag}`, 'ping', '-c2', '-W2', `b${tag}`])).code).toBe(0);
    // weft sees the engine's endpoints; their host ends are bridge ports
    expect((await engineEndpoints(n1)).map((e) => e.IPv4Address).sort()).toEqual([`${a}/24`, '10.201.0.200/24'].sort());
  });

  it('refuses a bad --ip with a clear message', async () => {
    const outsideSubnet = await docker.docker(['run', '--rm', '--network', 'wn1', '--ip', '10.99.0.5', image, 'true']);
    expect(outsideSubnet.code).not.toBe(0);
    expect(outsideSubnet.stderr).toMatch(/Invalid address 10\.99\.0\.5: It does not belong to any of this network's subnets/);
    const taken = await docker.docker(['run', '--rm', '--network', 'wn1', '--ip', '10.201.0.200', image, 'true']);
    expect(taken.stderr).toMatch(/IpamDriver\.RequestAddress: \[WEFT_ADDRESS_IN_USE\] address 10\.201\.0\.200 is already allocated/);
    const gateway = await docker.docker(['run', '--rm', '--network', 'wn1', '--ip', '10.201.0.0', image, 'true']);
    expect(gateway.stderr).toMatch(/\[WEFT_ADDRESS_OUT_OF_RANGE\]/);
  });

  it('publishes -p 8080:80 to other namespaces and to the host', async () => {
    await d('run', '-d', '--name', ctr(`web${tag}`), '--network', 'wn1', '-p', '8080:80', image, 'httpd', '-f', '-p', '80', '-h', '/www');
    await until('httpd', async () => (await runIn(outside, 'wget', ['-qO-', '-T', '2', 'http://192.0.2.1:8080/'])).stdout.includes('hello from weft'));
    expect((await runIn(host, 'wget', ['-qO-', '-T', '2', 'http://127.0.0.1:8080/'])).stdout).toContain('hello from weft');
    expect((await runIn(host, 'wget', ['-qO-', '-T', '2', 'http://192.0.2.1:8080/'])).stdout).toContain('hello from weft');
    const ruleset = sh(host, 'nft', ['list', 'table', 'inet', 'weft']);
    expect(ruleset).toMatch(/tcp dport 8080 dnat ip to 10\.201\.0\.\d+:80/);
  });

  it('connects and disconnects a running container', async () => {
    const c = `a${tag}`;
    await d('network', 'connect', 'wv6', c);
    const eth1 = await d('exec', c, 'ip', '-o', 'addr', 'show', 'eth1');
    expect(eth1).toMatch(/inet6 fd42:7:1::/);
    // IPv6 between two containers of the network, over weft's bridge
    await d('run', '-d', '--name', ctr(`v6${tag}`), '--network', 'wv6', image, 'sleep', '3600');
    const peer6 = await d('inspect', '-f', '{{(index .NetworkSettings.Networks "wv6").GlobalIPv6Address}}', `v6${tag}`);
    expect(peer6).toMatch(/^fd42:7:1::/);
    expect((await docker.docker(['exec', c, 'ping', '-c2', '-W2', peer6])).code).toBe(0);
    await d('rm', '-f', `v6${tag}`);
    await d('network', 'disconnect', 'wv6', c);
    expect((await docker.docker(['exec', c, 'ip', 'link', 'show', 'eth1'])).code).not.toBe(0);
    expect((await docker.docker(['exec', c, 'ping', '-c1', '-W2', '10.201.0.200'])).code).toBe(0);
  });

  it('loses nothing when weftd restarts between operations (SIGKILL)', async () => {
    await weftd.stop('SIGKILL', { keepRoot: true });
    weftd = startWeftd(host, { root: weftRoot, extraArgs: weftArgs() });
    await weftd.waitForLog('weftd ready');
    expect((await weftd.waitForLog('reconciled')).errors).toEqual([]);
    await d('run', '-d', '--name', ctr(`c${tag}`), '--network', 'wn1', image, 'sleep', '3600');
    expect((await docker.docker(['exec', `c${tag}`, 'ping', '-c2', '-W2', `b${tag}`])).code).toBe(0);
    await d('rm', '-f', `b${tag}`);
    expect((await engineEndpoints(n1)).map((e) => e.IPv4Address)).not.toContain('10.201.0.200/24');
    expect((await runIn(outside, 'wget', ['-qO-', '-T', '2', 'http://192.0.2.1:8080/'])).stdout).toContain('hello from weft');
  });

  it('cleans up after dockerd is killed with containers running', async () => {
    const before = wv().length;
    expect(before).toBeGreaterThanOrEqual(3);
    await docker.killDockerd();
    await docker.startDockerd();
    // dockerd stops the containers it finds running and tears their endpoints down through the plugin
    await until('stale endpoints gone', async () => (await engineEndpoints(n1)).length === 0 && wv().length === 0);
    const again = await pluginOk(pluginSocket, 'IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.201.0.0/24/10.201.0.128/25', Address: '10.201.0.200' });
    expect(again.Address).toBe('10.201.0.200/24');
    await pluginOk(pluginSocket, 'IpamDriver.ReleaseAddress', { PoolID: 'LocalDefault/10.201.0.0/24/10.201.0.128/25', Address: '10.201.0.200' });
    expect(sh(host, 'nft', ['list', 'table', 'inet', 'weft'])).not.toMatch(/dport 8080/);
    for (const c of [`a${tag}`, `c${tag}`, `web${tag}`]) await d('rm', '-f', c);
  });

  it('leaves no link, rule, address or allocation behind after docker network rm', async () => {
    const ids = await Promise.all(['wn1', 'wauto', 'wv6'].map((n) => d('network', 'inspect', '-f', '{{.Id}}', n)));
    for (const n of ['wn1', 'wauto', 'wv6']) await d('network', 'rm', n);
    const links = ipJson<{ ifname: string }[]>(host, 'link').map((l) => l.ifname);
    expect(links.filter((l) => l.startsWith('weft-') || /^w[vcn][0-9a-f]{12}$/.test(l))).toEqual([]);
    const addresses = JSON.stringify(ipJson(host, 'addr'));
    expect(addresses).not.toMatch(/10\.201\.0\.|fd42:7:1::/);
    const ruleset = sh(host, 'nft', ['list', 'table', 'inet', 'weft']);
    for (const id of ids) expect(ruleset).not.toContain(id.slice(0, 12));
    const ls = await weftOk(weftd.socket, ['network', 'ls']);
    expect(ls).not.toMatch(/docker-/);
    for (const subnet of ['10.201.0.0/24', 'fd42:7:1::/64']) {
      const again = await pluginOk(pluginSocket, 'IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: subnet, V6: subnet.includes(':') });
      await pluginOk(pluginSocket, 'IpamDriver.ReleasePool', { PoolID: again.PoolID });
    }
  });
  it('sweeps endpoints the engine forgets (a container gone from dockerd’s records while it was down)', async () => {
    const id = await d('network', 'create', '-d', plugin, '--subnet', '10.202.0.0/24', net('wbuiltin'));
    const cid = await d('run', '-d', '--name', ctr(`s${tag}`), '--network', 'wbuiltin', image, 'sleep', '3600');
    expect(await engineEndpoints(id)).toHaveLength(1);
    await docker.killDockerd();
    docker.killShims();
    docker.forgetContainer(cid);
    await docker.startDockerd();
    // dockerd removes the sandbox as stale; with the engine's own IPAM nothing activated weft at its start, so it
    // skips the driver calls (reference §1.6): weft's sweep removes the endpoint once its veth died with the namespace.
    await until('the stale endpoint swept', async () => (await engineEndpoints(id)).length === 0 && wv().length === 0, 30_000);
    const removed = weftd.logs().split('\n').filter((l) => l.includes('"engine endpoint removed"')).map((l) => JSON.parse(l));
    expect(removed.at(-1).why).toMatch(/^stale: its veth is gone/);
    await d('rm', '-f', `s${tag}`);
    await d('network', 'rm', 'wbuiltin');
    expect(ipJson<{ ifname: string }[]>(host, 'link').map((l) => l.ifname).filter((l) => l.startsWith('weft-') || /^w[vcn][0-9a-f]{12}$/.test(l))).toEqual([]);
    expect(await weftOk(weftd.socket, ['network', 'ls'])).not.toMatch(/docker-/);
  });

});
