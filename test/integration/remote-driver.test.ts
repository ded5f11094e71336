/**
 * A third-party Docker network + IPAM plugin as a weft driver, end to end: a
 * plugin process (test/fixtures/veth-plugin.mjs) and a real weftd, both in a
 * throwaway "host" namespace, the plugin found in a temp plugin directory.
 * The plugin makes a bridge and veth pairs in the host namespace; weftd moves
 * each SrcName end into its sandbox as eth0. Checked with `ip -j`, ping and
 * the plugin's own call log; then a weftd restart and the plugin's death.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weftCli, weftOk } from '../helpers/cli.js';
import { ipJson, NetnsPool, requireRoot } from '../helpers/netns.js';
import { SandboxNames } from '../helpers/topology.js';
import { pings } from '../helpers/traffic.js';
import { requireBuilt, startWeftd, type RunningWeftd } from '../helpers/weftd.js';

const FIXTURE = new URL('../fixtures/veth-plugin.mjs', import.meta.url).pathname;
const PLUGIN = 'vethplug';

const pool = new NetnsPool();
const names = new SandboxNames();
let host = '';
let pluginDir = '';
let callsFile = '';
let plugin: ChildProcess | undefined;
let weftd: RunningWeftd;

const ok = (...args: string[]) => weftOk(weftd.socket, args);
const weft = (...args: string[]) => weftCli(weftd.socket, args);
const inspect = async (kind: 'network' | 'sandbox', name: string) => JSON.parse(await ok(kind, 'inspect', name))[0];
const calls = (): { method: string; body: any }[] =>
  existsSync(callsFile) ? readFileSync(callsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const methods = (from = 0) => calls().slice(from).map((c) => c.method);
const hostLinks = (): string[] => ipJson(host, 'link', 'show').map((l: { ifname: string }) => l.ifname);

async function startPlugin(): Promise<void> {
  const socket = join(pluginDir, `${PLUGIN}.sock`);
  plugin = spawn('nsenter', [`--net=/run/netns/${host}`, process.execPath, FIXTURE, '--socket', socket, '--calls', callsFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    plugin!.stdout!.once('data', () => resolve());
    plugin!.once('exit', (code) => reject(new Error(`plugin exited (${code}) before listening`)));
  });
}

async function killPlugin(): Promise<void> {
  const child = plugin;
  plugin = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  requireRoot();
  requireBuilt();
  host = pool.create('h');
  pluginDir = mkdtempSync(join(tmpdir(), 'weft-plugin-dir-'));
  callsFile = join(pluginDir, 'calls.jsonl');
  await startPlugin();
  weftd = startWeftd(host, { extraArgs: ['--plugin-dir', pluginDir, '--plugin-retry', '1000', '--plugin-timeout', '5000'] });
  await weftd.waitForLog('weftd ready');
});

afterAll(async () => {
  await weftd?.stop('SIGKILL');
  await killPlugin();
  names.cleanup();
  pool.cleanup();
  if (pluginDir) rmSync(pluginDir, { recursive: true, force: true });
});

describe('a remote driver and IPAM plugin through weft', () => {
  let a = '';
  let b = '';

  it('creates a network through the plugin: its IPAM gives the pool, its driver makes the bridge', async () => {
    await ok('network', 'create', '-d', PLUGIN, '--ipam-driver', PLUGIN, '--subnet', '10.123.0.0/24', '-o', 'foo=bar', 'rnet');
    const net = await inspect('network', 'rnet');
    expect(net).toMatchObject({ Driver: PLUGIN, IPAM: { Driver: PLUGIN, Config: [{ Subnet: '10.123.0.0/24', Gateway: '10.123.0.1' }] } });
    expect(methods()).toEqual([
      'Plugin.Activate',
      'NetworkDriver.GetCapabilities',
      'IpamDriver.GetCapabilities',
      'IpamDriver.GetDefaultAddressSpaces',
      'IpamDriver.RequestPool',
      'IpamDriver.RequestAddress',
      'NetworkDriver.CreateNetwork',
    ]);
    const create = calls().find((c) => c.method === 'NetworkDriver.CreateNetwork')!.body;
    expect(create.Options['com.docker.network.generic']).toEqual({ foo: 'bar' });
    expect(create.IPv4Data).toEqual([{ AddressSpace: 'vp-local', Pool: '10.123.0.0/24', Gateway: '10.123.0.1/24' }]);
    const bridge = `fp${net.Id.slice(0, 10)}`;
    expect(ipJson(host, 'addr', 'show', 'dev', bridge)[0].addr_info.map((i: { local: string }) => i.local)).toContain('10.123.0.1');
  });

  it("moves the plugin's interface into each sandbox as eth0 with its address; the sandboxes ping each other", async () => {
    a = names.next('a');
    b = names.next('b');
    await ok('sandbox', 'create', '--network', 'rnet', a);
    await ok('sandbox', 'create', '--network', 'rnet', b);
    const epA = (await inspect('sandbox', a)).Networks.rnet;
    const eth0 = ipJson(a, '-d', 'addr', 'show', 'dev', 'eth0')[0];
    expect(eth0.linkinfo.info_kind).toBe('veth');
    expect(eth0.operstate).toBe('UP');
    expect(eth0.address).toBe(epA.MacAddress);
    expect(eth0.addr_info.filter((i: { family: string }) => i.family === 'inet').map((i: { local: string; prefixlen: number }) => `${i.local}/${i.prefixlen}`)).toEqual([
      `${epA.IPAddress}/24`,
    ]);
    expect(ipJson(a, 'route', 'show', 'default')[0]).toMatchObject({ gateway: '10.123.0.1', dev: 'eth0' });
    // the SrcName end left the host namespace; the host end stays on the plugin's bridge
    expect(hostLinks()).not.toContain(`fpc${epA.EndpointID.slice(0, 10)}`);
    expect(hostLinks()).toContain(`fph${epA.EndpointID.slice(0, 10)}`);
    const joins = calls().filter((c) => c.method === 'NetworkDriver.Join').map((c) => c.body.SandboxKey);
    expect(joins).toEqual([`/run/netns/${a}`, `/run/netns/${b}`]);
    const bAddr = (await inspect('sandbox', b)).Networks.rnet.IPAddress;
    expect(await pings(a, bAddr)).toBe(true);
    expect(await pings(a, '10.123.0.1')).toBe(true);
  });

  it('keeps the network and its sandboxes over a weftd restart, without calling the plugin', async () => {
    const before = calls().length;
    await weftd.stop('SIGTERM', { keepRoot: true });
    weftd = startWeftd(host, { root: weftd.root, extraArgs: ['--plugin-dir', pluginDir, '--plugin-retry', '1000', '--plugin-timeout', '5000'] });
    await weftd.waitForLog('weftd ready');
    expect(methods(before)).toEqual([]);
    expect(ipJson(a, 'link', 'show', 'dev', 'eth0')).toHaveLength(1);
    const bAddr = (await inspect('sandbox', b)).Networks.rnet.IPAddress;
    expect(await pings(a, bAddr)).toBe(true);
  });

  it('removes: Leave and DeleteEndpoint for each sandbox, the address back to the plugin IPAM, DeleteNetwork', async () => {
    const before = calls().length;
    await ok('sandbox', 'rm', a, b);
    expect(methods(before)).toEqual([
      'Plugin.Activate', // a new weftd activates the plugin again, on first use
      'NetworkDriver.GetCapabilities',
      'NetworkDriver.Leave',
      'NetworkDriver.DeleteEndpoint',
      'IpamDriver.GetCapabilities',
      'IpamDriver.GetDefaultAddressSpaces',
      'IpamDriver.ReleaseAddress',
      'NetworkDriver.Leave',
      'NetworkDriver.DeleteEndpoint',
      'IpamDriver.ReleaseAddress',
    ]);
    // endpoint devices are fph/fpc + 10 hex; the network's bridge (fp + 10 hex of its id) may begin with "fpc" too
    expect(hostLinks().filter((l) => /^fp[hc][0-9a-f]{10}$/.test(l))).toEqual([]);
    const id = (await inspect('network', 'rnet')).Id;
    const mid = calls().length;
    await ok('network', 'rm', 'rnet');
    expect(methods(mid)).toEqual(['NetworkDriver.DeleteNetwork', 'IpamDriver.ReleaseAddress', 'IpamDriver.ReleasePool']);
    expect(hostLinks()).not.toContain(`fp${id.slice(0, 10)}`);
  });

  it('a dead plugin: the next create fails with a clear error and leaves nothing half-made', async () => {
    await ok('network', 'create', '-d', PLUGIN, '--subnet', '10.125.0.0/24', 'rnet3');
    await killPlugin();
    const c = names.next('c');
    const sandbox = await weft('sandbox', 'create', '--network', 'rnet3', c);
    expect(sandbox.code).toBe(1);
    expect(sandbox.stderr).toMatch(/plugin "vethplug": NetworkDriver\.CreateEndpoint: cannot reach unix:\/\//);
    expect(ipJson(host, 'netns', 'list').map((n: { name: string }) => n.name)).not.toContain(c);
    expect((await weft('sandbox', 'inspect', c)).code).toBe(1);
    expect((await inspect('network', 'rnet3')).Containers).toEqual({});
    const net = await weft('network', 'create', '-d', PLUGIN, '--ipam-driver', PLUGIN, 'rnet2');
    expect(net.code).toBe(1);
    expect(net.stderr).toMatch(/plugin "vethplug": IpamDriver\.RequestPool: cannot reach/);
    expect((await weft('network', 'inspect', 'rnet2')).code).toBe(1);
    // removal goes on without the plugin (its DeleteNetwork failure is only logged)
    await ok('network', 'rm', 'rnet3');
  });
});
