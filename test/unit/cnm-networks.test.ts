/**
 * The controller's networks over the fake kernel, a MemoryStore and the
 * default IPAM: the predefined networks at start, `network create` in
 * Docker's inspect shape, every refusal leaving kernel, IPAM and records as
 * they were, removal and prune.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NetworkCreateRequest } from '../../src/cnm/api-types.js';
import { WEFT_LINK_GROUP } from '../../src/drivers/index.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { restartTestDaemon, snapshotState, startTestDaemon, type TestDaemon } from '../helpers/cnm-harness.js';

type Daemon = TestDaemon;
const startDaemon = startTestDaemon;
const restart = restartTestDaemon;
const state = snapshotState;





const HEX_ID = /^[0-9a-f]{64}$/;

describe('controller start', () => {
  it('makes the predefined networks bridge (Linux bridge weft0), host and none', async () => {
    const d = await startDaemon();
    const nets = await d.controller.listNetworks();
    expect(nets.map((n) => [n.Name, n.Driver, n.Scope])).toEqual([
      ['bridge', 'bridge', 'local'],
      ['host', 'host', 'local'],
      ['none', 'null', 'local'],
    ]);
    const bridge = nets[0]!;
    expect(bridge.Options['com.docker.network.bridge.name']).toBe('weft0');
    expect(bridge.IPAM.Config).toHaveLength(1);
    const gateway = bridge.IPAM.Config[0]!.Gateway!;
    const weft0 = (await d.kernel.links()).find((l) => l.name === 'weft0');
    expect(weft0).toMatchObject({ kind: 'bridge', up: true, group: WEFT_LINK_GROUP });
    const prefix = bridge.IPAM.Config[0]!.Subnet.split('/')[1];
    expect(await d.kernel.addresses()).toContainEqual({ dev: 'weft0', cidr: `${gateway}/${prefix}`, family: 4 });
    expect(nets[1]!.IPAM.Config).toEqual([]);
    expect(nets[2]!.IPAM.Config).toEqual([]);
    expect(d.report).toEqual({ intentsUndone: [], sandboxesGone: [], orphanLinks: [], addressesFreed: [], errors: [] });
  });

  it('turns on IPv4 forwarding in the daemon namespace', async () => {
    const kernel = new FakeKernel();
    expect(await kernel.sysctlGet('net.ipv4.ip_forward')).toBe('0');
    await startDaemon({ kernel });
    expect(await kernel.sysctlGet('net.ipv4.ip_forward')).toBe('1');
  });

  it('does not make the predefined networks again on a second start over the same store and kernel', async () => {
    const first = await startDaemon();
    const before = await first.controller.listNetworks();
    const links = await first.kernel.links();
    const second = await restart(first);
    const after = await second.controller.listNetworks();
    expect(after.map((n) => [n.Name, n.Id])).toEqual(before.map((n) => [n.Name, n.Id]));
    expect(await second.kernel.links()).toEqual(links);
    expect(await second.store.list('cnm/network/')).toHaveLength(3);
    expect(second.report.errors).toEqual([]);
  });
});

describe('network create', () => {
  let d: Daemon;
  beforeEach(async () => {
    d = await startDaemon();
  });

  it('answers in the shape of docker network inspect, with explicit subnet, gateway, range and aux address', async () => {
    const created = await d.controller.createNetwork({
      name: 'front',
      subnets: ['10.5.0.0/24'],
      gateways: ['10.5.0.254'],
      ipRanges: ['10.5.0.128/25'],
      auxAddresses: { printer: '10.5.0.5' },
      options: { 'com.docker.network.driver.mtu': '1400' },
      labels: { team: 'net' },
    });
    expect(created).toEqual({
      Name: 'front',
      Id: expect.stringMatching(HEX_ID),
      Created: expect.any(String),
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      IPAM: {
        Driver: 'default',
        Options: {},
        Config: [{ Subnet: '10.5.0.0/24', IPRange: '10.5.0.128/25', Gateway: '10.5.0.254', AuxiliaryAddresses: { printer: '10.5.0.5' } }],
      },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: {},
      Options: { 'com.docker.network.driver.mtu': '1400' },
      Labels: { team: 'net' },
    });
    expect(new Date(created.Created).toISOString()).toBe(created.Created);
    expect(await d.controller.inspectNetwork('front')).toEqual(created);
    const bridge = (await d.kernel.links()).find((l) => l.kind === 'bridge' && l.name !== 'weft0')!;
    expect(bridge.mtu).toBe(1400);
    expect(await d.kernel.addresses()).toContainEqual({ dev: bridge.name, cidr: '10.5.0.254/24', family: 4 });
  });

  it('lists the sandboxes on a network under Containers', async () => {
    await d.controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'] });
    const sb = await d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.7' });
    const { Containers } = await d.controller.inspectNetwork('front');
    expect(Containers).toEqual({
      [sb.Id]: { Name: 'web', EndpointID: sb.Networks.front!.EndpointID, MacAddress: sb.Networks.front!.MacAddress, IPv4Address: '10.5.0.7/24', IPv6Address: '' },
    });
  });

  it('chooses a distinct subnet for each network without --subnet', async () => {
    const a = await d.controller.createNetwork({ name: 'a' });
    const b = await d.controller.createNetwork({ name: 'b' });
    const bridge = await d.controller.inspectNetwork('bridge');
    const subnets = [a, b, bridge].map((n) => n.IPAM.Config[0]!.Subnet);
    expect(new Set(subnets).size).toBe(3);
    for (const n of [a, b]) {
      const [config] = n.IPAM.Config;
      expect(config!.Gateway).toBe(config!.Subnet.replace(/0\/\d+$/, '1'));
    }
  });

  it('with --ipv6 and no v6 subnet adds an automatic IPv6 subnet, distinct per network', async () => {
    const a = await d.controller.createNetwork({ name: 'a', ipv6: true });
    const b = await d.controller.createNetwork({ name: 'b', ipv6: true });
    expect(a.EnableIPv6).toBe(true);
    expect(a.IPAM.Config).toHaveLength(2);
    const [v4, v6] = a.IPAM.Config;
    expect(v4!.Subnet).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    expect(v6!.Subnet).toMatch(/^[0-9a-f:]+\/64$/);
    expect(v6!.Gateway).toMatch(/^[0-9a-f:]+::1$/);
    expect(b.IPAM.Config[1]!.Subnet).not.toBe(v6!.Subnet);
  });

  it('with --ipv6 and an explicit v6 subnet adds an automatic IPv4 subnet and puts both gateways on the bridge', async () => {
    const net = await d.controller.createNetwork({ name: 'six', ipv6: true, subnets: ['fd00:0001::/64'], gateways: ['fd00:1::fe'] });
    expect(net.IPAM.Config).toEqual([
      { Subnet: expect.stringMatching(/^\d+\.\d+\.\d+\.0\/24$/), Gateway: expect.any(String) },
      { Subnet: 'fd00:1::/64', Gateway: 'fd00:1::fe' },
    ]);
    const addresses = await d.kernel.addresses();
    expect(addresses).toContainEqual(expect.objectContaining({ cidr: 'fd00:1::fe/64', family: 6 }));
    expect(addresses).toContainEqual(expect.objectContaining({ cidr: `${net.IPAM.Config[0]!.Gateway}/24`, family: 4 }));
  });
});

interface RefusedCase {
  title: string;
  req: NetworkCreateRequest;
  code: string;
  message?: string;
  /** Made before the state is taken. */
  setup?: NetworkCreateRequest;
}

// Every case that names a subnet uses 10.7.0.0/24, so a pool left behind makes the create that follows fail.
const REFUSED: RefusedCase[] = [
  { title: 'a duplicate name', setup: { name: 'front', subnets: ['10.9.0.0/24'] }, req: { name: 'front', subnets: ['10.7.0.0/24'] }, code: 'WEFT_NETWORK_EXISTS', message: 'network with name front already exists' },
  { title: 'a bad name', req: { name: '-front', subnets: ['10.7.0.0/24'] }, code: 'WEFT_INVALID_ARGUMENT' },
  { title: 'an empty name', req: { name: '' }, code: 'WEFT_INVALID_ARGUMENT' },
  { title: 'a subnet overlapping an existing network', setup: { name: 'taken', subnets: ['10.8.0.0/16'] }, req: { name: 'x', subnets: ['10.8.1.0/24'] }, code: 'WEFT_POOL_OVERLAP' },
  { title: 'two overlapping --subnet flags', req: { name: 'x', subnets: ['10.7.0.0/24', '10.7.0.0/16'] }, code: 'WEFT_POOL_OVERLAP', message: 'subnets 10.7.0.0/24 and 10.7.0.0/16 overlap' },
  { title: 'a gateway outside the subnet', req: { name: 'x', subnets: ['10.7.0.0/24'], gateways: ['10.7.1.1'] }, code: 'WEFT_INVALID_ARGUMENT', message: 'no matching subnet for gateway 10.7.1.1' },
  { title: 'a gateway without a subnet', req: { name: 'x', gateways: ['10.7.0.1'] }, code: 'WEFT_INVALID_ARGUMENT', message: 'no matching subnet for gateway 10.7.0.1' },
  { title: 'two gateways for one subnet', req: { name: 'x', subnets: ['10.7.0.0/24'], gateways: ['10.7.0.1', '10.7.0.2'] }, code: 'WEFT_INVALID_ARGUMENT' },
  { title: 'a range outside the subnet', req: { name: 'x', subnets: ['10.7.0.0/24'], ipRanges: ['10.7.1.0/25'] }, code: 'WEFT_INVALID_ARGUMENT', message: 'no matching subnet for range 10.7.1.0/25' },
  { title: 'an aux address outside the subnet', req: { name: 'x', subnets: ['10.7.0.0/24'], auxAddresses: { a: '10.7.1.5' } }, code: 'WEFT_INVALID_ARGUMENT', message: 'no matching subnet for aux-address 10.7.1.5' },
  { title: 'an aux address that is the gateway (refused by IPAM)', req: { name: 'x', subnets: ['10.7.0.0/24'], gateways: ['10.7.0.1'], auxAddresses: { a: '10.7.0.1' } }, code: 'WEFT_ADDRESS_IN_USE' },
  { title: 'a v6 subnet without --ipv6', req: { name: 'x', subnets: ['10.7.0.0/24', 'fd00:7::/64'] }, code: 'WEFT_INVALID_ARGUMENT', message: 'an IPv6 subnet needs --ipv6' },
  { title: 'a subnet for the host driver', req: { name: 'x', driver: 'host', subnets: ['10.7.0.0/24'] }, code: 'WEFT_INVALID_ARGUMENT', message: 'driver host does not take subnets' },
  { title: 'an unknown driver', req: { name: 'x', driver: 'vxlan9', subnets: ['10.7.0.0/24'] }, code: 'WEFT_UNKNOWN_DRIVER' },
  { title: 'an unknown IPAM driver', req: { name: 'x', ipamDriver: 'infoblox', subnets: ['10.7.0.0/24'] }, code: 'WEFT_UNKNOWN_DRIVER' },
  // Driver options are checked after IPAM has handed out the pool and gateway, which must go back.
  { title: 'a bad MTU option (explicit subnet)', req: { name: 'x', subnets: ['10.7.0.0/24'], options: { 'com.docker.network.driver.mtu': 'big' } }, code: 'WEFT_INVALID_OPTION' },
  { title: 'a bad boolean option (automatic subnet)', req: { name: 'x', ipv6: true, options: { 'com.docker.network.bridge.enable_icc': 'maybe' } }, code: 'WEFT_INVALID_OPTION' },
  { title: 'a bridge name too long (automatic subnet)', req: { name: 'x', options: { 'com.docker.network.bridge.name': 'a-very-long-bridge-name' } }, code: 'WEFT_INVALID_OPTION' },
];

describe('network create refused', () => {
  /** The automatic subnets a fresh daemon hands to its first user networks (v4, then v6). */
  let firstAuto: string[];
  beforeAll(async () => {
    const probe = await startDaemon();
    firstAuto = (await probe.controller.createNetwork({ name: 'probe', ipv6: true })).IPAM.Config.map((c) => c.Subnet);
  });

  it.each(REFUSED)('$title: $code, and kernel, IPAM and records are untouched', async ({ req, code, message, setup }) => {
    const d = await startDaemon();
    if (setup) await d.controller.createNetwork(setup);
    const before = await state(d);
    const failure = d.controller.createNetwork(req);
    await expect(failure).rejects.toMatchObject({ name: 'WeftError', code });
    if (message) await expect(failure).rejects.toThrow(message);
    expect(await state(d)).toEqual(before);
    // IPAM holds nothing new: the explicit subnet and its gateway are free, the automatic choice is the usual one.
    const again = await d.controller.createNetwork({ name: 'after', subnets: ['10.7.0.0/24'], gateways: ['10.7.0.1'] });
    expect(again.IPAM.Config).toEqual([{ Subnet: '10.7.0.0/24', Gateway: '10.7.0.1' }]);
    const auto = await d.controller.createNetwork({ name: 'auto', ipv6: true });
    expect(auto.IPAM.Config.map((c) => c.Subnet)).toEqual(firstAuto);
  });
});

describe('network remove and prune', () => {
  let d: Daemon;
  beforeEach(async () => {
    d = await startDaemon();
  });

  it('refuses a network with endpoints: WEFT_NETWORK_IN_USE', async () => {
    await d.controller.createNetwork({ name: 'front' });
    await d.controller.createSandbox({ name: 'web', networks: ['front'] });
    const before = await state(d);
    await expect(d.controller.removeNetwork('front')).rejects.toMatchObject({ code: 'WEFT_NETWORK_IN_USE', message: expect.stringContaining('front') });
    expect(await state(d)).toEqual(before);
  });

  it.each(['bridge', 'host', 'none'])('refuses the predefined network %s: WEFT_PREDEFINED_NETWORK', async (name) => {
    const before = await state(d);
    await expect(d.controller.removeNetwork(name)).rejects.toMatchObject({
      code: 'WEFT_PREDEFINED_NETWORK',
      message: `${name} is a pre-defined network and cannot be removed`,
    });
    expect(await state(d)).toEqual(before);
  });

  it('refuses an unknown network: WEFT_NETWORK_NOT_FOUND', async () => {
    await expect(d.controller.removeNetwork('ghost')).rejects.toMatchObject({ code: 'WEFT_NETWORK_NOT_FOUND', message: 'network ghost not found' });
  });

  it('leaves kernel, firewall, IPAM and records as they were before the create', async () => {
    const before = await state(d);
    await d.controller.createNetwork({ name: 'front', ipv6: true, subnets: ['10.5.0.0/24'], auxAddresses: { a: '10.5.0.9' } });
    expect(await state(d)).not.toEqual(before);
    await d.controller.removeNetwork('front');
    expect(await state(d)).toEqual(before);
    await expect(d.controller.inspectNetwork('front')).rejects.toMatchObject({ code: 'WEFT_NETWORK_NOT_FOUND' });
  });

  it('can remove a network once its last sandbox left', async () => {
    const before = await state(d);
    await d.controller.createNetwork({ name: 'front' });
    await d.controller.createSandbox({ name: 'web', networks: ['front'] });
    await d.controller.removeSandbox('web');
    await d.controller.removeNetwork('front');
    expect(await state(d)).toEqual(before);
  });

  it('prune removes only unused, non-predefined networks and returns their names', async () => {
    for (const name of ['c', 'a', 'busy']) await d.controller.createNetwork({ name });
    await d.controller.createSandbox({ name: 'web', networks: ['busy'] });
    expect(await d.controller.pruneNetworks()).toEqual(['a', 'c']);
    expect((await d.controller.listNetworks()).map((n) => n.Name)).toEqual(['bridge', 'busy', 'host', 'none']);
    expect(await d.controller.pruneNetworks()).toEqual([]);
  });
});
