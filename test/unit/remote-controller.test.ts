/**
 * The controller with a remote network driver ('fakeplug') and a remote IPAM
 * ('fakeipam'), both in-process plugins found in a temp plugin directory,
 * over the fake kernel. The network plugin acts like a real one: it makes a
 * veth in the daemon's namespace on CreateEndpoint and deletes it on
 * DeleteEndpoint; weft moves the SrcName end into the sandbox. Outcomes are
 * read from the fake kernel and the plugins' call logs (reference §4).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Controller } from '../../src/cnm/controller.js';
import { builtinDrivers } from '../../src/drivers/index.js';
import { RemoteDriverRegistry } from '../../src/drivers/remote/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MemorySandboxFiles } from '../helpers/memory-sandbox-files.js';
import { FakePlugin, hang, srcNameOf } from '../fixtures/fake-plugin.js';

let dir: string;
let net: FakePlugin;
let ipamPlugin: FakePlugin;
let store: MemoryStore;
let kernel: FakeKernel;
let controller: Controller;

const hostEnd = (endpointId: string) => `fph${endpointId.slice(0, 10)}`;

async function startController(): Promise<Controller> {
  const ipam = await DefaultIpam.open({ store });
  const plugins = new RemoteDriverRegistry({ dirs: [dir], timeouts: { requestMs: 1000, retryWindowMs: 0 } });
  const started = await Controller.start({ store, kernel, ipam, drivers: builtinDrivers(), plugins, files: new MemorySandboxFiles(), log: pino({ level: 'silent' }) });
  return started.controller;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-plugins-'));
  net = await FakePlugin.start({ dir, name: 'fakeplug', implements: ['NetworkDriver'] });
  ipamPlugin = await FakePlugin.start({ dir, name: 'fakeipam', implements: ['IpamDriver'] });
  store = new MemoryStore();
  kernel = new FakeKernel();
  // A veth pair per endpoint in the daemon's namespace, as a real remote driver makes it.
  net.on('NetworkDriver.CreateEndpoint', async (body) => {
    const id: string = body.EndpointID;
    await kernel.apply([{ op: 'link.add', link: { name: hostEnd(id), kind: 'veth', up: true, veth: { name: srcNameOf(id), mac: '02:42:0a:58:00:09' } } }]);
    return { Interface: { MacAddress: '02:42:0a:58:00:09' } };
  });
  net.on('NetworkDriver.Join', (body) => ({ InterfaceName: { SrcName: srcNameOf(body.EndpointID), DstPrefix: 'eth' }, Gateway: '10.88.0.1' }));
  net.on('NetworkDriver.DeleteEndpoint', async (body) => {
    await kernel.apply([{ op: 'link.del', name: hostEnd(body.EndpointID), link: { name: hostEnd(body.EndpointID), kind: 'veth', veth: { name: srcNameOf(body.EndpointID) } } }]);
    return {};
  });
  controller = await startController();
  kernel.clearCalls();
});
afterEach(async () => {
  await net.close();
  await ipamPlugin.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Links of a namespace, without the predefined bridge network's weft0. */
const linkNames = async (ns?: string) => (await kernel.links(ns)).map((l) => l.name).filter((n) => n !== 'weft0').sort();

describe('a network of a remote driver with a remote IPAM', () => {
  it('creates the network: pool and gateway from the IPAM plugin, then CreateNetwork with them', async () => {
    const created = await controller.createNetwork({ name: 'rn', driver: 'fakeplug', ipamDriver: 'fakeipam', options: { foo: 'bar' } });
    expect(ipamPlugin.methods()).toEqual([
      'Plugin.Activate',
      'IpamDriver.GetCapabilities',
      'IpamDriver.GetDefaultAddressSpaces',
      'IpamDriver.RequestPool',
      'IpamDriver.RequestAddress',
    ]);
    expect(ipamPlugin.body('IpamDriver.RequestPool')).toMatchObject({ AddressSpace: 'fake-local', Pool: '', V6: false });
    expect(net.methods()).toEqual(['Plugin.Activate', 'NetworkDriver.GetCapabilities', 'NetworkDriver.CreateNetwork']);
    expect(net.body('NetworkDriver.CreateNetwork')).toEqual({
      NetworkID: created.Id,
      Options: { 'com.docker.network.enable_ipv6': false, 'com.docker.network.generic': { foo: 'bar' } },
      IPv4Data: [{ AddressSpace: 'fake-local', Pool: '10.88.0.0/24', Gateway: '10.88.0.1/24' }],
      IPv6Data: [],
    });
    expect(created).toMatchObject({ Driver: 'fakeplug', IPAM: { Driver: 'fakeipam', Config: [{ Subnet: '10.88.0.0/24', Gateway: '10.88.0.1' }] } });
    // the built-in IPAM holds nothing for it, and the kernel was not touched
    expect((await store.list('ipam/')).map((e) => e.key).filter((k) => k.includes('10.88.'))).toEqual([]);
    expect(kernel.calls.filter((c) => c.op.op !== 'nft.apply')).toEqual([]);
  });

  it('connects a sandbox: address from the IPAM plugin, CreateEndpoint, Join, and the SrcName device moved in as eth0', async () => {
    await controller.createNetwork({ name: 'rn', driver: 'fakeplug', ipamDriver: 'fakeipam' });
    const sb = await controller.createSandbox({ name: 'web', networks: ['rn'] });
    const ep = sb.Networks.rn!;
    expect(ep).toMatchObject({ IPAddress: '10.88.0.2', Gateway: '10.88.0.1', MacAddress: '02:42:0a:58:00:09' });
    expect(ipamPlugin.body('IpamDriver.RequestAddress', 1)).toEqual({ PoolID: 'fake-local/10.88.0.0/24', Address: '', Options: null });
    expect(net.methods().slice(3)).toEqual(['NetworkDriver.CreateEndpoint', 'NetworkDriver.Join']);
    expect(net.body('NetworkDriver.CreateEndpoint').Interface).toEqual({ Address: '10.88.0.2/24', AddressIPv6: '', MacAddress: '' });
    expect(net.body('NetworkDriver.Join')).toMatchObject({ EndpointID: ep.EndpointID, SandboxKey: '/run/netns/web' });
    expect(await linkNames()).toEqual([hostEnd(ep.EndpointID), 'lo']);
    expect(await linkNames('web')).toEqual(['eth0', 'lo']);
    expect((await kernel.links('web')).find((l) => l.name === 'eth0')).toMatchObject({ up: true, mac: '02:42:0a:58:00:09' });
    expect(await kernel.addresses('web')).toEqual([{ dev: 'eth0', cidr: '10.88.0.2/24', family: 4 }]);
    expect((await kernel.routes('web')).filter((r) => r.dst === 'default')).toMatchObject([{ via: '10.88.0.1', dev: 'eth0' }]);
  });

  it('removes: Leave, the device moved back, DeleteEndpoint, releases to the IPAM plugin, then DeleteNetwork', async () => {
    await controller.createNetwork({ name: 'rn', driver: 'fakeplug', ipamDriver: 'fakeipam' });
    const ep = (await controller.createSandbox({ name: 'web', networks: ['rn'] })).Networks.rn!;
    let atDelete: string[] = [];
    const deleteEndpoint = net.calls.length;
    net.on('NetworkDriver.Leave', async () => ({}));
    const original = (body: { EndpointID: string }) =>
      kernel.apply([{ op: 'link.del', name: hostEnd(body.EndpointID), link: { name: hostEnd(body.EndpointID), kind: 'veth', veth: { name: srcNameOf(body.EndpointID) } } }]);
    net.on('NetworkDriver.DeleteEndpoint', async (body) => {
      atDelete = await linkNames();
      await original(body);
      return {};
    });
    await controller.removeSandbox('web');
    expect(net.methods().slice(deleteEndpoint)).toEqual(['NetworkDriver.Leave', 'NetworkDriver.DeleteEndpoint']);
    // dockerd's order: the interface is back under its SrcName when DeleteEndpoint comes
    expect(atDelete).toContain(srcNameOf(ep.EndpointID));
    expect(await linkNames()).toEqual(['lo']);
    expect(ipamPlugin.calls.at(-1)).toMatchObject({ method: 'IpamDriver.ReleaseAddress', body: { PoolID: 'fake-local/10.88.0.0/24', Address: '10.88.0.2' } });

    await controller.removeNetwork('rn');
    expect(net.methods().at(-1)).toBe('NetworkDriver.DeleteNetwork');
    expect(ipamPlugin.methods().slice(-2)).toEqual(['IpamDriver.ReleaseAddress', 'IpamDriver.ReleasePool']);
    expect(ipamPlugin.body('IpamDriver.ReleasePool')).toEqual({ PoolID: 'fake-local/10.88.0.0/24' });
  });

  it('uses the built-in IPAM by default (and its releases stay there)', async () => {
    const created = await controller.createNetwork({ name: 'rd', driver: 'fakeplug', subnets: ['10.77.0.0/24'] });
    expect(net.body('NetworkDriver.CreateNetwork').IPv4Data).toEqual([{ AddressSpace: 'LocalDefault', Pool: '10.77.0.0/24', Gateway: '10.77.0.1/24' }]);
    expect(created.IPAM.Driver).toBe('default');
    await controller.removeNetwork('rd');
    expect(ipamPlugin.calls).toEqual([]);
  });
});

describe('failures leave nothing behind', () => {
  it('a plugin error on CreateNetwork: the message reaches the caller, the IPAM plugin gets its releases', async () => {
    net.on('NetworkDriver.CreateNetwork', () => {
      throw new Error('boom');
    });
    await expect(controller.createNetwork({ name: 'rn', driver: 'fakeplug', ipamDriver: 'fakeipam' })).rejects.toMatchObject({
      code: 'WEFT_PLUGIN_ERROR',
      message: 'plugin "fakeplug": NetworkDriver.CreateNetwork: boom',
    });
    expect(ipamPlugin.methods().slice(-2)).toEqual(['IpamDriver.ReleaseAddress', 'IpamDriver.ReleasePool']);
    expect(await controller.listNetworks()).toHaveLength(3);
  });

  it('a device the plugin never made: the move fails, the plugin hears Leave and DeleteEndpoint, the address goes back', async () => {
    await controller.createNetwork({ name: 'rn', driver: 'fakeplug', ipamDriver: 'fakeipam' });
    net.on('NetworkDriver.CreateEndpoint', () => ({}));
    net.on('NetworkDriver.DeleteEndpoint', () => ({}));
    const before = kernel.snapshot();
    await expect(controller.createSandbox({ name: 'web', networks: ['rn'] })).rejects.toMatchObject({ code: 'WEFT_KERNEL_OP_FAILED', details: { errno: 'ENODEV' } });
    expect(net.methods().slice(-4)).toEqual(['NetworkDriver.CreateEndpoint', 'NetworkDriver.Join', 'NetworkDriver.Leave', 'NetworkDriver.DeleteEndpoint']);
    expect(ipamPlugin.calls.at(-1)).toMatchObject({ method: 'IpamDriver.ReleaseAddress', body: { Address: '10.88.0.2' } });
    expect(kernel.snapshot()).toEqual(before);
    expect(await controller.listSandboxes()).toEqual([]);
  });

  it('a plugin that never answers: WEFT_PLUGIN_UNAVAILABLE within the request timeout, no sandbox, the address back', async () => {
    await controller.createNetwork({ name: 'rn', driver: 'fakeplug', ipamDriver: 'fakeipam' });
    net.on('NetworkDriver.CreateEndpoint', () => hang());
    const before = kernel.snapshot();
    const t0 = Date.now();
    await expect(controller.createSandbox({ name: 'web', networks: ['rn'] })).rejects.toMatchObject({
      code: 'WEFT_PLUGIN_UNAVAILABLE',
      message: /NetworkDriver\.CreateEndpoint: no answer within 1000 ms/,
    });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await controller.listSandboxes()).toEqual([]);
    expect(kernel.snapshot()).toEqual(before);
    expect(ipamPlugin.calls.at(-1)).toMatchObject({ method: 'IpamDriver.ReleaseAddress', body: { Address: '10.88.0.2' } });
    net.on('NetworkDriver.CreateNetwork', () => hang());
    await expect(controller.createNetwork({ name: 'rn2', driver: 'fakeplug', ipamDriver: 'fakeipam' })).rejects.toMatchObject({ code: 'WEFT_PLUGIN_UNAVAILABLE' });
    expect(ipamPlugin.methods().slice(-2)).toEqual(['IpamDriver.ReleaseAddress', 'IpamDriver.ReleasePool']);
    expect((await controller.listNetworks()).map((n) => n.Name)).not.toContain('rn2');
  });

  it('an unknown plugin is WEFT_PLUGIN_NOT_FOUND; a built-in name never goes to a plugin', async () => {
    await expect(controller.createNetwork({ name: 'x', driver: 'nosuch' })).rejects.toMatchObject({ code: 'WEFT_PLUGIN_NOT_FOUND' });
    await expect(controller.createNetwork({ name: 'x', driver: 'fakeplug', ipamDriver: 'nosuch' })).rejects.toMatchObject({ code: 'WEFT_PLUGIN_NOT_FOUND' });
    const bridge = await FakePlugin.start({ dir, name: 'bridge' });
    await controller.createNetwork({ name: 'b', driver: 'bridge' });
    expect(bridge.calls).toEqual([]);
    await bridge.close();
  });
});

describe('restart', () => {
  it('keeps remote networks and endpoints: reconcile finds the device in the sandbox, and removal still reaches the plugins', async () => {
    await controller.createNetwork({ name: 'rn', driver: 'fakeplug', ipamDriver: 'fakeipam' });
    await controller.createSandbox({ name: 'web', networks: ['rn'] });
    await controller.stop();
    net.calls.splice(0);
    kernel.clearCalls();
    controller = await startController();
    expect(kernel.log.filter((l) => l.includes('link.move'))).toEqual([expect.stringMatching(/→ noop$/)]);
    expect(await linkNames('web')).toEqual(['eth0', 'lo']);
    expect(net.calls).toEqual([]); // nothing is replayed to the plugin
    await controller.removeSandbox('web');
    await controller.removeNetwork('rn');
    expect(net.methods()).toEqual(['Plugin.Activate', 'NetworkDriver.GetCapabilities', 'NetworkDriver.Leave', 'NetworkDriver.DeleteEndpoint', 'NetworkDriver.DeleteNetwork']);
    expect(ipamPlugin.methods().slice(-3)).toEqual(['IpamDriver.ReleaseAddress', 'IpamDriver.ReleaseAddress', 'IpamDriver.ReleasePool']);
    expect(await linkNames()).toEqual(['lo']);
  });
});
