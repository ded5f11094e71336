/**
 * The plugin server as the engine (and a hostile client) sees it: routing,
 * status codes, the {"Err"} shape with weft's code, malformed and huge
 * bodies, requests without Host, and the daemon still serving afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pluginCall, pluginOk, rawExchange } from '../helpers/plugin-client.js';
import { engineId, startHarness, stopHarness, type PluginHarness } from '../helpers/plugin-harness.js';

let h: PluginHarness;
beforeEach(async () => {
  h = await startHarness({}, { bodyLimit: 64 * 1024 });
});
afterEach(async () => {
  await stopHarness(h);
});

const alive = async () => expect(await pluginOk(h.socket, 'Plugin.Activate')).toEqual({ Implements: ['NetworkDriver', 'IpamDriver'] });

describe('plugin protocol', () => {
  it('activates as a network and IPAM driver and reports local scope', async () => {
    await alive();
    expect(await pluginOk(h.socket, 'NetworkDriver.GetCapabilities')).toEqual({ Scope: 'local', ConnectivityScope: 'local' });
    expect(await pluginOk(h.socket, 'IpamDriver.GetCapabilities')).toEqual({ RequiresMACAddress: false, RequiresRequestReplay: false });
    expect(await pluginOk(h.socket, 'IpamDriver.GetDefaultAddressSpaces')).toEqual({ LocalDefaultAddressSpace: 'LocalDefault', GlobalDefaultAddressSpace: 'GlobalDefault' });
    expect(await pluginOk(h.socket, 'NetworkDriver.DiscoverNew', { DiscoveryType: 1, DiscoveryData: { Address: '192.0.2.1', Self: true } })).toEqual({});
  });

  it('answers unknown paths and other HTTP methods with 404 and an Err naming the code', async () => {
    const unknown = await pluginCall(h.socket, 'NetworkDriver.Bogus', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.Err).toMatch(/^\[WEFT_PLUGIN_UNKNOWN_METHOD\] /);
    expect((await pluginCall(h.socket, 'networkdriver.getcapabilities')).status).toBe(404);
    expect((await pluginCall(h.socket, 'Plugin.Activate', undefined, { httpMethod: 'GET' })).status).toBe(404);
    await alive();
  });

  it('rejects bodies that do not decode with 400, naming the field', async () => {
    const notJson = await pluginCall(h.socket, 'NetworkDriver.CreateNetwork', undefined, { raw: '{"NetworkID": ' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.Err).toMatch(/^\[WEFT_PLUGIN_BAD_REQUEST\] request body is not JSON/);
    expect((await pluginCall(h.socket, 'NetworkDriver.CreateNetwork', [1, 2])).body.Err).toMatch(/must be a JSON object/);
    const wrongType = await pluginCall(h.socket, 'NetworkDriver.CreateNetwork', { NetworkID: 42 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.Err).toMatch(/NetworkID must be a non-empty string/);
    const badV4 = await pluginCall(h.socket, 'NetworkDriver.CreateNetwork', { NetworkID: engineId('n'), IPv4Data: [{ Pool: 7 }] });
    expect(badV4.body.Err).toMatch(/Pool must be a non-empty string/);
    const badPort = await pluginCall(h.socket, 'NetworkDriver.ProgramExternalConnectivity', {
      NetworkID: 'n', EndpointID: 'e', Options: { 'com.docker.network.portmap': [{ Proto: 6, Port: 80, HostPort: 'x' }] },
    });
    expect(badPort.status).toBe(400);
    expect(badPort.body.Err).toMatch(/HostPort must be an integer/);
    expect((await pluginCall(h.socket, 'IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.0.0.0/24', Options: { a: 1 } })).body.Err).toMatch(/Options\.a must be a string/);
    await alive();
  });

  it('matches field names case-insensitively, as Go does', async () => {
    const pool = await pluginOk(h.socket, 'IpamDriver.RequestPool', { addressspace: 'LocalDefault', pool: '10.30.0.0/24' });
    expect(pool).toEqual({ PoolID: 'LocalDefault/10.30.0.0/24', Pool: '10.30.0.0/24', Data: {} });
  });

  it('refuses a huge body with 413 and keeps serving', async () => {
    const huge = await pluginCall(h.socket, 'NetworkDriver.CreateNetwork', undefined, { raw: `{"NetworkID":"${'a'.repeat(200 * 1024)}"}` });
    expect(huge.status).toBe(413);
    expect(huge.body.Err).toMatch(/^\[WEFT_PLUGIN_REQUEST_TOO_LARGE\]/);
    await alive();
  });

  it('reports unknown ids with 500 and weft codes; deletes of what is gone succeed', async () => {
    const ep = await pluginCall(h.socket, 'NetworkDriver.CreateEndpoint', { NetworkID: engineId('none'), EndpointID: engineId('e'), Interface: { Address: '10.1.0.2/24' } });
    expect(ep.status).toBe(500);
    expect(ep.body.Err).toMatch(/^\[WEFT_NETWORK_NOT_FOUND\] network .* not found/);
    const join = await pluginCall(h.socket, 'NetworkDriver.Join', { NetworkID: engineId('none'), EndpointID: engineId('e'), SandboxKey: '/x' });
    expect(join.status).toBe(500);
    const addr = await pluginCall(h.socket, 'IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.99.0.0/24' });
    expect(addr.body.Err).toMatch(/^\[WEFT_POOL_NOT_FOUND\]/);
    expect(await pluginOk(h.socket, 'NetworkDriver.DeleteEndpoint', { NetworkID: engineId('none'), EndpointID: engineId('e') })).toEqual({});
    expect(await pluginOk(h.socket, 'NetworkDriver.DeleteNetwork', { NetworkID: engineId('none') })).toEqual({});
    expect(await pluginOk(h.socket, 'NetworkDriver.Leave', { NetworkID: engineId('none'), EndpointID: engineId('e') })).toEqual({});
    expect(await pluginOk(h.socket, 'IpamDriver.ReleasePool', { PoolID: 'LocalDefault/10.99.0.0/24' })).toEqual({});
    expect(await pluginOk(h.socket, 'IpamDriver.ReleaseAddress', { PoolID: 'LocalDefault/10.99.0.0/24', Address: '10.99.0.5' })).toEqual({});
    const badId = await pluginCall(h.socket, 'NetworkDriver.CreateNetwork', { NetworkID: '../../etc', IPv4Data: [] });
    expect(badId.status).toBe(500);
    expect(badId.body.Err).toMatch(/^\[WEFT_INVALID_ARGUMENT\] invalid network id/);
  });

  it('serves requests without a Host header, empty bodies included, and survives garbage', async () => {
    const reply = await rawExchange(h.socket, 'POST /Plugin.Activate HTTP/1.1\r\nContent-Length: 0\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply).toContain('"Implements"');
    expect(await rawExchange(h.socket, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    await alive();
  });

  it('does not let a client that never finishes its body hold up other calls', async () => {
    const stuck = rawExchange(h.socket, 'POST /NetworkDriver.CreateNetwork HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"Netw', 500);
    await alive();
    await stuck;
  });

  it('records per-method handler times', async () => {
    await alive();
    await pluginCall(h.socket, 'Nope');
    const stats = h.server.stats();
    expect(stats['/Plugin.Activate']!.count).toBe(1);
    expect(stats['(unknown)']!.errors).toBe(1);
  });
});
