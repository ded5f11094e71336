/**
 * The macvlan driver as a pure function: options → plan, parent → ops and
 * kernel requirements, conflicts with other networks on the parent, the
 * host shim, endpoints in a sandbox and on the Docker path, IPv6, join.
 * Plans are also applied to the fake kernel where that says more.
 */
import { describe, expect, it } from 'vitest';
import type { EndpointSpec, HostFacts, NetworkInfo, NetworkSpec, SubnetData } from '../../src/drivers/driver.js';
import { MacvlanDriver, WEFT_LINK_GROUP } from '../../src/drivers/index.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';

const driver = new MacvlanDriver();
const ID = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1b2';
const EP = 'e1e2e3e4e5e6e7e8e9e0e1e2e3e4e5e6e7e8e9e0e1e2e3e4e5e6e7e8e9e0e1e2';

const v4 = (subnet = '192.0.2.0/24', gateway = '192.0.2.254/24', aux: Record<string, string> = {}): SubnetData => ({
  poolId: `p-${subnet}`,
  subnet,
  gateway,
  auxAddresses: aux,
});

function spec(options: Record<string, string>, more: Partial<NetworkSpec> = {}): NetworkSpec {
  return { id: ID, name: 'lan', options, labels: {}, internal: false, attachable: false, ipv6: false, v4: [v4()], v6: [], ...more };
}

const facts = (presentLinks: string[], networks: NetworkInfo[] = []): HostFacts => ({ presentLinks, networks });

function network(s: NetworkSpec, host: HostFacts = facts(['eth1', 'eth1.10'])): NetworkInfo {
  return { ...s, driverData: driver.createNetwork(s, host).data };
}

const endpoint = (more: Partial<EndpointSpec> = {}): EndpointSpec => ({ id: EP, networkId: ID, addressV4: '192.0.2.7/24', options: {}, ...more });

describe('macvlan options', () => {
  it.each([
    [{ parent: 'eth1.0' }, 'parent'],
    [{ parent: 'eth1.4095' }, 'parent'],
    [{ parent: 'eth1.x' }, 'parent'],
    [{ parent: 'br.lan' }, 'parent'],
    [{ parent: 'a-very-long-name0' }, 'parent'],
    [{ parent: 'eth1', macvlan_mode: 'source' }, 'macvlan_mode'],
    [{ parent: 'eth1', 'weft.macvlan.host_shim': 'yes' }, 'weft.macvlan.host_shim'],
    [{ parent: 'eth1', macvlan_mode: 'private', 'weft.macvlan.host_shim': 'true' }, 'weft.macvlan.host_shim'],
    [{ parent: 'eth1', 'com.docker.network.driver.mtu': '20' }, 'com.docker.network.driver.mtu'],
  ])('refuses %j naming the option', (options, option) => {
    expect(() => driver.requirements(spec(options))).toThrow(expect.objectContaining({ code: 'WEFT_INVALID_OPTION', details: expect.objectContaining({ option }) }));
  });

  it('asks for the parent, and for the interface under a VLAN sub-interface', () => {
    expect(driver.requirements(spec({ parent: 'eth1' }))).toEqual({ links: ['eth1'] });
    expect(driver.requirements(spec({ parent: 'eth1.10' }))).toEqual({ links: ['eth1', 'eth1.10'] });
    expect(driver.requirements(spec({}))).toEqual({ links: [] });
  });

  it('has no published ports, uses IPAM, and is local with global connectivity', () => {
    expect(driver.capabilities()).toEqual({ scope: 'local', connectivityScope: 'global', usesIpam: true, portPublishing: false, attachesToHostLan: true });
  });
});

describe('macvlan network plans', () => {
  it('on an existing parent: nothing to create, no firewall intent, bridge mode by default', () => {
    const plan = driver.createNetwork(spec({ parent: 'eth1' }), facts(['eth1']));
    expect(plan).toEqual({ ops: [], data: { parent: 'eth1', parentOrigin: 'existing', mode: 'bridge', internal: false } });
  });

  it('keeps the mode and the MTU option', () => {
    const plan = driver.createNetwork(spec({ parent: 'eth1', macvlan_mode: 'vepa', 'com.docker.network.driver.mtu': '1400' }), facts(['eth1']));
    expect(plan.data).toMatchObject({ mode: 'vepa', mtu: 1400 });
  });

  it('a missing parent is WEFT_PARENT_NOT_FOUND; so is the interface under a VLAN sub-interface', () => {
    expect(() => driver.createNetwork(spec({ parent: 'eth9' }), facts(['eth1']))).toThrow(
      expect.objectContaining({ code: 'WEFT_PARENT_NOT_FOUND', kind: 'NotFound', message: 'parent interface eth9 not found' }),
    );
    expect(() => driver.createNetwork(spec({ parent: 'eth9.10' }), facts(['eth1']))).toThrow(
      expect.objectContaining({ code: 'WEFT_PARENT_NOT_FOUND', message: expect.stringMatching(/^parent interface eth9 not found \(.*eth9\.10\)$/) }),
    );
  });

  it('a missing VLAN sub-interface is added (weft link group, up) and needs 802.1q', () => {
    const plan = driver.createNetwork(spec({ parent: 'eth1.10' }), facts(['eth1']));
    expect(plan.ops).toEqual([{ op: 'link.add', link: { name: 'eth1.10', kind: 'vlan', up: true, group: WEFT_LINK_GROUP, vlan: { parent: 'eth1', id: 10 } } }]);
    expect(plan.requires).toEqual([{ feature: 'vlan', purpose: expect.stringMatching(/802\.1q/) }]);
    expect(plan.data).toMatchObject({ parent: 'eth1.10', parentOrigin: 'vlan' });
  });

  it('a VLAN sub-interface a weft network made is shared: the next network adds it too; one weft did not make is left alone', () => {
    const first = network(spec({ parent: 'eth1.10' }), facts(['eth1']));
    const second = driver.createNetwork(spec({ parent: 'eth1.10' }, { id: `${ID}2`, v4: [v4('198.51.100.0/24', '198.51.100.1/24')] }), facts(['eth1', 'eth1.10'], [first]));
    expect(second.ops).toEqual(driver.createNetwork(spec({ parent: 'eth1.10' }), facts(['eth1'])).ops);
    expect(second.data.parentOrigin).toBe('vlan');

    const own = driver.createNetwork(spec({ parent: 'eth1.20' }), facts(['eth1', 'eth1.20'], [first]));
    expect(own).toMatchObject({ ops: [], data: { parent: 'eth1.20', parentOrigin: 'existing' } });
    expect(own.requires).toBeUndefined();
  });

  it('without a parent: an internal network on a dummy parent, which needs dummy', () => {
    const plan = driver.createNetwork(spec({}), facts([]));
    const dummy = `wd${ID.slice(0, 12)}`;
    expect(plan.ops).toEqual([{ op: 'link.add', link: { name: dummy, kind: 'dummy', up: true, group: WEFT_LINK_GROUP } }]);
    expect(plan.requires).toEqual([{ feature: 'dummy', purpose: expect.stringContaining('without a parent') }]);
    expect(plan.data).toMatchObject({ parent: dummy, parentOrigin: 'dummy', internal: true });
  });

  it('without host facts, takes the parent as given', () => {
    expect(driver.createNetwork(spec({ parent: 'eth1.10' })).ops).toEqual([]);
  });
});

describe('macvlan conflicts on one parent', () => {
  const other = (options: Record<string, string>, subnet = '198.51.100.0/24') =>
    network(spec(options, { id: `${ID}9`, name: 'other', v4: [v4(subnet, subnet.replace('0/24', '1/24'))] }), facts(['eth1']));

  it('refuses a subnet overlapping another network on the same parent, naming it', () => {
    const peer = other({ parent: 'eth1' }, '192.0.2.0/24');
    expect(() => driver.createNetwork(spec({ parent: 'eth1' }), facts(['eth1'], [peer]))).toThrow(
      expect.objectContaining({
        code: 'WEFT_PARENT_IN_USE',
        kind: 'Conflict',
        message: 'subnet 192.0.2.0/24 overlaps subnet 192.0.2.0/24 of macvlan network other on the same parent interface eth1',
      }),
    );
  });

  it('refuses IPv6 overlaps too', () => {
    const v6 = { poolId: 'p6', subnet: 'fd00:1::/64', gateway: 'fd00:1::1/64', auxAddresses: {} };
    const peer = network(spec({ parent: 'eth1' }, { id: `${ID}9`, name: 'other', v4: [v4('198.51.100.0/24', '198.51.100.1/24')], ipv6: true, v6: [v6] }), facts(['eth1']));
    const mine = spec({ parent: 'eth1' }, { ipv6: true, v6: [{ ...v6, subnet: 'fd00:1::/48', gateway: 'fd00:1::fe/48' }] });
    expect(() => driver.createNetwork(mine, facts(['eth1'], [peer]))).toThrow(expect.objectContaining({ code: 'WEFT_PARENT_IN_USE' }));
  });

  it('refuses passthru beside any other network, and any network beside a passthru one', () => {
    const peer = other({ parent: 'eth1' });
    expect(() => driver.createNetwork(spec({ parent: 'eth1', macvlan_mode: 'passthru' }), facts(['eth1'], [peer]))).toThrow(
      expect.objectContaining({ code: 'WEFT_PARENT_IN_USE', message: expect.stringContaining('passthru') }),
    );
    const passthru = other({ parent: 'eth1', macvlan_mode: 'passthru' });
    expect(() => driver.createNetwork(spec({ parent: 'eth1' }), facts(['eth1'], [passthru]))).toThrow(
      expect.objectContaining({ code: 'WEFT_PARENT_IN_USE', message: expect.stringContaining('other in passthru mode') }),
    );
  });

  it('networks on different parents or with disjoint subnets coexist, whatever the modes', () => {
    const peer = other({ parent: 'eth1', macvlan_mode: 'private' });
    expect(() => driver.createNetwork(spec({ parent: 'eth1' }), facts(['eth1'], [peer]))).not.toThrow();
    const overlapping = other({ parent: 'eth1.10' }, '192.0.2.0/24');
    expect(() => driver.createNetwork(spec({ parent: 'eth1', macvlan_mode: 'passthru' }), facts(['eth1'], [overlapping]))).not.toThrow();
  });
});

describe('macvlan host shim', () => {
  const shim = `wh${ID.slice(0, 12)}`;

  it('is a bridge-mode macvlan of the daemon namespace on the parent, with the host_shim aux addresses as /32 and /128', () => {
    const v6 = { poolId: 'p6', subnet: 'fd00:192::/64', gateway: 'fd00:192::fe/64', auxAddresses: { host_shim: 'fd00:192::fa' } };
    const s = spec({ parent: 'eth1', 'weft.macvlan.host_shim': 'true' }, { v4: [v4(undefined, undefined, { host_shim: '192.0.2.250' })], ipv6: true, v6: [v6] });
    const plan = driver.createNetwork(s, facts(['eth1']));
    expect(plan.ops).toEqual([
      { op: 'link.add', link: { name: shim, kind: 'macvlan', mac: '02:42:c0:00:02:fa', up: true, group: WEFT_LINK_GROUP, macvlan: { parent: 'eth1', mode: 'bridge' } } },
      { op: 'addr.add', dev: shim, cidr: '192.0.2.250/32' },
      { op: 'addr.add', dev: shim, cidr: 'fd00:192::fa/128' },
    ]);
    expect(plan.data.shim).toBe(shim);
    expect(plan.firewall).toBeUndefined();
  });

  it('without a host_shim aux address has no address of its own; it sits on a made VLAN parent after it', () => {
    const plan = driver.createNetwork(spec({ parent: 'eth1.10', 'weft.macvlan.host_shim': '1' }), facts(['eth1']));
    expect(plan.ops.map((op) => op.op)).toEqual(['link.add', 'link.add']);
    expect(plan.ops[1]).toMatchObject({ link: { name: shim, macvlan: { parent: 'eth1.10', mode: 'bridge' } } });
  });
});

describe('macvlan endpoints', () => {
  it('in a sandbox: the macvlan made there on the daemon-namespace parent, MAC from the IPv4 address, default route via the gateway', () => {
    const net = network(spec({ parent: 'eth1', macvlan_mode: 'private' }));
    const plan = driver.createEndpoint(net, endpoint(), { kind: 'netns', netns: 'sb1', ifname: 'eth0', defaultGateway: true });
    expect(plan.mac).toBe('02:42:c0:00:02:07');
    expect(plan.ops).toEqual([
      {
        op: 'link.add',
        ns: 'sb1',
        link: { name: 'eth0', kind: 'macvlan', mac: '02:42:c0:00:02:07', group: WEFT_LINK_GROUP, macvlan: { parent: 'eth1', mode: 'private', parentNs: null } },
      },
      { op: 'link.set', ns: 'sb1', name: 'eth0', set: { up: true } },
      { op: 'addr.add', ns: 'sb1', dev: 'eth0', cidr: '192.0.2.7/24' },
      { op: 'route.add', ns: 'sb1', route: { dst: 'default', family: 4, via: '192.0.2.254', dev: 'eth0' } },
    ]);
    expect(plan.hostDevices).toEqual([]);
    expect(plan.srcName).toBeUndefined();
  });

  it('IPv6: the address with its prefix and a default route via the IPv6 gateway', () => {
    const v6 = { poolId: 'p6', subnet: 'fd00:192::/64', gateway: 'fd00:192::fe/64', auxAddresses: {} };
    const net = network(spec({ parent: 'eth1', 'com.docker.network.driver.mtu': '1400' }, { ipv6: true, v6: [v6] }));
    const plan = driver.createEndpoint(net, endpoint({ addressV6: 'fd00:192::7/64' }), { kind: 'netns', netns: 'sb1', ifname: 'eth1', defaultGateway: true });
    expect(plan.ops[0]).toMatchObject({ link: { mtu: 1400 } });
    expect(plan.ops.slice(2)).toEqual([
      { op: 'addr.add', ns: 'sb1', dev: 'eth1', cidr: '192.0.2.7/24' },
      { op: 'addr.add', ns: 'sb1', dev: 'eth1', cidr: 'fd00:192::7/64' },
      { op: 'route.add', ns: 'sb1', route: { dst: 'default', family: 4, via: '192.0.2.254', dev: 'eth1' } },
      { op: 'route.add', ns: 'sb1', route: { dst: 'default', family: 6, via: 'fd00:192::fe', dev: 'eth1' } },
    ]);
  });

  it('no default route on internal networks or when another endpoint provides it', () => {
    const internal = network(spec({ parent: 'eth1' }, { internal: true }));
    const a = driver.createEndpoint(internal, endpoint(), { kind: 'netns', netns: 'sb1', ifname: 'eth0', defaultGateway: true });
    const b = driver.createEndpoint(network(spec({ parent: 'eth1' })), endpoint(), { kind: 'netns', netns: 'sb1', ifname: 'eth0', defaultGateway: false });
    for (const plan of [a, b]) expect(plan.ops.filter((op) => op.op === 'route.add')).toEqual([]);
  });

  it('with a host shim: a host route to each address via the shim', () => {
    const net = network(spec({ parent: 'eth1', 'weft.macvlan.host_shim': 'true' }, { ipv6: true, v6: [{ poolId: 'p6', subnet: 'fd00:192::/64', gateway: 'fd00:192::fe/64', auxAddresses: {} }] }));
    const plan = driver.createEndpoint(net, endpoint({ addressV6: 'fd00:192::7/64' }), { kind: 'netns', netns: 'sb1', ifname: 'eth0', defaultGateway: false });
    const shim = `wh${ID.slice(0, 12)}`;
    expect(plan.ops.filter((op) => op.op === 'route.add' && op.ns === undefined)).toEqual([
      { op: 'route.add', route: { dst: '192.0.2.7/32', dev: shim } },
      { op: 'route.add', route: { dst: 'fd00:192::7/128', dev: shim } },
    ]);
  });

  it('on the Docker path: a wm… macvlan in the daemon namespace for the engine to move, and Join names it', () => {
    const net = network(spec({ parent: 'eth1' }));
    const plan = driver.createEndpoint(net, endpoint(), { kind: 'host' });
    const name = `wm${EP.slice(0, 12)}`;
    expect(plan.ops).toEqual([
      { op: 'link.add', link: { name, kind: 'macvlan', mac: '02:42:c0:00:02:07', group: WEFT_LINK_GROUP, macvlan: { parent: 'eth1', mode: 'bridge' } } },
    ]);
    expect(plan).toMatchObject({ srcName: name, data: { srcName: name } });
    const join = driver.join(net, { ...endpoint(), driverData: plan.data });
    expect(join).toEqual({ interfaceName: { srcName: name, dstPrefix: 'eth' }, gateway: '192.0.2.254', staticRoutes: [], disableGatewayService: false });
  });

  it('Join gives no gateway on internal networks and the IPv6 one when the endpoint has IPv6', () => {
    const internal = network(spec({ parent: 'eth1' }, { internal: true }));
    expect(driver.join(internal, { ...endpoint(), driverData: {} })).toEqual({ staticRoutes: [], disableGatewayService: false });
    const v6 = { poolId: 'p6', subnet: 'fd00:192::/64', gateway: 'fd00:192::fe/64', auxAddresses: {} };
    const dual = network(spec({ parent: 'eth1' }, { ipv6: true, v6: [v6] }));
    expect(driver.join(dual, { ...endpoint({ addressV6: 'fd00:192::7/64' }), driverData: {} })).toMatchObject({ gateway: '192.0.2.254', gatewayV6: 'fd00:192::fe' });
  });

  it('refuses driver data it did not write', () => {
    const net: NetworkInfo = { ...spec({ parent: 'eth1' }), driverData: { parent: 'eth1' } };
    expect(() => driver.createEndpoint(net, endpoint(), { kind: 'host' })).toThrow(expect.objectContaining({ code: 'WEFT_INTERNAL' }));
  });
});

describe('macvlan plans on the fake kernel', () => {
  it('network, shim and two sandbox endpoints apply, and their teardowns leave the model as before', async () => {
    const kernel = new FakeKernel({ hostLinks: [{ name: 'eth1' }] });
    const before = kernel.snapshot();
    const net = network(spec({ parent: 'eth1', 'weft.macvlan.host_shim': 'true' }, { v4: [v4(undefined, undefined, { host_shim: '192.0.2.250' })] }));
    const netOps = await kernel.apply(driver.createNetwork(net, facts(['eth1'])).ops);
    const epOps = [];
    for (const [i, sb] of ['sb1', 'sb2'].entries()) {
      await kernel.apply([{ op: 'netns.add', name: sb }]);
      const plan = driver.createEndpoint(net, endpoint({ id: `${EP}${i}`, addressV4: `192.0.2.${10 + i}/24` }), { kind: 'netns', netns: sb, ifname: 'eth0', defaultGateway: true });
      epOps.push(await kernel.apply(plan.ops));
    }
    expect((await kernel.links('sb2')).find((l) => l.name === 'eth0')).toMatchObject({ kind: 'macvlan', mac: '02:42:c0:00:02:0b', up: true });
    expect((await kernel.routes()).filter((r) => r.dev === `wh${ID.slice(0, 12)}`).map((r) => r.dst)).toEqual(expect.arrayContaining(['192.0.2.10/32', '192.0.2.11/32']));
    for (const ops of epOps.reverse()) await kernel.teardown(ops);
    await kernel.teardown(netOps);
    await kernel.apply([{ op: 'netns.del', name: 'sb1' }, { op: 'netns.del', name: 'sb2' }]);
    expect(kernel.snapshot()).toEqual(before);
  });
});
