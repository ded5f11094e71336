/**
 * Every RPC of weft.v1 round-trips through a real gRPC server on a unix
 * socket: the typed client's request reaches the NetworkApi decoded, and the
 * Docker-shaped answer comes back unchanged.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type WeftClient } from '../../src/api/grpc/client.js';
import { startFakeDaemon, type FakeDaemon } from '../helpers/fake-network-api.js';

let daemon: FakeDaemon;
let client: WeftClient;

beforeEach(async () => {
  daemon = await startFakeDaemon('1.2.3');
  client = connect(daemon.target);
});

afterEach(async () => {
  client.close();
  await daemon.stop();
});

describe('System', () => {
  it('Version returns the daemon version', async () => {
    await expect(client.version()).resolves.toBe('1.2.3');
  });
});

describe('Networks', () => {
  it('Create passes every field decoded and returns the Docker inspect object', async () => {
    const spy = vi.spyOn(daemon.api, 'createNetwork');
    const req = {
      name: 'front',
      driver: 'bridge',
      subnets: ['10.1.0.0/24', '10.2.0.0/24'],
      gateways: ['10.1.0.254'],
      ipRanges: ['10.1.0.128/25'],
      auxAddresses: { router: '10.1.0.2' },
      ipamDriver: 'default',
      ipamOptions: { a: 'b' },
      options: { 'com.docker.network.bridge.name': 'br-front' },
      labels: { tier: 'web', empty: '' },
      internal: true,
      attachable: true,
      ipv6: true,
    };
    const created = await client.createNetwork(req);
    expect(spy).toHaveBeenCalledWith(req);
    expect(created).toEqual(await daemon.api.inspectNetwork('front'));
    expect(created.IPAM.Config[0]).toEqual({
      Subnet: '10.1.0.0/24',
      Gateway: '10.1.0.254',
      IPRange: '10.1.0.128/25',
      AuxiliaryAddresses: { router: '10.1.0.2' },
    });
    // Keys Docker leaves out when unset stay out.
    expect(Object.keys(created.IPAM.Config[1] ?? {})).toEqual(['Subnet', 'Gateway']);
  });

  it('Create leaves unset fields undefined (empty strings, lists and maps mean "not given")', async () => {
    const spy = vi.spyOn(daemon.api, 'createNetwork');
    await client.createNetwork({ name: 'plain', driver: '', subnets: [], labels: {} });
    const got = spy.mock.calls[0]?.[0];
    expect(got?.name).toBe('plain');
    expect(Object.entries(got ?? {}).filter(([, v]) => v !== undefined)).toEqual([['name', 'plain']]);
  });

  it('List passes filters and returns every network', async () => {
    await client.createNetwork({ name: 'a', labels: { env: 'prod' } });
    await client.createNetwork({ name: 'b', driver: 'macvlan' });
    const spy = vi.spyOn(daemon.api, 'listNetworks');
    expect((await client.listNetworks()).map((n) => n.Name)).toEqual(['bridge', 'host', 'none', 'a', 'b']);
    expect(spy).toHaveBeenLastCalledWith(undefined);
    const filtered = await client.listNetworks({ driver: ['macvlan', 'bridge'], label: ['env'] });
    expect(spy).toHaveBeenLastCalledWith({ driver: ['macvlan', 'bridge'], label: ['env'] });
    expect(filtered.map((n) => n.Name)).toEqual(['a']);
  });

  it('Inspect finds by name, id and id prefix', async () => {
    const net = await client.createNetwork({ name: 'x' });
    expect(await client.inspectNetwork('x')).toEqual(net);
    expect(await client.inspectNetwork(net.Id)).toEqual(net);
    expect(await client.inspectNetwork(net.Id.slice(0, 12))).toEqual(net);
  });

  it('Remove and Prune', async () => {
    await client.createNetwork({ name: 'gone' });
    await client.createNetwork({ name: 'p1' });
    await client.createNetwork({ name: 'p2' });
    await client.removeNetwork('gone');
    await expect(client.inspectNetwork('gone')).rejects.toMatchObject({ code: 'WEFT_NETWORK_NOT_FOUND' });
    expect(await client.pruneNetworks()).toEqual(['p1', 'p2']);
    expect(await client.pruneNetworks()).toEqual([]);
  });

  it('Connect and Disconnect', async () => {
    await client.createNetwork({ name: 'n', subnets: ['10.9.0.0/24'] });
    await client.createSandbox({ name: 's' });
    const connectSpy = vi.spyOn(daemon.api, 'connect');
    await client.connect({ network: 'n', sandbox: 's', ipv4: '10.9.0.7', aliases: ['web', 'www'] });
    expect(connectSpy).toHaveBeenCalledWith({ network: 'n', sandbox: 's', ipv4: '10.9.0.7', ipv6: undefined, aliases: ['web', 'www'] });
    const sbx = await client.inspectSandbox('s');
    expect(sbx.Networks.n).toMatchObject({ IPAddress: '10.9.0.7', IPPrefixLen: 24, Aliases: ['web', 'www'] });

    const disconnectSpy = vi.spyOn(daemon.api, 'disconnect');
    await client.disconnect('n', 's');
    expect(disconnectSpy).toHaveBeenLastCalledWith('n', 's', false);
    await client.disconnect('n', 's', true);
    expect(disconnectSpy).toHaveBeenLastCalledWith('n', 's', true);
    expect((await client.inspectSandbox('s')).Networks).toEqual({});
  });
});

describe('Sandboxes', () => {
  it('Create passes every field and returns the sandbox inspect object', async () => {
    await client.createNetwork({ name: 'n1', subnets: ['10.5.0.0/16'] });
    await client.createNetwork({ name: 'n2' });
    const spy = vi.spyOn(daemon.api, 'createSandbox');
    const req = {
      name: 'web',
      networks: ['n1', 'n2'],
      ipv4: '10.5.0.9',
      ipv6: 'fd00::9',
      aliases: ['w'],
      publish: ['8080:80', '127.0.0.1:5353:53/udp'],
      dns: ['1.1.1.1'],
      dnsSearch: ['example.org'],
      dnsOptions: ['ndots:2'],
      hostname: 'web.local',
    };
    const sbx = await client.createSandbox(req);
    expect(spy).toHaveBeenCalledWith(req);
    expect(sbx).toMatchObject({
      Name: 'web',
      SandboxKey: '/run/netns/weft-web',
      Hostname: 'web.local',
      Dns: ['1.1.1.1'],
      DnsSearch: ['example.org'],
      Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }] },
    });
    expect(Object.keys(sbx.Networks)).toEqual(['n1', 'n2']);
    expect(sbx.Networks.n1).toMatchObject({ IPAddress: '10.5.0.9', GlobalIPv6Address: 'fd00::9', Interface: 'eth0' });
  });

  it('List, Inspect and Remove', async () => {
    await client.createSandbox({ name: 'a' });
    await client.createSandbox({ name: 'b' });
    expect((await client.listSandboxes()).map((s) => s.Name)).toEqual(['a', 'b']);
    expect((await client.inspectSandbox('b')).Name).toBe('b');
    const spy = vi.spyOn(daemon.api, 'removeSandbox');
    await client.removeSandbox('a');
    expect(spy).toHaveBeenLastCalledWith('a', false);
    await client.removeSandbox('b', true);
    expect(spy).toHaveBeenLastCalledWith('b', true);
    expect(await client.listSandboxes()).toEqual([]);
  });
});
