/**
 * Sandboxes: a namespace joined to networks in order (the first non-internal
 * one provides the default route), static addresses and aliases, the host
 * and none networks, connect/disconnect (with the default route handed
 * over), and removal leaving nothing behind. Outcomes are read from the fake
 * kernel's model, not from the controller's records.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { MemorySandboxFiles } from '../helpers/memory-sandbox-files.js';
import { snapshotState, startTestDaemon, type TestDaemon } from '../helpers/cnm-harness.js';

type Daemon = TestDaemon;
const startDaemon = (files?: MemorySandboxFiles) => startTestDaemon({ files });
const state = snapshotState;




/** The default routes of a namespace as 'via dev'. */
async function defaultRoutes(kernel: FakeKernel, netns: string): Promise<string[]> {
  return (await kernel.routes(netns)).filter((r) => r.dst === 'default').map((r) => `${r.via} ${r.dev}`);
}

let d: Daemon;
beforeEach(async () => {
  d = await startDaemon(new MemorySandboxFiles({ nameservers: ['127.0.0.53', '192.0.2.53', '::1'], search: ['corp.example'], options: ['ndots:2'] }));
  await d.controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'] });
  await d.controller.createNetwork({ name: 'back', subnets: ['10.6.0.0/24'] });
  await d.controller.createNetwork({ name: 'int', subnets: ['10.7.0.0/24'], internal: true });
});

describe('sandbox create', () => {
  it('joins its networks in order as eth0, eth1; the first provides the default route', async () => {
    const sb = await d.controller.createSandbox({ name: 'web', networks: ['front', 'back'] });
    expect(Object.values(sb.Networks).map((n) => [n.NetworkName, n.Interface, n.Gateway])).toEqual([
      ['front', 'eth0', '10.5.0.1'],
      ['back', 'eth1', '10.6.0.1'],
    ]);
    expect(sb.SandboxKey).toBe('/run/netns/web');
    expect((await d.kernel.links('web')).map((l) => [l.name, l.up])).toEqual([
      ['lo', true],
      ['eth0', true],
      ['eth1', true],
    ]);
    expect(await d.kernel.addresses('web')).toEqual([
      { dev: 'eth0', cidr: `${sb.Networks.front!.IPAddress}/24`, family: 4 },
      { dev: 'eth1', cidr: `${sb.Networks.back!.IPAddress}/24`, family: 4 },
    ]);
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.5.0.1 eth0']);
  });

  it('takes the default route from the first non-internal network', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['int', 'back'] });
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.6.0.1 eth1']);
  });

  it('has no default route on an internal network alone', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['int'] });
    expect(await defaultRoutes(d.kernel, 'web')).toEqual([]);
    expect(await d.kernel.addresses('web')).toHaveLength(1);
  });

  it('on an IPv6 network gets an address and a default route of each family', async () => {
    await d.controller.createNetwork({ name: 'six', ipv6: true, subnets: ['10.8.0.0/24', 'fd00:8::/64'] });
    const sb = await d.controller.createSandbox({ name: 'web', networks: ['six'] });
    expect(sb.Networks.six).toMatchObject({ IPAddress: '10.8.0.2', Gateway: '10.8.0.1', GlobalIPv6Address: 'fd00:8::2', GlobalIPv6PrefixLen: 64, IPv6Gateway: 'fd00:8::1' });
    expect(await d.kernel.addresses('web')).toEqual([
      { dev: 'eth0', cidr: '10.8.0.2/24', family: 4 },
      { dev: 'eth0', cidr: 'fd00:8::2/64', family: 6 },
    ]);
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.8.0.1 eth0', 'fd00:8::1 eth0']);
    expect((await d.controller.inspectNetwork('six')).Containers[sb.Id]).toMatchObject({ IPv4Address: '10.8.0.2/24', IPv6Address: 'fd00:8::2/64' });
  });

  it('joins the bridge network when given none', async () => {
    const sb = await d.controller.createSandbox({ name: 'web' });
    expect(Object.keys(sb.Networks)).toEqual(['bridge']);
    const bridge = await d.controller.inspectNetwork('bridge');
    expect(await defaultRoutes(d.kernel, 'web')).toEqual([`${bridge.IPAM.Config[0]!.Gateway} eth0`]);
  });

  it('puts --ip on the first network and keeps the aliases', async () => {
    const sb = await d.controller.createSandbox({ name: 'web', networks: ['front', 'back'], ipv4: '10.5.0.50', aliases: ['www', 'api'] });
    expect(sb.Networks.front).toMatchObject({ IPAddress: '10.5.0.50', IPPrefixLen: 24, Aliases: ['www', 'api'] });
    expect(sb.Networks.back!.IPAddress).not.toBe('10.5.0.50');
    expect(await d.kernel.addresses('web')).toContainEqual({ dev: 'eth0', cidr: '10.5.0.50/24', family: 4 });
  });

  it('refuses an --ip in use (WEFT_ADDRESS_IN_USE) or outside the network (WEFT_ADDRESS_OUT_OF_RANGE), leaving nothing', async () => {
    await d.controller.createSandbox({ name: 'one', networks: ['front'], ipv4: '10.5.0.50' });
    const before = await state(d);
    await expect(d.controller.createSandbox({ name: 'two', networks: ['front'], ipv4: '10.5.0.50' })).rejects.toMatchObject({ code: 'WEFT_ADDRESS_IN_USE' });
    await expect(d.controller.createSandbox({ name: 'two', networks: ['front'], ipv4: '10.9.0.1' })).rejects.toMatchObject({ code: 'WEFT_ADDRESS_OUT_OF_RANGE' });
    expect(await state(d)).toEqual(before);
    expect(await d.kernel.netnsExists('two')).toBe(false);
  });

  it('writes hostname, its addresses and the host resolvers it can reach; --dns and friends override them', async () => {
    const web = await d.controller.createSandbox({ name: 'web', networks: ['front'], hostname: 'www' });
    expect(d.files.get('web')).toEqual({
      hostname: 'www',
      addresses: [web.Networks.front!.IPAddress],
      nameservers: ['192.0.2.53'],
      search: ['corp.example'],
      options: ['ndots:2'],
    });
    await d.controller.createSandbox({ name: 'api', networks: ['front'], dns: ['9.9.9.9'], dnsSearch: ['lab'], dnsOptions: ['edns0'] });
    expect(d.files.get('api')).toMatchObject({ hostname: 'api', nameservers: ['9.9.9.9'], search: ['lab'], options: ['edns0'] });
    const api = await d.controller.inspectSandbox('api');
    expect([api.Hostname, api.Dns, api.DnsSearch]).toEqual(['api', ['9.9.9.9'], ['lab']]);
  });

  it('on the host network names the daemon namespace, and refuses other networks and published ports', async () => {
    const before = await state(d);
    const sb = await d.controller.createSandbox({ name: 'h', networks: ['host'] });
    expect(sb.Networks.host).toMatchObject({ IPAddress: '', Gateway: '', MacAddress: '' });
    expect(await d.kernel.netnsExists('h')).toBe(true);
    expect(await d.kernel.links('h')).toEqual(await d.kernel.links());
    // An alias, not a copy: what appears in the daemon namespace appears under the sandbox's name.
    await d.controller.createNetwork({ name: 'later', options: { 'com.docker.network.bridge.name': 'br-later' } });
    expect((await d.kernel.links('h')).map((l) => l.name)).toContain('br-later');
    expect(d.files.get('h')).toBeUndefined();
    await expect(d.controller.connect({ network: 'front', sandbox: 'h' })).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT', kind: 'Forbidden' });
    await expect(d.controller.disconnect('host', 'h')).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT', kind: 'Forbidden' });
    await expect(d.controller.connect({ network: 'host', sandbox: 'h' })).rejects.toMatchObject({ code: 'WEFT_ENDPOINT_EXISTS' });
    await expect(d.controller.createSandbox({ name: 'h2', networks: ['host', 'front'] })).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' });
    await expect(d.controller.createSandbox({ name: 'h3', networks: ['host'], publish: ['8080:80'] })).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' });
    expect(await d.kernel.netnsExists('h2')).toBe(false);
    expect(await d.kernel.netnsExists('h3')).toBe(false);
    await d.controller.removeSandbox('h');
    await d.controller.removeNetwork('later');
    expect(await state(d)).toEqual(before);
  });

  it('refuses to put a sandbox of another network on the host network', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front'] });
    await expect(d.controller.connect({ network: 'host', sandbox: 'web' })).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT', kind: 'Forbidden' });
  });

  it('on the none network has only lo, and cannot join another network', async () => {
    const sb = await d.controller.createSandbox({ name: 'n', networks: ['none'] });
    expect(Object.keys(sb.Networks)).toEqual(['none']);
    expect((await d.kernel.links('n')).map((l) => [l.name, l.up])).toEqual([['lo', true]]);
    expect(await d.kernel.addresses('n')).toEqual([]);
    expect(await d.kernel.routes('n')).toEqual([]);
    await expect(d.controller.connect({ network: 'front', sandbox: 'n' })).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' });
    await expect(d.controller.createSandbox({ name: 'n2', networks: ['none', 'front'] })).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' });
    expect((await d.kernel.links('n')).map((l) => l.name)).toEqual(['lo']);
  });

  it('refuses a duplicate name, a name whose namespace exists, a bad name and an unknown network, creating nothing', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front'] });
    await d.kernel.apply([{ op: 'netns.add', name: 'foreign' }]);
    const before = await state(d);
    await expect(d.controller.createSandbox({ name: 'web', networks: ['back'] })).rejects.toMatchObject({ code: 'WEFT_SANDBOX_EXISTS' });
    await expect(d.controller.createSandbox({ name: 'foreign' })).rejects.toMatchObject({ code: 'WEFT_SANDBOX_EXISTS' });
    await expect(d.controller.createSandbox({ name: 'a/b' })).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' });
    await expect(d.controller.createSandbox({ name: 'x'.repeat(64) })).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' });
    await expect(d.controller.createSandbox({ name: 'db', networks: ['front', 'ghost'] })).rejects.toMatchObject({
      code: 'WEFT_NETWORK_NOT_FOUND',
      message: 'network ghost not found',
    });
    expect(await state(d)).toEqual(before);
    expect(await d.kernel.netnsExists('db')).toBe(false);
  });
});

describe('connect and disconnect', () => {
  it('connect adds the next interface without a second default route, and refreshes the files', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front'] });
    await d.controller.connect({ network: 'back', sandbox: 'web', ipv4: '10.6.0.9', aliases: ['db'] });
    const sb = await d.controller.inspectSandbox('web');
    expect(sb.Networks.back).toMatchObject({ Interface: 'eth1', IPAddress: '10.6.0.9', Aliases: ['db'] });
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.5.0.1 eth0']);
    expect(d.files.get('web')!.addresses).toEqual([sb.Networks.front!.IPAddress, '10.6.0.9']);
  });

  it('connecting twice is WEFT_ENDPOINT_EXISTS; disconnecting a network not joined is WEFT_ENDPOINT_NOT_FOUND', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front'] });
    const before = await state(d);
    await expect(d.controller.connect({ network: 'front', sandbox: 'web' })).rejects.toMatchObject({
      code: 'WEFT_ENDPOINT_EXISTS',
      message: 'endpoint with name web already exists in network front',
    });
    await expect(d.controller.disconnect('back', 'web')).rejects.toMatchObject({
      code: 'WEFT_ENDPOINT_NOT_FOUND',
      message: 'sandbox web is not connected to network back',
    });
    await expect(d.controller.connect({ network: 'front', sandbox: 'ghost' })).rejects.toMatchObject({ code: 'WEFT_SANDBOX_NOT_FOUND' });
    await expect(d.controller.disconnect('ghost', 'web')).rejects.toMatchObject({ code: 'WEFT_NETWORK_NOT_FOUND' });
    expect(await state(d)).toEqual(before);
  });

  it('disconnecting the gateway provider hands the default route to the next non-internal network', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front', 'int', 'back'] });
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.5.0.1 eth0']);
    await d.controller.disconnect('front', 'web');
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.6.0.1 eth2']);
    expect((await d.kernel.links('web')).map((l) => l.name)).toEqual(['lo', 'eth1', 'eth2']);
    // A later join takes the free eth0 and does not take the default route.
    await d.controller.connect({ network: 'front', sandbox: 'web' });
    expect((await d.controller.inspectSandbox('web')).Networks.front!.Interface).toBe('eth0');
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.6.0.1 eth2']);
  });

  it('disconnecting the last network leaves no default route; the address is free again', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.50' });
    await d.controller.disconnect('front', 'web');
    expect(await defaultRoutes(d.kernel, 'web')).toEqual([]);
    expect((await d.kernel.links('web')).map((l) => l.name)).toEqual(['lo']);
    expect((await d.controller.inspectSandbox('web')).Networks).toEqual({});
    expect(d.files.get('web')!.addresses).toEqual([]);
    await d.controller.createSandbox({ name: 'api', networks: ['front'], ipv4: '10.5.0.50' });
  });
});

describe('sandbox remove', () => {
  it('removes the namespace, the endpoints, the host devices, the files, and frees the addresses', async () => {
    const before = await state(d);
    const linksBefore = await d.kernel.links();
    await d.controller.createSandbox({ name: 'web', networks: ['front', 'back'], ipv4: '10.5.0.50', publish: ['8080:80'] });
    expect((await d.kernel.links()).length).toBe(linksBefore.length + 2);
    await d.controller.removeSandbox('web');
    expect(await d.kernel.netnsExists('web')).toBe(false);
    expect(await d.kernel.links()).toEqual(linksBefore);
    expect((await d.controller.inspectNetwork('front')).Containers).toEqual({});
    expect((await d.controller.inspectNetwork('back')).Containers).toEqual({});
    expect(d.files.get('web')).toBeUndefined();
    expect(d.files.removed).toContain('web');
    await expect(d.controller.inspectSandbox('web')).rejects.toMatchObject({ code: 'WEFT_SANDBOX_NOT_FOUND', message: 'no such sandbox: web' });
    expect(await state(d)).toEqual(before);
    await d.controller.createSandbox({ name: 'web2', networks: ['front'], ipv4: '10.5.0.50', publish: ['8080:80'] });
  });

  it('refuses an unknown sandbox: WEFT_SANDBOX_NOT_FOUND', async () => {
    await expect(d.controller.removeSandbox('ghost')).rejects.toMatchObject({ code: 'WEFT_SANDBOX_NOT_FOUND' });
  });

  it('lists sandboxes by name', async () => {
    await d.controller.createSandbox({ name: 'b', networks: ['front'] });
    await d.controller.createSandbox({ name: 'a', networks: ['none'] });
    expect((await d.controller.listSandboxes()).map((s) => s.Name)).toEqual(['a', 'b']);
  });
});
