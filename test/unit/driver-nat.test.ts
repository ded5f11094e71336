/**
 * The nat driver's plans against the fake kernel: no bridge, a
 * point-to-point veth per endpoint with the gateway as /32 on the host end,
 * a host route and proxy ARP; the sandbox routes through the host.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { NatDriver, WEFT_LINK_GROUP } from '../../src/drivers/index.js';
import type { EndpointSpec, NetworkInfo, NetworkSpec } from '../../src/drivers/driver.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import type { KernelOp } from '../../src/kernel/ops.js';

const NET_ID = '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d';
const EP_A = '0a0a0a0a0a0a1111111111111111111111111111111111111111111111111111';
const EP_B = '0b0b0b0b0b0b2222222222222222222222222222222222222222222222222222';

function networkSpec(overrides: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    id: NET_ID,
    name: 'routed',
    options: {},
    labels: {},
    internal: false,
    attachable: false,
    ipv6: false,
    v4: [{ poolId: 'p4', subnet: '10.2.0.0/24', gateway: '10.2.0.1/24', auxAddresses: {} }],
    v6: [],
    ...overrides,
  };
}

const dualStack = networkSpec({ ipv6: true, v6: [{ poolId: 'p6', subnet: 'fd00:2::/64', gateway: 'fd00:2::1/64', auxAddresses: {} }] });

const endpoint = (id: string, v4: string, v6?: string): EndpointSpec => ({
  id,
  networkId: NET_ID,
  addressV4: v4,
  ...(v6 !== undefined && { addressV6: v6 }),
  options: {},
});

describe('nat driver', () => {
  const driver = new NatDriver();
  let kernel: FakeKernel;
  let applied: KernelOp[][];

  beforeEach(async () => {
    kernel = new FakeKernel({ hostSysctls: { 'net.ipv4.ip_forward': '1' } });
    applied = [];
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }, { op: 'netns.add', name: 'sb2' }]);
  });

  async function apply(ops: KernelOp[]): Promise<void> {
    applied.push(await kernel.apply(ops));
  }

  async function teardownAll(): Promise<void> {
    for (const ops of applied.reverse()) await kernel.teardown(ops);
  }

  function network(spec: NetworkSpec): NetworkInfo {
    return { ...spec, driverData: driver.createNetwork(spec).data };
  }

  it('reports local scope, IPAM and port publishing', () => {
    expect(driver.capabilities()).toEqual({ scope: 'local', connectivityScope: 'local', usesIpam: true, portPublishing: true });
  });

  it('plans a network with no kernel objects: data and a firewall intent without devices', () => {
    const plan = driver.createNetwork(networkSpec());
    expect(plan.ops).toEqual([]);
    expect(plan.data).toEqual({ mtu: 1500, icc: true, masquerade: true, internal: false });
    expect(plan.firewall).toEqual({ devices: [], subnets: ['10.2.0.0/24'], masquerade: true, icc: true, internal: false });
  });

  it('gives each endpoint a p2p veth, the gateway /32 on the host end, a host route and proxy ARP', async () => {
    const before = kernel.snapshot();
    const net = network(networkSpec());
    const a = driver.createEndpoint(net, endpoint(EP_A, '10.2.0.2/24'), { kind: 'netns', netns: 'sb1', ifname: 'eth0', defaultGateway: true });
    const b = driver.createEndpoint(net, endpoint(EP_B, '10.2.0.3/24'), { kind: 'netns', netns: 'sb2', ifname: 'eth0', defaultGateway: true });
    expect(a.hostDevices).toEqual(['wn0a0a0a0a0a0a']);
    expect(b.hostDevices).toEqual(['wn0b0b0b0b0b0b']);
    await apply(a.ops);
    await apply(b.ops);

    const links = await kernel.links();
    expect(links.find((l) => l.name === 'wn0a0a0a0a0a0a')).toMatchObject({ kind: 'veth', up: true, group: WEFT_LINK_GROUP });
    expect(links.some((l) => l.kind === 'bridge')).toBe(false);
    const addresses = await kernel.addresses();
    expect(addresses).toContainEqual({ dev: 'wn0a0a0a0a0a0a', cidr: '10.2.0.1/32', family: 4 });
    expect(addresses).toContainEqual({ dev: 'wn0b0b0b0b0b0b', cidr: '10.2.0.1/32', family: 4 });
    const routes = await kernel.routes();
    expect(routes).toContainEqual(expect.objectContaining({ dst: '10.2.0.2/32', dev: 'wn0a0a0a0a0a0a' }));
    expect(routes).toContainEqual(expect.objectContaining({ dst: '10.2.0.3/32', dev: 'wn0b0b0b0b0b0b' }));
    expect(await kernel.sysctlGet('net.ipv4.conf.wn0a0a0a0a0a0a.proxy_arp')).toBe('1');
    expect(await kernel.sysctlGet('net.ipv4.conf.wn0a0a0a0a0a0a.route_localnet')).toBe('1');

    expect(await kernel.addresses('sb1')).toContainEqual({ dev: 'eth0', cidr: '10.2.0.2/24', family: 4 });
    expect(await kernel.routes('sb1')).toContainEqual(expect.objectContaining({ dst: 'default', via: '10.2.0.1', dev: 'eth0' }));
    expect((await kernel.links('sb1')).find((l) => l.name === 'eth0')).toMatchObject({ up: true, mac: '02:42:0a:02:00:02' });

    await teardownAll();
    expect(kernel.snapshot()).toEqual(before);
  });

  it('IPv6 without proxy NDP: /128 in the sandbox, a device route to the gateway and the default via it', async () => {
    const before = kernel.snapshot();
    const net = network(dualStack);
    const spec = endpoint(EP_A, '10.2.0.2/24', 'fd00:2::2/64');
    const plan = driver.createEndpoint(net, spec, { kind: 'netns', netns: 'sb1', ifname: 'eth0', defaultGateway: true });
    await apply(plan.ops);
    expect(await kernel.addresses()).toContainEqual({ dev: 'wn0a0a0a0a0a0a', cidr: 'fd00:2::1/128', family: 6 });
    expect(await kernel.routes()).toContainEqual(expect.objectContaining({ dst: 'fd00:2::2/128', dev: 'wn0a0a0a0a0a0a' }));
    expect(await kernel.addresses('sb1')).toContainEqual({ dev: 'eth0', cidr: 'fd00:2::2/128', family: 6 });
    const sandboxRoutes = await kernel.routes('sb1');
    expect(sandboxRoutes).toContainEqual(expect.objectContaining({ dst: 'fd00:2::1/128', dev: 'eth0' }));
    expect(sandboxRoutes).toContainEqual(expect.objectContaining({ dst: 'default', family: 6, via: 'fd00:2::1', dev: 'eth0' }));
    expect(driver.join(net, { ...spec, driverData: plan.data })).toEqual({
      gateway: '10.2.0.1',
      gatewayV6: 'fd00:2::1',
      staticRoutes: [],
      disableGatewayService: false,
    });
    await teardownAll();
    expect(kernel.snapshot()).toEqual(before);
  });

  it('Docker path: host-side setup only, the sandbox end wc<12 hex> left for the engine', async () => {
    const before = kernel.snapshot();
    const net = network(networkSpec({ options: { 'com.docker.network.driver.mtu': '1400' } }));
    const spec = endpoint(EP_B, '10.2.0.3/24');
    const plan = driver.createEndpoint(net, spec, { kind: 'host' });
    expect(plan.srcName).toBe('wc0b0b0b0b0b0b');
    await apply(plan.ops);
    const links = await kernel.links();
    expect(links.find((l) => l.name === 'wc0b0b0b0b0b0b')).toMatchObject({ kind: 'veth', mtu: 1400, mac: '02:42:0a:02:00:03' });
    expect(links.find((l) => l.name === 'wn0b0b0b0b0b0b')).toMatchObject({ mtu: 1400, up: true });
    expect(await kernel.routes()).toContainEqual(expect.objectContaining({ dst: '10.2.0.3/32', dev: 'wn0b0b0b0b0b0b' }));
    expect(driver.join(net, { ...spec, driverData: plan.data }).interfaceName).toEqual({ srcName: 'wc0b0b0b0b0b0b', dstPrefix: 'eth' });
    await teardownAll();
    expect(kernel.snapshot()).toEqual(before);
  });

  it('internal: no default route, no masquerade, no gateway in join', async () => {
    const spec = networkSpec({ internal: true });
    expect(driver.createNetwork(spec).firewall).toMatchObject({ internal: true, masquerade: false });
    const net = network(spec);
    const plan = driver.createEndpoint(net, endpoint(EP_A, '10.2.0.2/24'), { kind: 'netns', netns: 'sb1', ifname: 'eth0', defaultGateway: true });
    await apply(plan.ops);
    expect((await kernel.routes('sb1')).filter((r) => r.dst === 'default')).toEqual([]);
    expect(driver.join(net, { ...endpoint(EP_A, '10.2.0.2/24'), driverData: plan.data }).gateway).toBeUndefined();
  });

  it('a failed apply rolls back everything it did', async () => {
    const before = kernel.snapshot();
    const net = network(networkSpec());
    kernel.failOn((op) => op.op === 'route.add' && op.route.dst === 'default');
    await expect(
      kernel.apply(driver.createEndpoint(net, endpoint(EP_A, '10.2.0.2/24'), { kind: 'netns', netns: 'sb1', ifname: 'eth0', defaultGateway: true }).ops),
    ).rejects.toThrow();
    expect(kernel.snapshot()).toEqual(before);
  });
});
