/**
 * The bridge driver's plans, applied to the fake kernel and checked against
 * its model; teardown (the reversed inverse of what was applied) must leave
 * the model exactly as it started.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { BridgeDriver, WEFT_LINK_GROUP } from '../../src/drivers/index.js';
import type { EndpointPlacement, EndpointSpec, NetworkInfo, NetworkSpec } from '../../src/drivers/driver.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import type { KernelOp } from '../../src/kernel/ops.js';

const NET_ID = '3f2a9c1d5e7b4a6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e';
const EP_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const EP_B = 'b1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

function networkSpec(overrides: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    id: NET_ID,
    name: 'front',
    options: {},
    labels: {},
    internal: false,
    attachable: false,
    ipv6: false,
    v4: [{ poolId: 'p4', subnet: '10.1.0.0/24', gateway: '10.1.0.1/24', auxAddresses: {} }],
    v6: [],
    ...overrides,
  };
}

const withV6: Partial<NetworkSpec> = {
  ipv6: true,
  v6: [{ poolId: 'p6', subnet: 'fd00:1::/64', gateway: 'fd00:1::1/64', auxAddresses: {} }],
};

const endpoint = (id: string, v4: string, v6?: string): EndpointSpec => ({
  id,
  networkId: NET_ID,
  addressV4: v4,
  ...(v6 !== undefined && { addressV6: v6 }),
  options: {},
});

const inSandbox = (netns: string, defaultGateway = true): EndpointPlacement => ({ kind: 'netns', netns, ifname: 'eth0', defaultGateway });

describe('bridge driver', () => {
  const driver = new BridgeDriver();
  let kernel: FakeKernel;
  let applied: KernelOp[][];

  beforeEach(() => {
    kernel = new FakeKernel({ hostSysctls: { 'net.ipv4.ip_forward': '1' } });
    applied = [];
  });

  /** Apply and remember what was applied (with prev values), as the controller persists it. */
  async function apply(ops: KernelOp[]): Promise<void> {
    applied.push(await kernel.apply(ops));
  }

  async function teardownAll(): Promise<void> {
    for (const ops of applied.reverse()) await kernel.teardown(ops);
  }

  async function network(spec: NetworkSpec): Promise<NetworkInfo> {
    const plan = driver.createNetwork(spec);
    await apply(plan.ops);
    return { ...spec, driverData: plan.data };
  }

  it('reports local scope, IPAM and port publishing', () => {
    expect(driver.name).toBe('bridge');
    expect(driver.capabilities()).toEqual({ scope: 'local', connectivityScope: 'local', usesIpam: true, portPublishing: true });
  });

  it('creates a bridge named weft-<10 hex of the id> with the gateway, in the weft link group', async () => {
    const before = kernel.snapshot();
    const plan = driver.createNetwork(networkSpec());
    expect(plan.data).toEqual({ bridge: 'weft-3f2a9c1d5e', mtu: 1500, icc: true, masquerade: true, internal: false });
    await apply(plan.ops);
    const bridge = (await kernel.links()).find((l) => l.name === 'weft-3f2a9c1d5e');
    expect(bridge).toMatchObject({ kind: 'bridge', up: true, mtu: 1500, group: WEFT_LINK_GROUP, mac: '02:42:0a:01:00:01' });
    expect(await kernel.addresses()).toContainEqual({ dev: 'weft-3f2a9c1d5e', cidr: '10.1.0.1/24', family: 4 });
    expect(await kernel.routes()).toContainEqual(expect.objectContaining({ dst: '10.1.0.0/24', dev: 'weft-3f2a9c1d5e' }));
    expect(await kernel.sysctlGet('net.ipv4.conf.weft-3f2a9c1d5e.route_localnet')).toBe('1');
    expect(await kernel.sysctlGet('net.ipv6.conf.weft-3f2a9c1d5e.disable_ipv6')).toBe('1');
    expect(plan.firewall).toEqual({
      devices: ['weft-3f2a9c1d5e'],
      subnets: ['10.1.0.0/24'],
      masquerade: true,
      icc: true,
      internal: false,
      bridge: 'weft-3f2a9c1d5e',
    });
    // Never global sysctls: they are the controller's, shared by all networks.
    expect(plan.ops.filter((o) => o.op === 'sysctl.set' && !o.key.includes('weft-3f2a9c1d5e'))).toEqual([]);
    await teardownAll();
    expect(kernel.snapshot()).toEqual(before);
  });

  it('connects a sandbox: veth peer created in the sandbox as eth0, MAC from the address, default route', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }]);
    const before = kernel.snapshot();
    const net = await network(networkSpec());
    const plan = driver.createEndpoint(net, endpoint(EP_A, '10.1.0.2/24'), inSandbox('sb1'));
    expect(plan.mac).toBe('02:42:0a:01:00:02');
    expect(plan.data).toEqual({ hostDevice: 'wva1b2c3d4e5f6' });
    expect(plan.hostDevices).toEqual(['wva1b2c3d4e5f6']);
    expect(plan.srcName).toBeUndefined();
    await apply(plan.ops);

    expect((await kernel.links()).find((l) => l.name === 'wva1b2c3d4e5f6')).toMatchObject({
      kind: 'veth', master: 'weft-3f2a9c1d5e', up: true, group: WEFT_LINK_GROUP, mtu: 1500,
    });
    expect((await kernel.links('sb1')).find((l) => l.name === 'eth0')).toMatchObject({ kind: 'veth', up: true, mac: '02:42:0a:01:00:02' });
    expect(await kernel.addresses('sb1')).toContainEqual({ dev: 'eth0', cidr: '10.1.0.2/24', family: 4 });
    expect(await kernel.routes('sb1')).toContainEqual(expect.objectContaining({ dst: 'default', via: '10.1.0.1', dev: 'eth0' }));
    expect(driver.join(net, { ...endpoint(EP_A, '10.1.0.2/24'), driverData: plan.data })).toEqual({
      gateway: '10.1.0.1',
      staticRoutes: [],
      disableGatewayService: false,
    });

    await teardownAll();
    expect(kernel.snapshot()).toEqual(before);
  });

  it('adds no default route for an endpoint that does not provide the default gateway', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }]);
    const net = await network(networkSpec());
    await apply(driver.createEndpoint(net, endpoint(EP_A, '10.1.0.2/24'), inSandbox('sb1', false)).ops);
    expect((await kernel.routes('sb1')).filter((r) => r.dst === 'default')).toEqual([]);
  });

  it('honours a custom bridge name and MTU on the bridge and both veth ends', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }]);
    const before = kernel.snapshot();
    const options = { 'com.docker.network.bridge.name': 'br-front', 'com.docker.network.driver.mtu': '9000' };
    const net = await network(networkSpec({ options }));
    expect(net.driverData).toMatchObject({ bridge: 'br-front', mtu: 9000 });
    await apply(driver.createEndpoint(net, endpoint(EP_A, '10.1.0.2/24'), inSandbox('sb1')).ops);
    const host = await kernel.links();
    expect(host.find((l) => l.name === 'br-front')).toMatchObject({ kind: 'bridge', mtu: 9000 });
    expect(host.find((l) => l.name === 'wva1b2c3d4e5f6')).toMatchObject({ master: 'br-front', mtu: 9000 });
    expect((await kernel.links('sb1')).find((l) => l.name === 'eth0')).toMatchObject({ mtu: 9000 });
    await teardownAll();
    expect(kernel.snapshot()).toEqual(before);
  });

  it('dual stack: IPv6 gateway on the bridge, IPv6 address and default route in the sandbox', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }]);
    const before = kernel.snapshot();
    const net = await network(networkSpec(withV6));
    expect(await kernel.sysctlGet('net.ipv6.conf.weft-3f2a9c1d5e.disable_ipv6')).toBe('0');
    expect(await kernel.addresses()).toContainEqual({ dev: 'weft-3f2a9c1d5e', cidr: 'fd00:1::1/64', family: 6 });
    const spec = endpoint(EP_A, '10.1.0.2/24', 'fd00:1::2/64');
    const plan = driver.createEndpoint(net, spec, inSandbox('sb1'));
    await apply(plan.ops);
    expect(await kernel.addresses('sb1')).toContainEqual({ dev: 'eth0', cidr: 'fd00:1::2/64', family: 6 });
    expect(await kernel.routes('sb1')).toContainEqual(expect.objectContaining({ dst: 'default', family: 6, via: 'fd00:1::1' }));
    expect(driver.join(net, { ...spec, driverData: plan.data })).toMatchObject({ gateway: '10.1.0.1', gatewayV6: 'fd00:1::1' });
    expect(driver.createNetwork(networkSpec(withV6)).firewall?.subnets).toEqual(['10.1.0.0/24', 'fd00:1::/64']);
    await teardownAll();
    expect(kernel.snapshot()).toEqual(before);
  });

  it('internal network: gateway on the bridge, but no default route, no join gateway, no masquerade', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }]);
    const spec = networkSpec({ internal: true, options: { 'com.docker.network.bridge.enable_ip_masquerade': 'true' } });
    const plan = driver.createNetwork(spec);
    expect(plan.firewall).toMatchObject({ internal: true, masquerade: false });
    const net = await network(spec);
    const ep = driver.createEndpoint(net, endpoint(EP_A, '10.1.0.2/24'), inSandbox('sb1'));
    await apply(ep.ops);
    expect((await kernel.routes('sb1')).filter((r) => r.dst === 'default')).toEqual([]);
    expect(driver.join(net, { ...endpoint(EP_A, '10.1.0.2/24'), driverData: ep.data })).toEqual({ staticRoutes: [], disableGatewayService: false });
  });

  it('internal network without a gateway: no address on the bridge, no routes in the sandbox', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }]);
    const net = await network(networkSpec({ internal: true, v4: [{ poolId: 'p4', subnet: '10.1.0.0/24', auxAddresses: {} }] }));
    expect((await kernel.addresses()).filter((a) => a.dev === 'weft-3f2a9c1d5e')).toEqual([]);
    await apply(driver.createEndpoint(net, endpoint(EP_A, '10.1.0.2/24'), inSandbox('sb1')).ops);
    expect((await kernel.routes('sb1')).filter((r) => r.dst === 'default')).toEqual([]);
  });

  it('Docker path (placement host): both veth ends in the daemon namespace, the sandbox end wc<12 hex> as SrcName', async () => {
    const before = kernel.snapshot();
    const net = await network(networkSpec());
    const spec = endpoint(EP_B, '10.1.0.3/24');
    const plan = driver.createEndpoint(net, spec, { kind: 'host' });
    expect(plan.srcName).toBe('wcb1b2c3d4e5f6');
    expect(plan.data).toEqual({ hostDevice: 'wvb1b2c3d4e5f6', srcName: 'wcb1b2c3d4e5f6' });
    await apply(plan.ops);
    const links = await kernel.links();
    expect(links.find((l) => l.name === 'wcb1b2c3d4e5f6')).toMatchObject({ kind: 'veth', mac: '02:42:0a:01:00:03', up: false });
    expect(links.find((l) => l.name === 'wvb1b2c3d4e5f6')).toMatchObject({ master: 'weft-3f2a9c1d5e', up: true });
    // The engine configures addresses: the driver adds none.
    expect((await kernel.addresses()).filter((a) => a.dev === 'wcb1b2c3d4e5f6')).toEqual([]);
    expect(driver.join(net, { ...spec, driverData: plan.data })).toEqual({
      interfaceName: { srcName: 'wcb1b2c3d4e5f6', dstPrefix: 'eth' },
      gateway: '10.1.0.1',
      staticRoutes: [],
      disableGatewayService: false,
    });
    await teardownAll();
    expect(kernel.snapshot()).toEqual(before);
  });

  it('uses the MAC the client asked for, and one derived from the id without IPv4', () => {
    const net: NetworkInfo = { ...networkSpec(), driverData: driver.createNetwork(networkSpec()).data };
    expect(driver.createEndpoint(net, { ...endpoint(EP_A, '10.1.0.2/24'), mac: '02:AA:bb:cc:dd:ee' }, { kind: 'host' }).mac).toBe('02:aa:bb:cc:dd:ee');
    const noV4 = driver.createEndpoint(net, { id: EP_A, networkId: NET_ID, options: {} }, { kind: 'host' });
    expect(noV4.mac).toMatch(/^06(:[0-9a-f]{2}){5}$/);
    expect(driver.createEndpoint(net, { id: EP_A, networkId: NET_ID, options: {} }, { kind: 'host' }).mac).toBe(noV4.mac);
  });

  it('two endpoints on one bridge, torn down one by one, leave the model as it was', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }, { op: 'netns.add', name: 'sb2' }]);
    const before = kernel.snapshot();
    const net = await network(networkSpec(withV6));
    await apply(driver.createEndpoint(net, endpoint(EP_A, '10.1.0.2/24', 'fd00:1::2/64'), inSandbox('sb1')).ops);
    await apply(driver.createEndpoint(net, endpoint(EP_B, '10.1.0.3/24', 'fd00:1::3/64'), inSandbox('sb2')).ops);
    expect((await kernel.links()).filter((l) => l.master === 'weft-3f2a9c1d5e').map((l) => l.name).sort()).toEqual([
      'wva1b2c3d4e5f6',
      'wvb1b2c3d4e5f6',
    ]);
    await teardownAll();
    expect(kernel.snapshot()).toEqual(before);
  });

  it('never adopts a bridge it did not create: a foreign bridge of that name fails the apply and stays', async () => {
    const foreign = new FakeKernel({ hostLinks: [{ name: 'docker0', kind: 'bridge', addresses: ['172.17.0.1/16'] }] });
    const before = foreign.snapshot();
    const plan = driver.createNetwork(networkSpec({ options: { 'com.docker.network.bridge.name': 'docker0' } }));
    await expect(foreign.apply(plan.ops)).rejects.toThrow(/docker0/);
    expect(foreign.snapshot()).toEqual(before);
  });

  it('is pure: planning twice gives the same plan and touches no kernel', () => {
    const spec = networkSpec(withV6);
    expect(driver.createNetwork(spec)).toEqual(driver.createNetwork(spec));
    expect(kernel.calls).toEqual([]);
  });

  it('refuses stored network data it did not write', () => {
    const net: NetworkInfo = { ...networkSpec(), driverData: { bridge: 7 } };
    expect(() => driver.createEndpoint(net, endpoint(EP_A, '10.1.0.2/24'), { kind: 'host' })).toThrow(
      expect.objectContaining({ code: 'WEFT_INTERNAL' }),
    );
  });
});
