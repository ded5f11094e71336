/**
 * End to end on one host: a real weftd in a throwaway "host" namespace, driven
 * by the built `weft` CLI, checked with `ip -j`, `nft -j` and real traffic.
 * An "outside" namespace stands for another machine on the host's uplink.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinuxKernel, type LinuxKernel } from '../../src/kernel/linux/index.js';
import { weftCli, weftOk } from '../helpers/cli.js';
import { ipJson, NetnsPool, requireRoot, uniqueName } from '../helpers/netns.js';
import { canConnect, pings, runIn, serveTcp, tcpRequest } from '../helpers/traffic.js';
import { hostWithOutside, SandboxNames } from '../helpers/topology.js';
import { requireBuilt, startWeftd, type RunningWeftd } from '../helpers/weftd.js';

const pool = new NetnsPool();
const servers: net.Server[] = [];
let kernel: LinuxKernel;
let weftd: RunningWeftd;
let host = '';
let outside = '';

const weft = (...args: string[]) => weftCli(weftd.socket, args);
const ok = (...args: string[]) => weftOk(weftd.socket, args);
const inspect = async (kind: 'network' | 'sandbox', name: string) => JSON.parse(await ok(kind, 'inspect', name))[0];

const names = new SandboxNames();
const sandboxName = (tag: string) => names.next(tag);

beforeAll(async () => {
  requireRoot();
  requireBuilt();
  kernel = createLinuxKernel();
  ({ host, outside } = hostWithOutside(pool));
  weftd = startWeftd(host);
  await weftd.waitForLog('weftd ready');
});

afterAll(async () => {
  for (const s of servers) s.close();
  await weftd?.stop('SIGKILL');
  names.cleanup();
  pool.cleanup();
  await kernel?.close();
});

describe('single host', () => {
  it('starts with the predefined networks, like a fresh Docker host', async () => {
    const ls = (await ok('network', 'ls', '--format', 'json')).trim().split('\n').map((l) => JSON.parse(l));
    expect(ls.map((n: { Name: string }) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
    const bridge = await inspect('network', 'bridge');
    expect(bridge).toMatchObject({ Name: 'bridge', Driver: 'bridge', Scope: 'local', Internal: false });
    expect(bridge.Options['com.docker.network.bridge.name']).toBe('weft0');
    expect(bridge.Id).toMatch(/^[0-9a-f]{64}$/);
    const subnet: string = bridge.IPAM.Config[0].Subnet;
    expect(subnet).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
    const weft0 = ipJson(host, 'addr', 'show', 'weft0')[0];
    expect(weft0.addr_info.map((a: { local: string }) => a.local)).toContain(bridge.IPAM.Config[0].Gateway);
    expect((await inspect('network', 'none')).Driver).toBe('null');
  });

  it('creates networks with explicit IPAM config, connects sandboxes, isolates networks', async () => {
    await ok('network', 'create', '--subnet', '10.201.0.0/24', '--gateway', '10.201.0.254', '--ip-range', '10.201.0.128/25',
      '--aux-address', 'printer=10.201.0.130', '--label', 'team=a', '-o', 'com.docker.network.driver.mtu=1400', 'n1');
    await ok('network', 'create', 'n2');
    const a = sandboxName('a');
    const b = sandboxName('b');
    const c = sandboxName('c');
    await ok('sandbox', 'create', '--network', 'n1', a);
    await ok('sandbox', 'create', '--network', 'n1', '--ip', '10.201.0.200', '--alias', 'bee', b);
    await ok('sandbox', 'create', '--network', 'n2', c);

    const n1 = await inspect('network', 'n1');
    expect(n1.IPAM.Config).toEqual([{ Subnet: '10.201.0.0/24', IPRange: '10.201.0.128/25', Gateway: '10.201.0.254', AuxiliaryAddresses: { printer: '10.201.0.130' } }]);
    expect(n1.Labels).toEqual({ team: 'a' });
    const members = Object.values(n1.Containers) as { Name: string; IPv4Address: string }[];
    expect(members.map((m) => m.Name).sort()).toEqual([a, b].sort());
    const aAddr = members.find((m) => m.Name === a)!.IPv4Address;
    expect(aAddr).toMatch(/^10\.201\.0\.(12[89]|1[3-9]\d|2[0-5]\d)\/24$/); // inside the ip-range
    expect(aAddr).not.toBe('10.201.0.130/24');
    expect(members.find((m) => m.Name === b)!.IPv4Address).toBe('10.201.0.200/24');

    // independent check of the sandbox's interface, MTU and default route
    const eth0 = ipJson(a, 'addr', 'show', 'eth0')[0];
    expect(eth0.mtu).toBe(1400);
    expect(eth0.addr_info.find((i: { family: string }) => i.family === 'inet').local).toBe(aAddr.split('/')[0]);
    expect(ipJson(a, 'route', 'show', 'default')[0]).toMatchObject({ gateway: '10.201.0.254', dev: 'eth0' });

    expect(await pings(a, '10.201.0.200')).toBe(true);
    const cAddr = (await inspect('sandbox', c)).Networks.n2.IPAddress;
    expect(await pings(a, cAddr, 1)).toBe(false);
    // the harness: sandbox exec runs inside the namespace and passes the exit code through
    expect((await weft('sandbox', 'exec', a, '--', 'ping', '-c1', '-W1', '10.201.0.200')).code).toBe(0);
    expect((await weft('sandbox', 'exec', a, '--', 'ping', '-c1', '-W1', cAddr)).code).toBe(1);
  });

  it('connects and disconnects a running sandbox', async () => {
    const [a, , c] = names.all;
    await ok('network', 'connect', '--ip', '10.201.0.150', 'n1', c!);
    expect(ipJson(c!, 'addr', 'show', 'eth1')[0].addr_info.some((i: { local: string }) => i.local === '10.201.0.150')).toBe(true);
    expect(await pings(c!, '10.201.0.200')).toBe(true);
    const again = await weft('network', 'connect', 'n1', c!);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists in network n1/);
    await ok('network', 'disconnect', 'n1', c!);
    expect(ipJson(c!, 'link').map((l: { ifname: string }) => l.ifname)).not.toContain('eth1');
    expect(await pings(c!, '10.201.0.200', 1)).toBe(false);
    // the address went back to IPAM: another sandbox can take it
    expect(Object.values((await inspect('network', 'n1')).Containers).length).toBe(2);
    expect(await pings(a!, '10.201.0.200')).toBe(true);
  });

  it('publishes ports to other hosts, to the host itself and back into the network (hairpin)', async () => {
    const p = sandboxName('p');
    await ok('sandbox', 'create', '--network', 'n1', '-p', '8080:80', '-p', '9000/udp', p);
    servers.push(await serveTcp(kernel, p, 80, 'p'));
    const ports = (await inspect('sandbox', p)).Ports;
    expect(ports['80/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: '8080' }]);
    expect(Number(ports['9000/udp'][0].HostPort)).toBeGreaterThanOrEqual(49153);

    expect(await tcpRequest(outside, '192.0.2.1', 8080)).toMatch(/^p 192\.0\.2\.2$/);
    expect(await tcpRequest(host, '192.0.2.1', 8080)).toMatch(/^p /);
    expect(await tcpRequest(host, '127.0.0.1', 8080)).toMatch(/^p /);
    const a = names.all[0]!;
    expect(await tcpRequest(a, '192.0.2.1', 8080)).toMatch(/^p /);
    expect(await tcpRequest(p, '192.0.2.1', 8080)).toMatch(/^p /);

    // a second binding of 8080 is refused and leaves nothing behind
    const q = sandboxName('q');
    const conflict = await weft('sandbox', 'create', '--network', 'n1', '-p', '8080:81', q);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr.trim()).toBe('Error: Bind for 0.0.0.0:8080/tcp failed: port is already allocated');
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(q);
    expect(Object.values((await inspect('network', 'n1')).Containers).length).toBe(3);
    expect((await weft('sandbox', 'inspect', q)).code).toBe(1);
  });

  it('masquerades egress and keeps internal networks inside', async () => {
    servers.push(await serveTcp(kernel, outside, 7000, 'o'));
    const a = names.all[0]!;
    expect(await tcpRequest(a, '192.0.2.2', 7000)).toBe('o 192.0.2.1');
    await ok('network', 'create', '--internal', 'n3');
    const i = sandboxName('i');
    await ok('sandbox', 'create', '--network', 'n3', i);
    expect(ipJson(i, 'route', 'show', 'default')).toEqual([]);
    expect(await canConnect(i, '192.0.2.2', 7000)).toBe(false);
    expect((await inspect('network', 'n3')).Internal).toBe(true);
  });

  it('routes a nat network through the host with proxy ARP, isolated from the bridges', async () => {
    await ok('network', 'create', '-d', 'nat', '--subnet', '10.202.0.0/24', 'nn');
    const x = sandboxName('x');
    const y = sandboxName('y');
    await ok('sandbox', 'create', '--network', 'nn', x);
    await ok('sandbox', 'create', '--network', 'nn', y);
    const yAddr = (await inspect('sandbox', y)).Networks.nn.IPAddress;
    expect(await pings(x, yAddr)).toBe(true);
    expect(await pings(x, '10.201.0.200', 1)).toBe(false);
    expect(await tcpRequest(x, '192.0.2.2', 7000)).toBe('o 192.0.2.1');
    // no L2 bridge: the host side is a plain veth with a host route to the sandbox
    const routes = ipJson(host, 'route', 'show', `${yAddr}/32`);
    expect(routes).toHaveLength(1);
  });

  it('enable_icc=false blocks sandbox-to-sandbox but not the way out; a sandbox on two networks reaches both', async () => {
    await ok('network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', 'noicc');
    const u = sandboxName('u');
    const v = sandboxName('v');
    await ok('sandbox', 'create', '--network', 'noicc', u);
    await ok('sandbox', 'create', '--network', 'noicc', v);
    const vAddr = (await inspect('sandbox', v)).Networks.noicc.IPAddress;
    expect(await pings(u, vAddr, 1)).toBe(false);
    expect(await tcpRequest(u, '192.0.2.2', 7000)).toBe('o 192.0.2.1');

    const w = sandboxName('w');
    await ok('sandbox', 'create', '--network', 'n1', '--network', 'n2', w);
    const wInfo = await inspect('sandbox', w);
    expect(Object.keys(wInfo.Networks).sort()).toEqual(['n1', 'n2']);
    expect(wInfo.Networks.n1.Interface).toBe('eth0');
    expect(wInfo.Networks.n2.Interface).toBe('eth1');
    const c = names.all[2]!;
    const cAddr = (await inspect('sandbox', c)).Networks.n2.IPAddress;
    expect(await pings(w, '10.201.0.200')).toBe(true);
    expect(await pings(w, cAddr)).toBe(true);
    // the first network provides the default route
    expect(ipJson(w, 'route', 'show', 'default')[0]).toMatchObject({ gateway: '10.201.0.254', dev: 'eth0' });
    await ok('network', 'disconnect', 'n1', w);
    expect(ipJson(w, 'route', 'show', 'default')[0]).toMatchObject({ dev: 'eth0' === wInfo.Networks.n2.Interface ? 'eth0' : 'eth1' });
    await ok('sandbox', 'rm', u, v, w);
    await ok('network', 'rm', 'noicc');
  });

  it('writes hosts and resolv.conf where ip netns exec finds them', async () => {
    const f = sandboxName('f');
    await ok('sandbox', 'create', '--network', 'n1', '--hostname', 'web1', '--dns', '192.0.2.53', '--dns-search', 'example.test', f);
    const addr = (await inspect('sandbox', f)).Networks.n1.IPAddress;
    // files only: the --dns server given here is not reachable, and getent would wait for it
    const hosts = await runIn(f, 'getent', ['-s', 'files', 'hosts', 'web1']);
    expect(hosts.stdout.trim().split(/\s+/)).toEqual([addr, 'web1']);
    const resolv = await runIn(f, 'cat', ['/etc/resolv.conf']);
    // the embedded resolver answers in the sandbox; --dns servers are its upstreams, as in Docker
    expect(resolv.stdout).toMatch(/^nameserver 127\.0\.0\.11$/m);
    expect(resolv.stdout).not.toContain('192.0.2.53');
    expect((await inspect('sandbox', f)).Dns).toEqual(['192.0.2.53']);
    expect(resolv.stdout).toContain('search example.test');
    // A process already running in the sandbox (its hosts bind-mounted at exec) sees a connect's new address.
    const sleeper = spawn('ip', ['netns', 'exec', f, 'sleep', '30'], { stdio: 'ignore' });
    try {
      const seen = `/proc/${sleeper.pid}/root/etc/hosts`;
      await waitFor(() => existsSync(seen) && readFileSync(seen, 'utf8').includes(`${addr}\tweb1`));
      await ok('network', 'connect', 'n2', f);
      const addr2 = (await inspect('sandbox', f)).Networks.n2.IPAddress;
      expect(readFileSync(seen, 'utf8')).toContain(`${addr2}\tweb1`);
    } finally {
      sleeper.kill('SIGKILL');
    }
    await ok('sandbox', 'rm', f);
    expect(execFileSync('ls', ['/etc/netns'], { encoding: 'utf8' }).split('\n')).not.toContain(f);
  });

  it('host and none sandboxes', async () => {
    const h = sandboxName('hn');
    await ok('sandbox', 'create', '--network', 'host', h);
    const inHost = ipJson(h, 'link').map((l: { ifname: string }) => l.ifname);
    expect(inHost).toContain('weft0');
    expect(inHost).toContain('uplink');
    const z = sandboxName('z');
    await ok('sandbox', 'create', '--network', 'none', z);
    expect(ipJson(z, 'link').map((l: { ifname: string }) => l.ifname)).toEqual(['lo']);
    const both = await weft('network', 'connect', 'n1', z);
    expect(both.code).toBe(1);
    await ok('sandbox', 'rm', h);
    // removing the host sandbox unpins the name only: the host keeps its interfaces
    expect(ipJson(host, 'link').map((l: { ifname: string }) => l.ifname)).toContain('uplink');
  });

  it('refuses bad input with one-line errors and no partial state', async () => {
    const before = ipJson(host, 'link').length;
    const cases: [string[], number, RegExp][] = [
      [['network', 'create', 'n1'], 1, /^Error: network with name n1 already exists$/],
      [['network', 'create', '--subnet', '10.201.0.0/16', 'dup'], 1, /overlaps/],
      [['network', 'create', '--subnet', '10.9.0.0/33', 'bad'], 2, /invalid subnet/],
      [['network', 'create', '--subnet', 'abc', 'bad'], 2, /abc/],
      [['network', 'create', '--subnet', '10.9.0.0/24', '--gateway', '10.8.0.1', 'bad'], 2, /no matching subnet for gateway 10\.8\.0\.1/],
      [['network', 'create', '-d', 'nope', 'bad'], 1, /nope/],
      [['network', 'create', '-o', 'com.docker.network.driver.mtu=12', 'bad'], 2, /mtu/i],
      [['network', 'rm', 'n1'], 1, /has active endpoints/],
      [['network', 'rm', 'bridge'], 1, /pre-defined network/],
      [['network', 'inspect', 'nosuch'], 1, /network nosuch not found/],
      [['sandbox', 'create', '--network', 'nosuch', uniqueName('e')], 1, /network nosuch not found/],
      [['sandbox', 'create', '-p', '80:99999', uniqueName('e')], 2, /port/],
      [['sandbox', 'create', '--network', 'n1', '--ip', '10.77.0.1', uniqueName('e')], 2, /no configured subnet/],
    ];
    for (const [args, code, message] of cases) {
      const r = await weft(...args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    expect(ipJson(host, 'link').length).toBe(before);
    const names = JSON.parse(await ok('network', 'inspect', 'bridge', 'n1', 'n2', 'n3', 'nn')).map((n: { Name: string }) => n.Name);
    expect(names).toEqual(['bridge', 'n1', 'n2', 'n3', 'nn']);
    expect((await ok('network', 'ls', '-q')).trim().split('\n')).toHaveLength(7);
  });
});

/** Polls `check` until it holds (10 s at most). */
async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within 10 s: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
