/**
 * The remote-plugin client: discovery by dockerd's rules (sockets first,
 * then .spec and .json, NAME/NAME.* too), the HTTP conventions, error
 * mapping, timeouts, the retry window for lookups and connections, and
 * activation (once per registry; the interface must be implemented).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelays, PluginClient } from '../../src/drivers/remote/client.js';
import { findPlugin } from '../../src/drivers/remote/discovery.js';
import { PluginRegistry } from '../../src/drivers/remote/plugins.js';
import { FakePlugin, hang, reply } from '../fixtures/fake-plugin.js';

let dir: string;
let other: string;
const plugins: FakePlugin[] = [];
const start = async (name: string, opts: Partial<Parameters<typeof FakePlugin.start>[0]> = {}) => {
  const plugin = await FakePlugin.start({ dir, name, ...opts });
  plugins.push(plugin);
  return plugin;
};
const timeouts = { requestMs: 500, retryWindowMs: 0 };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-plugins-'));
  other = mkdtempSync(join(tmpdir(), 'weft-specs-'));
});
afterEach(async () => {
  for (const p of plugins.splice(0)) await p.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
});

describe('discovery', () => {
  it('finds NAME.sock, then NAME/NAME.sock, and prefers a socket in any directory to a spec', async () => {
    writeFileSync(join(other, 'p1.spec'), 'unix:///elsewhere.sock\n');
    await start('p1');
    expect(await findPlugin('p1', [other, dir])).toMatchObject({ kind: 'unix', path: join(dir, 'p1.sock') });
    mkdirSync(join(dir, 'p2'));
    const nested = await FakePlugin.start({ dir: join(dir, 'p2'), name: 'p2' });
    plugins.push(nested);
    expect(await findPlugin('p2', [dir])).toMatchObject({ kind: 'unix', path: join(dir, 'p2', 'p2.sock') });
  });

  it('skips a NAME.sock that is not a socket, and reads .spec before .json, trimming whitespace', async () => {
    writeFileSync(join(dir, 'p.sock'), 'not a socket');
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ Name: 'p', Addr: 'unix:///from/json.sock' }));
    expect(await findPlugin('p', [dir])).toMatchObject({ kind: 'unix', path: '/from/json.sock' });
    mkdirSync(join(dir, 'p'));
    writeFileSync(join(dir, 'p', 'p.spec'), '  unix:///from/spec.sock  \n');
    expect(await findPlugin('p', [dir])).toMatchObject({ kind: 'unix', path: '/from/spec.sock', source: join(dir, 'p', 'p.spec') });
    writeFileSync(join(dir, 'q.json'), JSON.stringify({ addr: 'tcp://127.0.0.1:9100' }));
    expect(await findPlugin('q', [dir])).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 9100 });
  });

  it('refuses specs without a scheme or with https, and names that are not file names', async () => {
    writeFileSync(join(dir, 'a.spec'), '/run/a.sock');
    await expect(findPlugin('a', [dir])).rejects.toMatchObject({ code: 'WEFT_PLUGIN_NOT_FOUND', message: expect.stringMatching(/Unknown protocol/) });
    writeFileSync(join(dir, 'b.spec'), 'https://127.0.0.1:9100');
    await expect(findPlugin('b', [dir])).rejects.toMatchObject({ code: 'WEFT_PLUGIN_UNSUPPORTED' });
    await expect(findPlugin('../etc/x', [dir])).rejects.toMatchObject({ code: 'WEFT_PLUGIN_UNSUPPORTED' });
    expect(await findPlugin('absent', [dir])).toBeUndefined();
  });

  it("scales dockerd's 1-2-4-8 s backoff into the retry window", () => {
    expect(backoffDelays(15_000)).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelays(1500)).toEqual([100, 200, 400, 800]);
    expect(backoffDelays(0)).toEqual([]);
  });
});

describe('client', () => {
  const clientFor = (plugin: FakePlugin, t = timeouts) => new PluginClient(plugin.options.name, { kind: 'unix', path: plugin.socketPath, source: '' }, t);

  it('POSTs /Interface.Method with the v1.2 Accept header, an empty body for no arguments, else JSON and a newline', async () => {
    const plugin = await start('p');
    const client = clientFor(plugin);
    await client.call('Plugin.Activate');
    await client.call('NetworkDriver.Leave', { NetworkID: 'n', EndpointID: 'e' });
    expect(plugin.calls.map((c) => [c.method, c.raw, c.headers.accept])).toEqual([
      ['Plugin.Activate', '', 'application/vnd.docker.plugins.v1.2+json'],
      ['NetworkDriver.Leave', '{"NetworkID":"n","EndpointID":"e"}\n', 'application/vnd.docker.plugins.v1.2+json'],
    ]);
  });

  it('maps the ways a plugin says no to WEFT_PLUGIN_ERROR with its message, and junk to WEFT_PLUGIN_BAD_RESPONSE', async () => {
    const plugin = await start('p');
    const client = clientFor(plugin);
    plugin.on('NetworkDriver.CreateNetwork', () => {
      throw new Error('boom');
    });
    await expect(client.call('NetworkDriver.CreateNetwork', {})).rejects.toMatchObject({
      code: 'WEFT_PLUGIN_ERROR',
      kind: 'Internal',
      message: 'plugin "p": NetworkDriver.CreateNetwork: boom',
      details: { status: 500 },
    });
    plugin.on('NetworkDriver.Leave', () => ({ Err: 'boom on 200' }));
    await expect(client.call('NetworkDriver.Leave', {})).rejects.toMatchObject({ code: 'WEFT_PLUGIN_ERROR', message: /boom on 200/ });
    plugin.on('IpamDriver.ReleasePool', () => ({ Error: 'ipam says no' }));
    await expect(client.call('IpamDriver.ReleasePool', {})).rejects.toMatchObject({ code: 'WEFT_PLUGIN_ERROR', message: /ipam says no/ });
    plugin.on('NetworkDriver.Join', () => reply(503, 'raw failure text'));
    await expect(client.call('NetworkDriver.Join', {})).rejects.toMatchObject({ code: 'WEFT_PLUGIN_ERROR', message: /raw failure text/, details: { status: 503 } });
    await expect(client.call('NetworkDriver.Nope', {})).rejects.toMatchObject({ code: 'WEFT_PLUGIN_ERROR', details: { status: 404 } });
    plugin.on('NetworkDriver.DeleteNetwork', () => reply(200, ''));
    await expect(client.call('NetworkDriver.DeleteNetwork', {})).rejects.toMatchObject({ code: 'WEFT_PLUGIN_BAD_RESPONSE', message: /EOF/ });
    plugin.on('NetworkDriver.DeleteEndpoint', () => reply(200, '[1,2]'));
    await expect(client.call('NetworkDriver.DeleteEndpoint', {})).rejects.toMatchObject({ code: 'WEFT_PLUGIN_BAD_RESPONSE' });
  });

  it('gives up on a plugin that never answers after the request timeout', async () => {
    const plugin = await start('p');
    plugin.on('NetworkDriver.CreateNetwork', () => hang());
    const t0 = Date.now();
    await expect(clientFor(plugin, { requestMs: 300, retryWindowMs: 5000 }).call('NetworkDriver.CreateNetwork', {})).rejects.toMatchObject({
      code: 'WEFT_PLUGIN_UNAVAILABLE',
      kind: 'Unavailable',
      details: { reason: 'timeout' },
      message: /no answer within 300 ms/,
    });
    // a timeout is not retried
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(plugin.methods()).toEqual(['NetworkDriver.CreateNetwork']);
  });

  it('retries a refused connection within the window: a plugin back in time answers, else WEFT_PLUGIN_UNAVAILABLE', async () => {
    const plugin = await start('p');
    const client = clientFor(plugin, { requestMs: 500, retryWindowMs: 600 });
    await plugin.close();
    await expect(client.call('Plugin.Activate')).rejects.toMatchObject({ code: 'WEFT_PLUGIN_UNAVAILABLE', details: { reason: 'connect' } });
    const call = client.call('Plugin.Activate');
    setTimeout(() => void plugin.listen(), 100);
    await expect(call).resolves.toEqual({ Implements: ['NetworkDriver', 'IpamDriver'] });
  });

  it('speaks to a plugin on loopback TCP named by a .spec file', async () => {
    const plugin = await start('t', { transport: 'tcp' });
    const registry = new PluginRegistry({ dirs: [dir], timeouts });
    const active = await registry.get('t', 'NetworkDriver');
    expect(active.client.address).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: plugin.port });
    expect(plugin.methods()).toEqual(['Plugin.Activate']);
  });
});

describe('activation', () => {
  it('activates once per registry and checks the interface', async () => {
    const plugin = await start('net', { implements: ['NetworkDriver'] });
    const registry = new PluginRegistry({ dirs: [dir], timeouts });
    await registry.get('net', 'NetworkDriver');
    await registry.get('net', 'NetworkDriver');
    await expect(registry.get('net', 'IpamDriver')).rejects.toMatchObject({
      code: 'WEFT_PLUGIN_UNSUPPORTED',
      message: /does not implement the requested driver: IpamDriver/,
    });
    expect(plugin.methods()).toEqual(['Plugin.Activate']);
  });

  it('forgets a failed activation, so the next use tries again', async () => {
    const plugin = await start('p');
    plugin.on('Plugin.Activate', () => {
      throw new Error('not ready');
    });
    const registry = new PluginRegistry({ dirs: [dir], timeouts });
    await expect(registry.get('p', 'NetworkDriver')).rejects.toMatchObject({ code: 'WEFT_PLUGIN_ERROR', message: /not ready/ });
    plugin.on('Plugin.Activate', () => ({ Implements: ['NetworkDriver'] }));
    await expect(registry.get('p', 'NetworkDriver')).resolves.toMatchObject({ name: 'p' });
    plugin.on('Plugin.Activate', () => ({ Implements: 'NetworkDriver' }));
    await expect(new PluginRegistry({ dirs: [dir], timeouts }).get('p', 'NetworkDriver')).rejects.toMatchObject({ code: 'WEFT_PLUGIN_BAD_RESPONSE' });
  });

  it('says WEFT_PLUGIN_NOT_FOUND at once when no plugin of that name exists, and finds it once it appears', async () => {
    const registry = new PluginRegistry({ dirs: [dir], timeouts: { requestMs: 500, retryWindowMs: 1500 } });
    const t0 = Date.now();
    await expect(registry.get('late', 'NetworkDriver')).rejects.toMatchObject({ code: 'WEFT_PLUGIN_NOT_FOUND', kind: 'NotFound', message: /plugin "late" not found/ });
    expect(Date.now() - t0).toBeLessThan(500);
    await start('late');
    await expect(registry.get('late', 'NetworkDriver')).resolves.toMatchObject({ name: 'late' });
  });
});
