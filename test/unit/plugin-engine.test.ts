/**
 * The engine's call sequences (reference §4) against the plugin server over a
 * controller on the FakeKernel: network create with weft's IPAM, endpoint
 * veths in the daemon's namespace named from the endpoint id, Join's answer,
 * port publishing into the firewall, teardown leaving nothing behind, driver
 * choice and MTU through -o, one IPAM for the engine and weft's own API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pluginCall, pluginOk } from '../helpers/plugin-client.js';
import { engineId, startHarness, stopHarness, type PluginHarness } from '../helpers/plugin-harness.js';

let h: PluginHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await stopHarness(h);
});

const call = (method: string, body?: unknown) => pluginOk(h.socket, method, body);
const NET = engineId('net1');
const EP = engineId('ep1');

/** What dockerd sends for `docker network create -d weft --ipam-driver weft [--subnet S] [-o …] N`. */
async function createNetwork(id: string, opts: { subnet?: string; generic?: Record<string, string>; internal?: boolean } = {}) {
  const pool = await call('IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: opts.subnet ?? '', SubPool: '', Options: {}, V6: false });
  const gw = await call('IpamDriver.RequestAddress', { PoolID: pool.PoolID, Address: '', Options: { RequestAddressType: 'com.docker.network.gateway' } });
  await call('NetworkDriver.CreateNetwork', {
    NetworkID: id,
    Options: { 'com.docker.network.enable_ipv6': false, 'com.docker.network.generic': opts.generic ?? {}, ...(opts.internal && { 'com.docker.network.internal': true }) },
    IPv4Data: [{ AddressSpace: 'LocalDefault', Gateway: gw.Address, Pool: pool.Pool }],
    IPv6Data: [],
  });
  return { poolId: pool.PoolID as string, pool: pool.Pool as string, gateway: gw.Address as string };
}

/** What dockerd sends for one container start on the network (up to ProgramExternalConnectivity). */
async function runContainer(netId: string, poolId: string, epId: string, portmap: unknown[] = []) {
  const addr = await call('IpamDriver.RequestAddress', { PoolID: poolId, Address: '', Options: null });
  const created = await call('NetworkDriver.CreateEndpoint', {
    NetworkID: netId, EndpointID: epId, Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' },
    Options: { 'com.docker.network.endpoint.exposedports': [], 'com.docker.network.portmap': portmap },
  });
  const join = await call('NetworkDriver.Join', { NetworkID: netId, EndpointID: epId, SandboxKey: '/var/run/docker/netns/abc', Options: {} });
  await call('NetworkDriver.ProgramExternalConnectivity', { NetworkID: netId, EndpointID: epId, Options: { 'com.docker.network.portmap': portmap } });
  expect(await call('NetworkDriver.EndpointOperInfo', { NetworkID: netId, EndpointID: epId })).toHaveProperty('Value');
  return { address: addr.Address as string, created, join };
}

async function stopContainer(netId: string, poolId: string, epId: string, address: string) {
  await call('NetworkDriver.RevokeExternalConnectivity', { NetworkID: netId, EndpointID: epId });
  await call('NetworkDriver.Leave', { NetworkID: netId, EndpointID: epId });
  await call('NetworkDriver.DeleteEndpoint', { NetworkID: netId, EndpointID: epId });
  await call('IpamDriver.ReleaseAddress', { PoolID: poolId, Address: address.split('/')[0] });
}

const linkNames = async () => (await h.kernel.links()).map((l) => l.name).sort();
const ipamKeys = async () => (await h.store.list('ipam/')).map((e) => `${e.key}=${e.value}`);

describe('engine network and endpoints', () => {
  it('goes through a container life and leaves no link, rule or allocation behind', async () => {
    const before = { links: await linkNames(), ipam: await ipamKeys() };
    const net = await createNetwork(NET, { subnet: '10.40.0.0/24' });
    expect(net.gateway).toBe('10.40.0.1/24');
    const bridge = `weft-${NET.slice(0, 10)}`;
    expect(await linkNames()).toContain(bridge);
    const c = await runContainer(NET, net.poolId, EP, [{ Proto: 6, IP: '', Port: 80, HostIP: '', HostPort: 8080, HostPortEnd: 8080 }]);
    expect(c.address).toBe('10.40.0.2/24');
    expect(c.created).toEqual({ Interface: { MacAddress: '02:42:0a:28:00:02' } });
    expect(c.join).toEqual({
      InterfaceName: { SrcName: `wc${EP.slice(0, 12)}`, DstPrefix: 'eth' }, Gateway: '10.40.0.1', GatewayIPv6: '', StaticRoutes: [], DisableGatewayService: false,
    });
    const links = await h.kernel.links();
    expect(links.find((l) => l.name === `wv${EP.slice(0, 12)}`)).toMatchObject({ master: bridge, up: true });
    expect(links.find((l) => l.name === `wc${EP.slice(0, 12)}`)).toMatchObject({ mac: '02:42:0a:28:00:02', mtu: 1500 });
    expect(h.kernel.nftScripts().at(-1)).toMatch(/tcp dport 8080 dnat ip to 10\.40\.0\.2:80/);
    await stopContainer(NET, net.poolId, EP, c.address);
    expect(h.kernel.nftScripts().at(-1)).not.toMatch(/dport 8080/);
    expect(await linkNames()).not.toContain(`wv${EP.slice(0, 12)}`);
    // docker network rm: IPAM first, then the driver
    await call('IpamDriver.ReleaseAddress', { PoolID: net.poolId, Address: '10.40.0.1' });
    await call('IpamDriver.ReleasePool', { PoolID: net.poolId });
    await call('NetworkDriver.DeleteNetwork', { NetworkID: NET });
    expect({ links: await linkNames(), ipam: await ipamKeys() }).toEqual(before);
    expect([...h.controller.repository.networks.values()].filter((n) => n.origin === 'engine')).toEqual([]);
  });

  it('returns no MAC when the engine gave one, and uses it', async () => {
    const net = await createNetwork(NET, { subnet: '10.41.0.0/24' });
    const addr = await call('IpamDriver.RequestAddress', { PoolID: net.poolId, Address: '10.41.0.9' });
    const created = await call('NetworkDriver.CreateEndpoint', { NetworkID: NET, EndpointID: EP, Interface: { Address: addr.Address, MacAddress: '02:00:00:00:00:09' }, Options: {} });
    expect(created).toEqual({});
    expect((await h.kernel.links()).find((l) => l.name === `wc${EP.slice(0, 12)}`)!.mac).toBe('02:00:00:00:00:09');
    // a retried CreateEndpoint is answered the same, without a second veth
    expect(await call('NetworkDriver.CreateEndpoint', { NetworkID: NET, EndpointID: EP, Interface: { Address: addr.Address, MacAddress: '02:00:00:00:00:09' } })).toEqual({});
  });

  it('takes bridge options and the MTU through -o, and another weft driver with weft.driver', async () => {
    const net = await createNetwork(NET, { subnet: '10.42.0.0/24', generic: { 'com.docker.network.driver.mtu': '1400', 'com.docker.network.bridge.name': 'br-engine' } });
    await runContainer(NET, net.poolId, EP);
    const links = await h.kernel.links();
    expect(links.find((l) => l.name === 'br-engine')!.mtu).toBe(1400);
    expect(links.find((l) => l.name === `wc${EP.slice(0, 12)}`)!.mtu).toBe(1400);
    expect(links.find((l) => l.name === `wv${EP.slice(0, 12)}`)).toMatchObject({ mtu: 1400, master: 'br-engine' });

    const natNet = engineId('natnet');
    const natEp = engineId('natep');
    const nat = await createNetwork(natNet, { subnet: '10.43.0.0/24', generic: { 'weft.driver': 'nat' } });
    const c = await runContainer(natNet, nat.poolId, natEp);
    expect(c.join.Gateway).toBe('10.43.0.1');
    expect((await h.kernel.routes()).some((r) => r.dst === '10.43.0.2/32' && r.dev === `wn${natEp.slice(0, 12)}`)).toBe(true);
    const bad = await pluginCall(h.socket, 'NetworkDriver.CreateNetwork', { NetworkID: engineId('x'), Options: { 'com.docker.network.generic': { 'weft.driver': 'nope' } }, IPv4Data: [] });
    expect(bad.status).toBe(500);
    expect(bad.body.Err).toMatch(/^\[WEFT_UNKNOWN_DRIVER\]/);
    const badMtu = await pluginCall(h.socket, 'NetworkDriver.CreateNetwork', { NetworkID: engineId('y'), Options: { 'com.docker.network.generic': { 'com.docker.network.driver.mtu': 'big' } }, IPv4Data: [] });
    expect(badMtu.body.Err).toMatch(/^\[WEFT_INVALID_OPTION\] .*com\.docker\.network\.driver\.mtu/);
  });

  it('routes -o weft.driver=macvlan to the macvlan driver: its device is the SrcName the engine moves', async () => {
    await h.kernel.apply([{ op: 'link.add', link: { name: 'eth9', kind: 'bridge', up: true } }]);
    const net = await createNetwork(NET, { subnet: '10.48.0.0/24', generic: { 'weft.driver': 'macvlan', parent: 'eth9' } });
    const c = await runContainer(NET, net.poolId, EP);
    const src = c.join.InterfaceName.SrcName as string;
    expect((await h.kernel.links()).find((l) => l.name === src)).toMatchObject({ kind: 'macvlan' });
    await stopContainer(NET, net.poolId, EP, c.address);
    expect(await linkNames()).not.toContain(src);
    const noParent = await pluginCall(h.socket, 'NetworkDriver.CreateNetwork', {
      NetworkID: engineId('np'), Options: { 'com.docker.network.generic': { 'weft.driver': 'macvlan', parent: 'nope0' } }, IPv4Data: [{ AddressSpace: 'LocalDefault', Pool: '10.49.0.0/24', Gateway: '10.49.0.1/24' }],
    });
    expect(noParent.body.Err).toMatch(/^\[WEFT_PARENT_NOT_FOUND\]/);
  });

  it('gives an internal network no gateway and keeps the engine from adding docker_gwbridge', async () => {
    const net = await createNetwork(NET, { subnet: '10.44.0.0/24', internal: true });
    const c = await runContainer(NET, net.poolId, EP);
    expect(c.join).toMatchObject({ Gateway: '', DisableGatewayService: true });
  });

  it('shares one IPAM with weft’s own API: auto pools never overlap', async () => {
    const weftNet = await h.controller.createNetwork({ name: 'own' });
    const engine = await createNetwork(NET);
    expect(engine.pool).not.toBe(weftNet.IPAM.Config[0]!.Subnet);
    const clash = await pluginCall(h.socket, 'IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: weftNet.IPAM.Config[0]!.Subnet });
    expect(clash.status).toBe(500);
    expect(clash.body.Err).toMatch(/^\[WEFT_POOL_OVERLAP\]/);
  });

  it('keeps weft’s API off engine networks', async () => {
    await createNetwork(NET, { subnet: '10.45.0.0/24' });
    const name = `docker-${NET.slice(0, 12)}`;
    expect((await h.controller.inspectNetwork(name)).Id).toBe(NET);
    await expect(h.controller.removeNetwork(name)).rejects.toMatchObject({ code: 'WEFT_ENGINE_OWNED' });
    await expect(h.controller.createSandbox({ name: 's1', networks: [name] })).rejects.toMatchObject({ code: 'WEFT_ENGINE_OWNED' });
    expect(await h.controller.pruneNetworks()).toEqual([]);
  });

  it('refuses a port already published by a weft sandbox', async () => {
    await h.controller.createNetwork({ name: 'own', subnets: ['10.46.0.0/24'] });
    await h.controller.createSandbox({ name: 'web', networks: ['own'], publish: ['8080:80'] });
    const net = await createNetwork(NET, { subnet: '10.47.0.0/24' });
    const addr = await call('IpamDriver.RequestAddress', { PoolID: net.poolId });
    await call('NetworkDriver.CreateEndpoint', { NetworkID: NET, EndpointID: EP, Interface: { Address: addr.Address } });
    await call('NetworkDriver.Join', { NetworkID: NET, EndpointID: EP, SandboxKey: '/x' });
    const clash = await pluginCall(h.socket, 'NetworkDriver.ProgramExternalConnectivity', {
      NetworkID: NET, EndpointID: EP, Options: { 'com.docker.network.portmap': [{ Proto: 6, Port: 80, HostPort: 8080, HostPortEnd: 8080 }] },
    });
    expect(clash.status).toBe(500);
    expect(clash.body.Err).toMatch(/^\[WEFT_PORT_CONFLICT\] Bind for 0\.0\.0\.0:8080\/tcp failed: port is already allocated/);
  });
});
