/**
 * Engine state across weftd restarts (the engine replays nothing) and the
 * sweep of endpoints a dockerd crash left behind: a joined endpoint whose veth
 * died with its container goes, one never handed to a container is made
 * again, and an address the engine releases takes its stale endpoint along.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pluginCall, pluginOk } from '../helpers/plugin-client.js';
import { engineId, restartHarness, startHarness, stopHarness, type PluginHarness } from '../helpers/plugin-harness.js';

let h: PluginHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await stopHarness(h);
});

const NET = engineId('net');
const call = (method: string, body?: unknown) => pluginOk(h.socket, method, body);
const host = (ep: string) => `wv${ep.slice(0, 12)}`;
const src = (ep: string) => `wc${ep.slice(0, 12)}`;
const linkNames = async () => (await h.kernel.links()).map((l) => l.name);

async function setup(): Promise<string> {
  const pool = await call('IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '10.50.0.0/24' });
  const gw = await call('IpamDriver.RequestAddress', { PoolID: pool.PoolID, Options: { RequestAddressType: 'com.docker.network.gateway' } });
  await call('NetworkDriver.CreateNetwork', { NetworkID: NET, Options: {}, IPv4Data: [{ AddressSpace: 'LocalDefault', Pool: pool.Pool, Gateway: gw.Address }], IPv6Data: [] });
  return pool.PoolID;
}

async function endpoint(poolId: string, ep: string, join: boolean): Promise<string> {
  const addr = await call('IpamDriver.RequestAddress', { PoolID: poolId });
  await call('NetworkDriver.CreateEndpoint', { NetworkID: NET, EndpointID: ep, Interface: { Address: addr.Address } });
  if (join) await call('NetworkDriver.Join', { NetworkID: NET, EndpointID: ep, SandboxKey: '/var/run/docker/netns/x' });
  return addr.Address.split('/')[0];
}

/** The container's namespace went away: the veth pair goes with it. */
const containerDied = (ep: string) => h.kernel.teardown([{ op: 'link.add', link: { name: host(ep), kind: 'veth' } }]);

describe('engine state across restarts', () => {
  it('keeps networks and endpoints and answers for them after a restart', async () => {
    const poolId = await setup();
    const joined = engineId('joined');
    await endpoint(poolId, joined, true);
    // an address the engine holds with no endpoint yet (RequestAddress comes before CreateEndpoint)
    const held = (await call('IpamDriver.RequestAddress', { PoolID: poolId, Address: '10.50.0.60' })).Address;
    const before = await linkNames();
    h = await restartHarness(h);
    expect(h.report.errors).toEqual([]);
    // the start's check for unowned addresses leaves the engine's networks alone
    expect(h.report.addressesFreed).toEqual([]);
    const again = await pluginCall(h.socket, 'IpamDriver.RequestAddress', { PoolID: poolId, Address: '10.50.0.60' });
    expect(again).toMatchObject({ status: 500, text: expect.stringContaining('address 10.50.0.60 is already allocated') });
    expect(held).toBe('10.50.0.60/24');
    expect((await linkNames()).sort()).toEqual(before.sort());
    const info = await call('NetworkDriver.EndpointOperInfo', { NetworkID: NET, EndpointID: joined });
    expect(info.Value).toMatchObject({ srcName: src(joined), hostDevice: host(joined) });
    await call('NetworkDriver.Leave', { NetworkID: NET, EndpointID: joined });
    await call('NetworkDriver.DeleteEndpoint', { NetworkID: NET, EndpointID: joined });
    expect(await linkNames()).not.toContain(host(joined));
    // the pool is still the engine's, with its deterministic id
    expect((await call('IpamDriver.RequestAddress', { PoolID: poolId, Address: '10.50.0.77' })).Address).toBe('10.50.0.77/24');
  });

  it('drops a joined endpoint whose veth died, re-makes one never handed to a container', async () => {
    const poolId = await setup();
    const gone = engineId('gone');
    const waiting = engineId('waiting');
    await endpoint(poolId, gone, true);
    await endpoint(poolId, waiting, false);
    await containerDied(gone);
    await containerDied(waiting);
    h = await restartHarness(h);
    const links = await linkNames();
    expect(links).not.toContain(host(gone));
    expect(links).not.toContain(src(gone));
    expect(links).toEqual(expect.arrayContaining([host(waiting), src(waiting)]));
    expect(h.controller.repository.endpoints.has(gone)).toBe(false);
    expect((await pluginCall(h.socket, 'NetworkDriver.Join', { NetworkID: NET, EndpointID: gone, SandboxKey: '/x' })).body.Err).toMatch(/WEFT_ENDPOINT_NOT_FOUND/);
    expect((await call('NetworkDriver.Join', { NetworkID: NET, EndpointID: waiting, SandboxKey: '/x' })).InterfaceName.SrcName).toBe(src(waiting));
  });
});

describe('sweep of endpoints the engine left behind', () => {
  it('drops joined endpoints whose veth is gone, and those unmoved for too long', async () => {
    await stopHarness(h);
    h = await startHarness({}, { engineStaleAfterMs: 60_000 });
    const poolId = await setup();
    const died = engineId('died');
    const alive = engineId('alive');
    await endpoint(poolId, died, true);
    await endpoint(poolId, alive, true);
    await containerDied(died);
    expect(await h.controller.sweepEngineEndpoints()).toEqual([died]);
    expect(await h.controller.sweepEngineEndpoints()).toEqual([]);
    h = await restartHarness(h, { engineStaleAfterMs: 0 });
    // still in the daemon's namespace long after Join: its container never took it
    expect(await h.controller.sweepEngineEndpoints()).toEqual([alive]);
    expect(await linkNames()).not.toContain(host(alive));
  });

  it('drops an endpoint whose address the engine releases (stale sandbox cleanup at dockerd start)', async () => {
    const poolId = await setup();
    const stale = engineId('stale');
    const ip = await endpoint(poolId, stale, true);
    await call('IpamDriver.ReleaseAddress', { PoolID: poolId, Address: ip });
    expect(h.controller.repository.endpoints.has(stale)).toBe(false);
    expect(await linkNames()).not.toContain(host(stale));
  });
});
