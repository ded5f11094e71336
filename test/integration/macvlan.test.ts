/**
 * The macvlan driver end to end: a real weftd in a throwaway "host"
 * namespace, driven by the built `weft` CLI, checked with `ip -j` and ping.
 *
 * The test "LAN": the host's interface lan0 (the macvlan parent) is a veth
 * whose peer is the router's interface in a "lan" namespace, which holds the
 * routers' addresses of every subnet used here. Traffic only ever goes
 * between these namespaces and the sandboxes the daemon makes.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weftCli, weftOk } from '../helpers/cli.js';
import { ipJson, NetnsPool, requireRoot, succeedsIn } from '../helpers/netns.js';
import { pings } from '../helpers/traffic.js';
import { SandboxNames } from '../helpers/topology.js';
import { requireBuilt, startWeftd, type RunningWeftd } from '../helpers/weftd.js';

const WEFT_LINK_GROUP = '30565';
const ROUTERS = ['192.0.2.254/24', '198.51.100.254/24', '203.0.113.254/24', '10.77.0.254/24'];

const pool = new NetnsPool();
const names = new SandboxNames();
let weftd: RunningWeftd;
let host = '';
let lan = '';
/** The host namespace's links once weftd is up (lan0, lo and the predefined bridge's weft0). */
let baseLinks: string[] = [];

const weft = (...args: string[]) => weftCli(weftd.socket, args);
const ok = (...args: string[]) => weftOk(weftd.socket, args);
const inspect = async (kind: 'network' | 'sandbox', name: string) => JSON.parse(await ok(kind, 'inspect', name))[0];
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });
const hostLinks = (): string[] => ipJson(host, 'link', 'show').map((l: { ifname: string }) => l.ifname).sort();
const networkNames = async (): Promise<string[]> =>
  (await ok('network', 'ls', '--format', 'json')).trim().split('\n').map((l) => JSON.parse(l).Name).sort();

/** A macvlan network on lan0 whose gateway is the router's address in `subnet` (a /24 ending in .254). */
async function lanNetwork(name: string, subnet: string, ...more: string[]): Promise<void> {
  const gateway = subnet.replace(/0\/24$/, '254');
  await ok('network', 'create', '-d', 'macvlan', '-o', 'parent=lan0', '--subnet', subnet, '--gateway', gateway, '--ip-range', subnet.replace(/0\/24$/, '128/25'), ...more, name);
}

async function sandboxOn(network: string, tag: string): Promise<{ name: string; ip: string; ip6: string; mac: string }> {
  const name = names.next(tag);
  await ok('sandbox', 'create', '--network', network, name);
  const info = (await inspect('sandbox', name)).Networks[network];
  return { name, ip: info.IPAddress, ip6: info.GlobalIPv6Address, mac: info.MacAddress };
}

/** Whether a link kind can be made here, tried in a scratch namespace (never the machine's own). */
function kernelCan(...linkAdd: string[]): boolean {
  const scratch = pool.create('k');
  try {
    ip('-n', scratch, 'link', 'add', 'par0', 'type', 'veth', 'peer', 'name', 'par1');
    return succeedsIn(scratch, 'ip', ['link', 'add', ...linkAdd]);
  } finally {
    ip('netns', 'del', scratch);
  }
}

beforeAll(async () => {
  requireRoot();
  requireBuilt();
  host = pool.create('h');
  lan = pool.create('l');
  ip('-n', host, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan);
  for (const cidr of ROUTERS) ip('-n', lan, 'addr', 'add', cidr, 'dev', 'eth0');
  ip('-n', lan, 'addr', 'add', 'fd00:192::fe/64', 'dev', 'eth0', 'nodad');
  ip('-n', lan, 'link', 'set', 'eth0', 'up');
  ip('-n', host, 'link', 'set', 'lan0', 'up');
  weftd = startWeftd(host);
  await weftd.waitForLog('weftd ready');
  baseLinks = hostLinks();
});

afterAll(async () => {
  await weftd?.stop('SIGKILL');
  names.cleanup();
  pool.cleanup();
});

describe('macvlan networks on a LAN', () => {
  it('bridge mode: sandboxes are macvlans on lan0 with MACs from their addresses, reaching the router and each other over IPv4 and IPv6', async () => {
    await lanNetwork('lanb', '192.0.2.0/24', '--ipv6', '--subnet', 'fd00:192::/64', '--gateway', 'fd00:192::fe');
    const a = await sandboxOn('lanb', 'a');
    const b = await sandboxOn('lanb', 'b');

    const eth0 = ipJson(a.name, '-d', 'link', 'show', 'dev', 'eth0')[0];
    expect(eth0.linkinfo).toMatchObject({ info_kind: 'macvlan', info_data: { mode: 'bridge' } });
    const bytes = a.ip.split('.').map((n) => Number(n).toString(16).padStart(2, '0'));
    expect(eth0.address).toBe(`02:42:${bytes.join(':')}`);
    expect(a.mac).toBe(eth0.address);
    expect(ipJson(a.name, 'route', 'show', 'default')[0]).toMatchObject({ gateway: '192.0.2.254', dev: 'eth0' });
    expect(ipJson(a.name, '-6', 'route', 'show', 'default')[0]).toMatchObject({ gateway: 'fd00:192::fe', dev: 'eth0' });

    expect(await pings(a.name, '192.0.2.254')).toBe(true);
    expect(await pings(a.name, b.ip)).toBe(true);
    expect(await pings(b.name, 'fd00:192::fe')).toBe(true);
    expect(await pings(a.name, b.ip6)).toBe(true);
    // nothing of the network in the host's namespace: no shim was asked for
    expect(hostLinks()).toEqual(baseLinks);
  });

  it('private mode: sandboxes reach the router but not each other', async () => {
    await lanNetwork('lanp', '198.51.100.0/24', '-o', 'macvlan_mode=private');
    const a = await sandboxOn('lanp', 'pa');
    const b = await sandboxOn('lanp', 'pb');
    expect(ipJson(a.name, '-d', 'link', 'show', 'dev', 'eth0')[0].linkinfo.info_data.mode).toBe('private');
    expect(await pings(a.name, '198.51.100.254')).toBe(true);
    expect(await pings(b.name, '198.51.100.254')).toBe(true);
    expect(await pings(a.name, b.ip, 1)).toBe(false);
  });

  it('the host cannot reach its own macvlan sandboxes through the parent; the host shim lets it, and goes with its network', async () => {
    await lanNetwork('lanx', '203.0.113.0/24');
    const plain = await sandboxOn('lanx', 'x');
    // the host on the LAN (after the network: IPAM refuses explicit subnets that overlap the host's routes)
    ip('-n', host, 'addr', 'add', '203.0.113.1/24', 'dev', 'lan0');
    try {
      expect(await pings(host, '203.0.113.254')).toBe(true);
      expect(await pings(plain.name, '203.0.113.254')).toBe(true);
      expect(await pings(host, plain.ip, 1)).toBe(false);
    } finally {
      ip('-n', host, 'addr', 'del', '203.0.113.1/24', 'dev', 'lan0');
    }

    await lanNetwork('lanh', '10.77.0.0/24', '-o', 'weft.macvlan.host_shim=true', '--aux-address', 'host_shim=10.77.0.250');
    const shimmed = await sandboxOn('lanh', 's');
    const shim = ipJson(host, '-d', 'addr', 'show').find((l: { linkinfo?: { info_kind: string } }) => l.linkinfo?.info_kind === 'macvlan');
    expect(shim).toMatchObject({ ifname: expect.stringMatching(/^wh[0-9a-f]{12}$/), group: WEFT_LINK_GROUP, linkinfo: { info_data: { mode: 'bridge' } } });
    expect(shim.addr_info.filter((a: { family: string }) => a.family === 'inet').map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`)).toEqual(['10.77.0.250/32']);
    expect(ipJson(host, 'route', 'show', `${shimmed.ip}/32`)).toEqual([expect.objectContaining({ dev: shim.ifname })]);
    expect(await pings(host, shimmed.ip)).toBe(true);
    expect(await pings(shimmed.name, '10.77.0.254')).toBe(true);

    await ok('sandbox', 'rm', shimmed.name);
    expect(ipJson(host, 'route', 'show', `${shimmed.ip}/32`)).toEqual([]);
    await ok('network', 'rm', 'lanh');
    expect(hostLinks()).toEqual(baseLinks);
  });
});

describe('macvlan refusals leave nothing behind', () => {
  it('a missing parent', async () => {
    const links = hostLinks();
    const networks = await networkNames();
    const r = await weft('network', 'create', '-d', 'macvlan', '-o', 'parent=nosuch', '--subnet', '10.78.0.0/24', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error: parent interface nosuch not found');
    expect(hostLinks()).toEqual(links);
    expect(await networkNames()).toEqual(networks);
  });

  it('a VLAN parent: made and removed with its network where the kernel has 802.1q, a clear error where not', async () => {
    const links = hostLinks();
    const networks = await networkNames();
    const r = await weft('network', 'create', '-d', 'macvlan', '-o', 'parent=lan0.10', '--subnet', '10.79.0.0/24', 'vlan10');
    if (kernelCan('link', 'par0', 'name', 'x', 'type', 'vlan', 'id', '10')) {
      expect(r.code).toBe(0);
      expect(ipJson(host, 'link', 'show', 'dev', 'lan0.10')[0]).toMatchObject({ group: WEFT_LINK_GROUP });
      await ok('network', 'rm', 'vlan10');
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/802\.1q/i);
      expect(r.stderr).toMatch(/lan0\.10/);
    }
    expect(hostLinks()).toEqual(links);
    expect(await networkNames()).toEqual(networks);
  });

  it('no parent: an internal network on a dummy parent where the kernel has dummy, a clear error where not', async () => {
    const links = hostLinks();
    const networks = await networkNames();
    const r = await weft('network', 'create', '-d', 'macvlan', '--subnet', '10.80.0.0/24', 'inner');
    if (kernelCan('name', 'x', 'type', 'dummy')) {
      expect(r.code).toBe(0);
      expect((await inspect('network', 'inner')).Driver).toBe('macvlan');
      await ok('network', 'rm', 'inner');
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/without a parent.*dummy/);
    }
    expect(hostLinks()).toEqual(links);
    expect(await networkNames()).toEqual(networks);
  });

  it('conflicts with a network already on lan0 (passthru beside it, an overlapping subnet) and bad options', async () => {
    const links = hostLinks();
    const networks = await networkNames();
    expect(networks).toContain('lanb');
    const passthru = await weft('network', 'create', '-d', 'macvlan', '-o', 'parent=lan0', '-o', 'macvlan_mode=passthru', '--subnet', '10.81.0.0/24', 'pt');
    expect(passthru.code).toBe(1);
    expect(passthru.stderr).toMatch(/^Error: parent interface lan0 is already used by macvlan network \S+: macvlan_mode=passthru needs the parent to itself/);
    const overlap = await weft('network', 'create', '-d', 'macvlan', '-o', 'parent=lan0', '--subnet', '192.0.2.0/25', '--gateway', '192.0.2.1', 'ov');
    expect(overlap.code).toBe(1);
    expect(overlap.stderr).toMatch(/192\.0\.2\.0\/25 overlaps/);
    const mode = await weft('network', 'create', '-d', 'macvlan', '-o', 'parent=lan0', '-o', 'macvlan_mode=source', '--subnet', '10.82.0.0/24', 'bad');
    expect(mode.code).toBe(2);
    expect(mode.stderr).toMatch(/macvlan_mode/);
    expect(hostLinks()).toEqual(links);
    expect(await networkNames()).toEqual(networks);
  });
});
