/**
 * RemoteDriver and RemoteIpam against an in-process plugin: registration
 * (capabilities, default address spaces), the payloads dockerd would send
 * (reference §2, §3), the plan that moves Join's SrcName into weft's
 * sandbox, the hooks, and what the driver refuses from a plugin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointSpec, NetworkInfo, NetworkSpec } from '../../src/drivers/driver.js';
import { RemoteDriverRegistry } from '../../src/drivers/remote/index.js';
import { FakePlugin, reply } from '../fixtures/fake-plugin.js';

let dir: string;
let plugin: FakePlugin;
let registry: RemoteDriverRegistry;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-plugins-'));
  plugin = await FakePlugin.start({ dir, name: 'fakeplug' });
  registry = new RemoteDriverRegistry({ dirs: [dir], timeouts: { requestMs: 1000, retryWindowMs: 0 } });
});
afterEach(async () => {
  await plugin.close();
  rmSync(dir, { recursive: true, force: true });
});

const spec: NetworkSpec = {
  id: 'a'.repeat(64),
  name: 'n1',
  options: { 'com.docker.network.driver.mtu': '1400', foo: 'bar' },
  labels: { team: 'x' },
  internal: false,
  attachable: false,
  ipv6: false,
  v4: [{ poolId: 'fake-local/10.20.0.0/16', addressSpace: 'fake-local', subnet: '10.20.0.0/16', gateway: '10.20.0.1/16', auxAddresses: { router: '10.20.0.250' } }],
  v6: [],
};
const network: NetworkInfo = { ...spec, driverData: { plugin: 'fakeplug' } };
const endpoint: EndpointSpec = { id: 'b'.repeat(64), networkId: spec.id, addressV4: '10.20.0.2/16', options: {} };
const placement = { kind: 'netns' as const, netns: 'web', ifname: 'eth0', defaultGateway: true };

describe('registration', () => {
  it('takes scope and connectivity scope from GetCapabilities; built-in names are never plugins', async () => {
    plugin.on('NetworkDriver.GetCapabilities', () => ({ Scope: 'global' }));
    const driver = await registry.networkDriver('fakeplug');
    expect(driver.capabilities()).toEqual({ scope: 'global', connectivityScope: 'global', usesIpam: true, portPublishing: false });
    expect(registry.activeNetworkDriver('fakeplug')).toBe(driver);
    expect(await registry.networkDriver('fakeplug')).toBe(driver);
    expect(plugin.methods()).toEqual(['Plugin.Activate', 'NetworkDriver.GetCapabilities']);
    await expect(registry.networkDriver('bridge')).rejects.toMatchObject({ code: 'WEFT_UNKNOWN_DRIVER' });
    await expect(registry.ipamDriver('null')).rejects.toMatchObject({ code: 'WEFT_UNKNOWN_DRIVER' });
  });

  it('refuses a bad Scope (and registers nothing), and a plugin without NetworkDriver', async () => {
    plugin.on('NetworkDriver.GetCapabilities', () => ({ Scope: 'swarm' }));
    await expect(registry.networkDriver('fakeplug')).rejects.toMatchObject({ code: 'WEFT_PLUGIN_BAD_RESPONSE', message: /"Scope" must be "local" or "global"/ });
    expect(registry.activeNetworkDriver('fakeplug')).toBeUndefined();
    const ipamOnly = await FakePlugin.start({ dir, name: 'ipamonly', implements: ['IpamDriver'] });
    await expect(registry.networkDriver('ipamonly')).rejects.toMatchObject({ code: 'WEFT_PLUGIN_UNSUPPORTED' });
    await ipamOnly.close();
  });

  it('is WEFT_PLUGIN_NOT_FOUND for a name nobody serves', async () => {
    await expect(registry.networkDriver('nosuch')).rejects.toMatchObject({ code: 'WEFT_PLUGIN_NOT_FOUND', message: /plugin "nosuch" not found/ });
  });
});

describe('network driver calls', () => {
  it('CreateNetwork carries the -o options as the generic map and the IPAM data as CIDRs; the plan is empty', async () => {
    const driver = await registry.networkDriver('fakeplug');
    const plan = await driver.createNetwork(spec);
    expect(plan).toEqual({ ops: [], data: { plugin: 'fakeplug' } });
    expect(plugin.body('NetworkDriver.CreateNetwork')).toEqual({
      NetworkID: spec.id,
      Options: { 'com.docker.network.enable_ipv6': false, 'com.docker.network.generic': { 'com.docker.network.driver.mtu': '1400', foo: 'bar' } },
      IPv4Data: [{ AddressSpace: 'fake-local', Pool: '10.20.0.0/16', Gateway: '10.20.0.1/16', AuxAddresses: { router: '10.20.0.250/16' } }],
      IPv6Data: [],
    });
    await driver.createNetwork({ ...spec, internal: true, v4: [{ ...spec.v4[0]!, addressSpace: undefined, auxAddresses: {} }] });
    expect(plugin.body('NetworkDriver.CreateNetwork', 1).Options['com.docker.network.internal']).toBe(true);
    expect(plugin.body('NetworkDriver.CreateNetwork', 1).IPv4Data).toEqual([{ AddressSpace: 'LocalDefault', Pool: '10.20.0.0/16', Gateway: '10.20.0.1/16' }]);
  });

  it('CreateEndpoint then Join with the sandbox key; the plan moves SrcName into the sandbox and configures it', async () => {
    plugin.on('NetworkDriver.CreateEndpoint', () => ({ Interface: { MacAddress: '02:42:0A:14:00:02' } }));
    plugin.on('NetworkDriver.Join', () => ({
      InterfaceName: { SrcName: 'fpc1', DstPrefix: 'eth' },
      Gateway: '10.20.0.1',
      StaticRoutes: [
        { Destination: '10.99.0.0/16', RouteType: 0, NextHop: '10.20.0.254' },
        { Destination: '169.254.1.1/32', RouteType: 1 },
      ],
    }));
    const driver = await registry.networkDriver('fakeplug');
    const plan = await driver.createEndpoint(network, endpoint, placement);
    expect(plugin.methods('NetworkDriver.')).toEqual(['NetworkDriver.GetCapabilities', 'NetworkDriver.CreateEndpoint', 'NetworkDriver.Join']);
    expect(plugin.body('NetworkDriver.CreateEndpoint')).toEqual({
      NetworkID: spec.id,
      EndpointID: endpoint.id,
      Interface: { Address: '10.20.0.2/16', AddressIPv6: '', MacAddress: '' },
      Options: { 'com.docker.network.endpoint.exposedports': [], 'com.docker.network.portmap': [] },
    });
    expect(plugin.body('NetworkDriver.Join')).toMatchObject({ NetworkID: spec.id, EndpointID: endpoint.id, SandboxKey: '/run/netns/web' });
    expect(plan.mac).toBe('02:42:0a:14:00:02');
    expect(plan.ops).toEqual([
      { op: 'link.move', name: 'fpc1', toNs: 'web', newName: 'eth0' },
      { op: 'link.set', ns: 'web', name: 'eth0', set: { mac: '02:42:0a:14:00:02' } },
      { op: 'addr.add', ns: 'web', dev: 'eth0', cidr: '10.20.0.2/16' },
      { op: 'link.set', ns: 'web', name: 'eth0', set: { up: true } },
      { op: 'route.add', ns: 'web', route: { dst: '169.254.1.1/32', dev: 'eth0', scope: 'link' } },
      { op: 'route.add', ns: 'web', route: { dst: '10.99.0.0/16', via: '10.20.0.254', dev: 'eth0' } },
      { op: 'route.add', ns: 'web', route: { dst: 'default', family: 4, via: '10.20.0.1', dev: 'eth0' } },
    ]);
    // join() gives back what Join answered, without asking again
    expect(await driver.join(network, { ...endpoint, driverData: plan.data })).toMatchObject({ gateway: '10.20.0.1', interfaceName: { srcName: 'fpc1' } });
    expect(plugin.methods('NetworkDriver.Join')).toHaveLength(1);
  });

  it('adds no default route when the endpoint does not provide it', async () => {
    plugin.on('NetworkDriver.Join', () => ({ InterfaceName: { SrcName: 'fpc1', DstPrefix: 'eth' }, Gateway: '10.20.0.1', StaticRoutes: [{ Destination: '0.0.0.0/0', RouteType: 0, NextHop: '10.20.0.1' }] }));
    const driver = await registry.networkDriver('fakeplug');
    const plan = await driver.createEndpoint(network, endpoint, { ...placement, defaultGateway: false });
    expect(plan.ops.filter((op) => op.op === 'route.add')).toEqual([]);
  });

  it('rolls a failed Join back with DeleteEndpoint and reports the plugin message', async () => {
    plugin.on('NetworkDriver.Join', () => {
      throw new Error('boom');
    });
    const driver = await registry.networkDriver('fakeplug');
    await expect(driver.createEndpoint(network, endpoint, placement)).rejects.toMatchObject({ code: 'WEFT_PLUGIN_ERROR', message: /boom/ });
    expect(plugin.methods('NetworkDriver.')).toEqual(['NetworkDriver.GetCapabilities', 'NetworkDriver.CreateEndpoint', 'NetworkDriver.Join', 'NetworkDriver.DeleteEndpoint']);
  });

  it('refuses answers that change what weft gave, or give nothing to move', async () => {
    const driver = await registry.networkDriver('fakeplug');
    plugin.on('NetworkDriver.CreateEndpoint', () => ({ Interface: { Address: '10.20.0.2/16' } }));
    await expect(driver.createEndpoint(network, endpoint, placement)).rejects.toMatchObject({ code: 'WEFT_PLUGIN_BAD_RESPONSE', message: /cannot be modified/ });
    plugin.on('NetworkDriver.CreateEndpoint', () => ({}));
    plugin.on('NetworkDriver.Join', () => ({ Gateway: '10.20.0.1/16' }));
    await expect(driver.createEndpoint(network, endpoint, placement)).rejects.toMatchObject({ code: 'WEFT_PLUGIN_BAD_RESPONSE', message: /"Gateway" must be a plain IP/ });
    plugin.on('NetworkDriver.Join', () => ({ Gateway: '10.20.0.1' }));
    await expect(driver.createEndpoint(network, endpoint, placement)).rejects.toMatchObject({ code: 'WEFT_PLUGIN_BAD_RESPONSE', message: /no "InterfaceName.SrcName"/ });
    // each time the endpoint the plugin had made was deleted again
    expect(plugin.methods('NetworkDriver.DeleteEndpoint')).toHaveLength(2);
  });

  it('Leave, DeleteEndpoint and DeleteNetwork send the ids', async () => {
    const driver = await registry.networkDriver('fakeplug');
    await driver.leave!(network, { ...endpoint, driverData: {} });
    await driver.deleteEndpoint!(network, { ...endpoint, driverData: {} });
    await driver.deleteNetwork!(network);
    expect(plugin.calls.slice(2).map((c) => [c.method, c.body])).toEqual([
      ['NetworkDriver.Leave', { NetworkID: spec.id, EndpointID: endpoint.id }],
      ['NetworkDriver.DeleteEndpoint', { NetworkID: spec.id, EndpointID: endpoint.id }],
      ['NetworkDriver.DeleteNetwork', { NetworkID: spec.id }],
    ]);
  });
});

describe('remote IPAM', () => {
  it('registers with GetCapabilities (404 is fine) and GetDefaultAddressSpaces', async () => {
    plugin.on('IpamDriver.GetCapabilities', () => reply(404, 'not here'));
    const ipam = await registry.ipamDriver('fakeplug');
    expect(ipam.defaultAddressSpaces()).toEqual({ localDefaultAddressSpace: 'fake-local', globalDefaultAddressSpace: 'fake-global' });
    expect(plugin.methods()).toEqual(['Plugin.Activate', 'IpamDriver.GetCapabilities', 'IpamDriver.GetDefaultAddressSpaces']);
  });

  it('speaks RequestPool/RequestAddress/ReleaseAddress/ReleasePool in the protocol shapes', async () => {
    const ipam = await registry.ipamDriver('fakeplug');
    const pool = await ipam.requestPool({ addressSpace: 'fake-local', pool: '10.30.0.0/24', subPool: '10.30.0.128/25', options: { k: 'v' } });
    expect(pool).toEqual({ poolId: 'fake-local/10.30.0.0/24', pool: '10.30.0.0/24', data: {} });
    const gw = await ipam.requestAddress({ poolId: pool.poolId, options: { RequestAddressType: 'com.docker.network.gateway' } });
    const ep = await ipam.requestAddress({ poolId: pool.poolId });
    expect([gw.address, ep.address]).toEqual(['10.30.0.1/24', '10.30.0.2/24']);
    await ipam.releaseAddress(pool.poolId, '10.30.0.2');
    await ipam.releasePool(pool.poolId);
    expect(plugin.calls.slice(3).map((c) => [c.method, c.body])).toEqual([
      ['IpamDriver.RequestPool', { AddressSpace: 'fake-local', Pool: '10.30.0.0/24', SubPool: '10.30.0.128/25', Options: { k: 'v' }, V6: false }],
      ['IpamDriver.RequestAddress', { PoolID: pool.poolId, Address: '', Options: { RequestAddressType: 'com.docker.network.gateway' } }],
      ['IpamDriver.RequestAddress', { PoolID: pool.poolId, Address: '', Options: null }],
      ['IpamDriver.ReleaseAddress', { PoolID: pool.poolId, Address: '10.30.0.2' }],
      ['IpamDriver.ReleasePool', { PoolID: pool.poolId }],
    ]);
  });

  it('refuses malformed answers and passes the plugin message on', async () => {
    const ipam = await registry.ipamDriver('fakeplug');
    plugin.on('IpamDriver.RequestPool', () => ({ Pool: '10.1.0.0/24' }));
    await expect(ipam.requestPool({ addressSpace: 'fake-local' })).rejects.toMatchObject({ code: 'WEFT_PLUGIN_BAD_RESPONSE', message: /no "PoolID"/ });
    plugin.on('IpamDriver.RequestPool', () => ({ PoolID: 'x', Pool: 'fd00::/64' }));
    await expect(ipam.requestPool({ addressSpace: 'fake-local' })).rejects.toMatchObject({ message: /not an IPv4 subnet/ });
    plugin.on('IpamDriver.RequestAddress', () => ({ Address: '' }));
    await expect(ipam.requestAddress({ poolId: 'x' })).rejects.toMatchObject({ code: 'WEFT_PLUGIN_BAD_RESPONSE', message: /No address returned/ });
    plugin.on('IpamDriver.RequestAddress', () => ({ Address: '10.1.0.7' }));
    await expect(ipam.requestAddress({ poolId: 'x' })).rejects.toMatchObject({ message: /prefix length/ });
    plugin.on('IpamDriver.RequestAddress', () => ({ Error: 'pool exhausted' }));
    await expect(ipam.requestAddress({ poolId: 'x' })).rejects.toMatchObject({ code: 'WEFT_PLUGIN_ERROR', message: /pool exhausted/ });
  });
});
