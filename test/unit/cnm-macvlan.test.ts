/**
 * The controller with the macvlan driver over the fake kernel: host facts
 * (is the parent there, which networks use it) reach the driver, kernel
 * features are checked before anything is applied, every refusal leaves
 * kernel, IPAM and records as they were, a VLAN sub-interface is shared by
 * the networks on it and goes with the last, and the host shim's routes
 * come and go with the sandboxes.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Controller } from '../../src/cnm/controller.js';
import { builtinDrivers, WEFT_LINK_GROUP } from '../../src/drivers/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { FakeKernel, type FakeKernelOptions } from '../../src/kernel/fake/index.js';
import { cidrsInUse } from '../../src/kernel/in-use.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MemorySandboxFiles } from '../helpers/memory-sandbox-files.js';
import { snapshotState, startTestDaemon, type TestDaemon } from '../helpers/cnm-harness.js';

const startDaemon = (options: FakeKernelOptions = {}, given: Partial<TestDaemon> = {}) =>
  startTestDaemon({ ...given, kernelOptions: { hostLinks: [{ name: 'eth1' }], ...options } });
const state = snapshotState;




const lan = (name: string, options: Record<string, string>, subnet = '192.0.2.0/24', gateway = '192.0.2.254') => ({
  name,
  driver: 'macvlan',
  subnets: [subnet],
  gateways: [gateway],
  options,
});

const linkNames = async (kernel: FakeKernel, netns?: string) => (await kernel.links(netns)).map((l) => l.name);

describe('macvlan networks through the controller', () => {
  it('sandboxes get macvlans on the parent with MACs from their addresses and the gateway as default route', async () => {
    const d = await startDaemon();
    const net = await d.controller.createNetwork({ ...lan('lan', { parent: 'eth1', macvlan_mode: 'private' }), ipRanges: ['192.0.2.128/25'] });
    expect(net).toMatchObject({ Driver: 'macvlan', Options: { parent: 'eth1', macvlan_mode: 'private' } });
    const sb = await d.controller.createSandbox({ name: 'a', networks: ['lan'] });
    const address = sb.Networks.lan!.IPAddress;
    expect(address).toMatch(/^192\.0\.2\.(12[89]|1[3-9]\d|2[0-5]\d)$/);
    const eth0 = (await d.kernel.links('a')).find((l) => l.name === 'eth0');
    const bytes = address.split('.').map((b) => Number(b).toString(16).padStart(2, '0'));
    expect(eth0).toMatchObject({ kind: 'macvlan', up: true, mac: `02:42:${bytes.join(':')}` });
    expect((await d.kernel.routes('a')).filter((r) => r.dst === 'default')).toEqual([expect.objectContaining({ via: '192.0.2.254', dev: 'eth0' })]);
    // nothing in the daemon's namespace: no shim asked for, no host device, no firewall rules for it
    expect(await linkNames(d.kernel)).toEqual(['lo', 'eth1', 'weft0']);
  });

  it('a missing parent is WEFT_PARENT_NOT_FOUND and changes nothing', async () => {
    const d = await startDaemon();
    const before = await state(d);
    await expect(d.controller.createNetwork(lan('lan', { parent: 'eth9' }))).rejects.toMatchObject({
      code: 'WEFT_PARENT_NOT_FOUND',
      message: 'parent interface eth9 not found',
    });
    expect(await state(d)).toEqual(before);
  });

  it('a VLAN parent on a kernel without 802.1q, and no parent on one without dummy, are WEFT_KERNEL_UNSUPPORTED and change nothing', async () => {
    const d = await startDaemon();
    const before = await state(d);
    await expect(d.controller.createNetwork(lan('lan', { parent: 'eth1.10' }))).rejects.toMatchObject({
      code: 'WEFT_KERNEL_UNSUPPORTED',
      message: expect.stringMatching(/802\.1Q.*eth1\.10/i),
    });
    await expect(d.controller.createNetwork(lan('lan', {}))).rejects.toMatchObject({ code: 'WEFT_KERNEL_UNSUPPORTED', details: { feature: 'dummy' } });
    expect(await state(d)).toEqual(before);
  });

  it('refuses a conflicting second network on the parent and changes nothing', async () => {
    const d = await startDaemon();
    await d.controller.createNetwork(lan('one', { parent: 'eth1' }));
    const before = await state(d);
    await expect(d.controller.createNetwork(lan('two', { parent: 'eth1', macvlan_mode: 'passthru' }, '198.51.100.0/24', '198.51.100.1'))).rejects.toMatchObject({
      code: 'WEFT_PARENT_IN_USE',
      message: expect.stringContaining('network one'),
    });
    // an overlapping subnet: IPAM already refuses it, before the driver is asked
    await expect(d.controller.createNetwork(lan('three', { parent: 'eth1' }, '192.0.2.0/25', '192.0.2.1'))).rejects.toMatchObject({ code: 'WEFT_POOL_OVERLAP' });
    expect(await state(d)).toEqual(before);
    await d.controller.createNetwork(lan('four', { parent: 'eth1', macvlan_mode: 'vepa' }, '198.51.100.0/24', '198.51.100.1'));
  });
});

describe('a VLAN sub-interface shared by macvlan networks (a kernel with 802.1q)', () => {
  it('is made by the first network, kept while any network uses it, removed with the last', async () => {
    const d = await startDaemon({ features: { vlan: true } });
    const before = await state(d);
    await d.controller.createNetwork(lan('one', { parent: 'eth1.10' }));
    const vlan = (await d.kernel.links()).find((l) => l.name === 'eth1.10');
    expect(vlan).toMatchObject({ kind: 'vlan', up: true, group: WEFT_LINK_GROUP });
    await d.controller.createNetwork(lan('two', { parent: 'eth1.10' }, '198.51.100.0/24', '198.51.100.1'));
    await d.controller.createSandbox({ name: 'b', networks: ['two'] });

    await d.controller.removeNetwork('one');
    expect(await linkNames(d.kernel)).toContain('eth1.10');
    expect(await linkNames(d.kernel, 'b')).toContain('eth0');

    await d.controller.removeSandbox('b');
    await d.controller.removeNetwork('two');
    expect(await linkNames(d.kernel)).not.toContain('eth1.10');
    const after = await state(d);
    expect(after.kernel).toEqual(before.kernel);
    expect(after.ipam).toEqual(before.ipam);
  });

  it('the second network sharing it can go first; a restart keeps it (not an orphan)', async () => {
    const d = await startDaemon({ features: { vlan: true } });
    await d.controller.createNetwork(lan('one', { parent: 'eth1.10' }));
    await d.controller.createNetwork(lan('two', { parent: 'eth1.10' }, '198.51.100.0/24', '198.51.100.1'));
    await d.controller.removeNetwork('two');
    expect(await linkNames(d.kernel)).toContain('eth1.10');
    await d.controller.stop();
    d.ipam.close();
    const again = await startDaemon({}, { store: d.store, kernel: d.kernel });
    expect(await linkNames(again.kernel)).toContain('eth1.10');
    await again.controller.removeNetwork('one');
    expect(await linkNames(again.kernel)).not.toContain('eth1.10');
  });

  it('one that weft did not make is used and left in place', async () => {
    const d = await startDaemon({ features: { vlan: true }, hostLinks: [{ name: 'eth1' }, { name: 'eth1.20', kind: 'vlan' }] });
    await d.controller.createNetwork(lan('one', { parent: 'eth1.20' }));
    await d.controller.removeNetwork('one');
    expect(await linkNames(d.kernel)).toContain('eth1.20');
  });

  it('no parent on a kernel with dummy: an internal network on a weft dummy, without default routes', async () => {
    const d = await startDaemon({ features: { dummy: true } });
    await d.controller.createNetwork(lan('inner', {}));
    const dummy = (await d.kernel.links()).find((l) => l.kind === 'dummy');
    expect(dummy).toMatchObject({ name: expect.stringMatching(/^wd[0-9a-f]{12}$/), group: WEFT_LINK_GROUP });
    await d.controller.createSandbox({ name: 'c', networks: ['inner'] });
    expect((await d.kernel.routes('c')).filter((r) => r.dst === 'default')).toEqual([]);
    await d.controller.removeSandbox('c');
    await d.controller.removeNetwork('inner');
    expect(await linkNames(d.kernel)).toEqual(['lo', 'eth1', 'weft0']);
  });
});

describe('the macvlan host shim through the controller', () => {
  it('adds the shim, a host route per sandbox address via it, and removes all of it again', async () => {
    const d = await startDaemon();
    const before = await state(d);
    await d.controller.createNetwork({
      ...lan('lan', { parent: 'eth1', 'weft.macvlan.host_shim': 'true' }),
      auxAddresses: { host_shim: '192.0.2.250' },
      ipv6: true,
      subnets: ['192.0.2.0/24', 'fd00:192::/64'],
      gateways: ['192.0.2.254', 'fd00:192::fe'],
    });
    const shim = (await d.kernel.links()).find((l) => l.kind === 'macvlan');
    expect(shim).toMatchObject({ name: expect.stringMatching(/^wh[0-9a-f]{12}$/), up: true, group: WEFT_LINK_GROUP, mac: '02:42:c0:00:02:fa' });
    expect(await d.kernel.addresses()).toContainEqual({ dev: shim!.name, cidr: '192.0.2.250/32', family: 4 });

    const sb = await d.controller.createSandbox({ name: 'a', networks: ['lan'] });
    const { IPAddress, GlobalIPv6Address } = sb.Networks.lan!;
    const viaShim = (await d.kernel.routes()).filter((r) => r.dev === shim!.name && r.dst !== 'default').map((r) => r.dst);
    expect(viaShim).toEqual(expect.arrayContaining([`${IPAddress}/32`, `${GlobalIPv6Address}/128`]));
    expect((await d.kernel.routes('a')).filter((r) => r.dst === 'default').map((r) => r.via).sort()).toEqual(['192.0.2.254', 'fd00:192::fe']);

    await d.controller.removeSandbox('a');
    expect((await d.kernel.routes()).some((r) => r.dst === `${IPAddress}/32`)).toBe(false);
    await d.controller.removeNetwork('lan');
    const after = await state(d);
    expect(after.kernel).toEqual(before.kernel);
    expect(after.ipam).toEqual(before.ipam);
  });

  it('a restart re-applies the sandbox macvlans and the shim routes as they are, and finds no orphans', async () => {
    const d = await startDaemon();
    await d.controller.createNetwork(lan('lan', { parent: 'eth1', 'weft.macvlan.host_shim': 'true' }));
    await d.controller.createSandbox({ name: 'a', networks: ['lan'] });
    const before = await state(d);
    await d.controller.stop();
    d.ipam.close();
    const store = d.store;
    const ipam = await DefaultIpam.open({ store });
    const { report } = await Controller.start({ store, kernel: d.kernel, ipam, drivers: builtinDrivers(), files: new MemorySandboxFiles(), log: pino({ level: 'silent' }) });
    expect(report).toEqual({ intentsUndone: [], sandboxesGone: [], orphanLinks: [], addressesFreed: [], errors: [] });
    expect((await state(d)).kernel).toEqual(before.kernel);
  });

  it('publishing ports on a macvlan network publishes nothing (no port publishing, as Docker)', async () => {
    const d = await startDaemon();
    await d.controller.createNetwork(lan('lan', { parent: 'eth1' }));
    const sb = await d.controller.createSandbox({ name: 'p', networks: ['lan'], publish: ['8080:80'] });
    expect(Object.values(sb.Ports ?? {}).flat().filter(Boolean)).toEqual([]);
  });
});

describe('macvlan on the host LAN', () => {
  it('takes the subnet the host itself routes on the parent (as Docker does); a bridge network may not', async () => {
    const store = new MemoryStore();
    const kernel = new FakeKernel({ hostLinks: [{ name: 'eth1', addresses: ['192.0.2.10/24'] }] });
    const ipam = await DefaultIpam.open({ store, routesInUse: () => cidrsInUse(kernel) });
    const files = new MemorySandboxFiles();
    const d = (await Controller.start({ store, kernel, ipam, drivers: builtinDrivers(), files, log: pino({ level: 'silent' }) }));
    await expect(d.controller.createNetwork({ name: 'br', subnets: ['192.0.2.0/24'] })).rejects.toMatchObject({ code: 'WEFT_POOL_OVERLAP' });
    const net = await d.controller.createNetwork(lan('lan', { parent: 'eth1' }));
    expect(net.IPAM.Config[0]).toMatchObject({ Subnet: '192.0.2.0/24', Gateway: '192.0.2.254' });
    expect(net.IPAM.Options).toEqual({});
  });
});
