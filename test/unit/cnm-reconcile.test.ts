/**
 * Restart recovery. A crash is simulated by doing by hand what the
 * controller does before it commits (apply the ops, allocate in IPAM, record
 * the intent) and then starting a new controller over the same store and
 * fake kernel; likewise for sandboxes whose namespace vanished, host devices
 * deleted behind weft's back and links nobody owns.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/cnm/ids.js';
import type { IntentRecord } from '../../src/cnm/records.js';
import { WEFT_LINK_GROUP } from '../../src/drivers/index.js';
import { GATEWAY_REQUEST_TYPE, REQUEST_ADDRESS_TYPE } from '../../src/ipam/ipam.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import type { KernelOp } from '../../src/kernel/ops.js';
import { restartTestDaemon, snapshotState, startTestDaemon, type TestDaemon } from '../helpers/cnm-harness.js';

type Daemon = TestDaemon;
const startDaemon = startTestDaemon;
const restart = restartTestDaemon;
const state = snapshotState;





/** What runChange writes before it applies anything. */
async function recordIntent(d: Daemon, intent: Omit<IntentRecord, 'id'>): Promise<string> {
  const id = newId();
  await d.store.put(`cnm/intent/${id}`, JSON.stringify({ id, ...intent }));
  return id;
}

const names = async (kernel: FakeKernel, netns?: string) => (await kernel.links(netns)).map((l) => l.name);
const defaultRoutes = async (kernel: FakeKernel, netns: string) =>
  (await kernel.routes(netns)).filter((r) => r.dst === 'default').map((r) => `${r.via} ${r.dev}`);

let d: Daemon;
beforeEach(async () => {
  d = await startDaemon();
  await d.controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'], options: { 'com.docker.network.bridge.name': 'br-front' } });
  await d.controller.createNetwork({ name: 'back', subnets: ['10.6.0.0/24'], options: { 'com.docker.network.bridge.name': 'br-back' } });
});

describe('restart', () => {
  it('changes nothing when kernel and records agree', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front', 'back'], publish: ['8080:80'] });
    const before = await state(d);
    d = await restart(d);
    expect(d.report).toEqual({ intentsUndone: [], sandboxesGone: [], orphanLinks: [], addressesFreed: [], errors: [] });
    expect(await state(d)).toEqual(before);
  });
  it('after a reboot (same store, a fresh kernel) remakes the networks and forgets the sandboxes', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80'] });
    const fresh = new FakeKernel();
    await d.controller.stop();
    d.ipam.close();
    d = await startDaemon({ store: d.store, kernel: fresh, files: d.files });
    expect(d.report).toEqual({ intentsUndone: [], sandboxesGone: ['web'], orphanLinks: [], addressesFreed: [], errors: [] });
    expect(await fresh.sysctlGet('net.ipv4.ip_forward')).toBe('1');
    const bridges = (await fresh.links()).filter((l) => l.kind === 'bridge').map((l) => l.name);
    expect(bridges.sort()).toEqual(['br-back', 'br-front', 'weft0']);
    expect(await fresh.addresses()).toContainEqual({ dev: 'br-front', cidr: '10.5.0.1/24', family: 4 });
    expect((await d.controller.listNetworks()).map((n) => n.Name)).toEqual(['back', 'bridge', 'front', 'host', 'none']);
    expect(fresh.nftScripts().at(-1)).not.toContain('dport 8080');
    await d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80'] });
  });
});

describe('intents left by a crash', () => {
  it('a network create that died before its commit is undone: kernel back, addresses and pool released, intent gone', async () => {
    const before = await state(d);
    const pool = await d.ipam.requestPool({ addressSpace: 'LocalDefault', pool: '10.9.0.0/24' });
    await d.ipam.requestAddress({ poolId: pool.poolId, address: '10.9.0.1', options: { [REQUEST_ADDRESS_TYPE]: GATEWAY_REQUEST_TYPE } });
    const ops: KernelOp[] = [
      { op: 'link.add', link: { name: 'br-crash', kind: 'bridge', mtu: 1500, up: true, group: WEFT_LINK_GROUP } },
      { op: 'sysctl.set', key: 'net.ipv6.conf.br-crash.disable_ipv6', value: '1' },
      { op: 'addr.add', dev: 'br-crash', cidr: '10.9.0.1/24' },
    ];
    await d.kernel.apply(ops);
    await recordIntent(d, { what: 'create network crash', ops, addresses: [{ poolId: pool.poolId, address: '10.9.0.1' }], pools: [pool.poolId] });
    expect(await state(d)).not.toEqual(before);

    d = await restart(d);
    expect(d.report).toEqual({ intentsUndone: ['create network crash'], sandboxesGone: [], orphanLinks: [], addressesFreed: [], errors: [] });
    expect(await state(d)).toEqual(before);
    expect(await d.store.list('cnm/intent/')).toEqual([]);
    const net = await d.controller.createNetwork({ name: 'crash', subnets: ['10.9.0.0/24'], gateways: ['10.9.0.1'] });
    expect(net.IPAM.Config).toEqual([{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.1' }]);
  });

  it('a connect that died before its commit is undone; the sandbox keeps its other network and route', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front'] });
    const before = await state(d);
    const back = [...d.controller.repository.networks.values()].find((n) => n.name === 'back')!;
    const poolId = back.v4[0]!.poolId;
    await d.ipam.requestAddress({ poolId, address: '10.6.0.20' });
    const ops: KernelOp[] = [
      { op: 'link.add', link: { name: 'wvc0ffee00001', kind: 'veth', mtu: 1500, up: true, group: WEFT_LINK_GROUP, master: 'br-back', veth: { name: 'eth1', ns: 'web' } } },
      { op: 'link.set', ns: 'web', name: 'eth1', set: { up: true } },
      { op: 'addr.add', ns: 'web', dev: 'eth1', cidr: '10.6.0.20/24' },
    ];
    await d.kernel.apply(ops);
    await recordIntent(d, { what: 'connect web to back', ops, addresses: [{ poolId, address: '10.6.0.20' }], pools: [] });

    d = await restart(d);
    expect(d.report.intentsUndone).toEqual(['connect web to back']);
    expect(d.report.errors).toEqual([]);
    expect(await state(d)).toEqual(before);
    expect(await names(d.kernel, 'web')).toEqual(['lo', 'eth0']);
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.5.0.1 eth0']);
    await d.controller.connect({ network: 'back', sandbox: 'web', ipv4: '10.6.0.20' });
  });

  it('a sandbox left half-created (creating: true) is removed whole', async () => {
    const before = await state(d);
    const sb = await d.controller.createSandbox({ name: 'web', networks: ['front', 'back'], ipv4: '10.5.0.10', publish: ['8080:80'] });
    const key = `cnm/sandbox/${sb.Id}`;
    const record = JSON.parse((await d.store.get(key))!.value) as Record<string, unknown>;
    await d.store.put(key, JSON.stringify({ ...record, creating: true }));

    d = await restart(d);
    expect(d.report.intentsUndone).toEqual(['create sandbox web']);
    expect(d.report.errors).toEqual([]);
    expect(await d.kernel.netnsExists('web')).toBe(false);
    await expect(d.controller.inspectSandbox('web')).rejects.toMatchObject({ code: 'WEFT_SANDBOX_NOT_FOUND' });
    expect(d.files.get('web')).toBeUndefined();
    expect(await state(d)).toEqual(before);
    await d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80'] });
  });
});

describe('kernel objects changed behind weft\'s back', () => {
  it('a sandbox whose namespace was deleted is dropped, its address, port and files freed', async () => {
    const before = await state(d);
    await d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80'] });
    await d.kernel.apply([{ op: 'netns.del', name: 'web' }]);

    d = await restart(d);
    expect(d.report).toEqual({ intentsUndone: [], sandboxesGone: ['web'], orphanLinks: [], addressesFreed: [], errors: [] });
    await expect(d.controller.inspectSandbox('web')).rejects.toMatchObject({ code: 'WEFT_SANDBOX_NOT_FOUND' });
    expect((await d.controller.inspectNetwork('front')).Containers).toEqual({});
    expect(d.files.get('web')).toBeUndefined();
    expect(await state(d)).toEqual(before);
    expect(d.kernel.nftScripts().at(-1)).not.toContain('dport 8080');
    await d.controller.createSandbox({ name: 'api', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80'] });
  });

  it('a deleted host veth of a live endpoint is made again, with the sandbox end configured', async () => {
    const sb = await d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10' });
    const hostVeth = (await d.kernel.links()).find((l) => l.master === 'br-front')!;
    expect(hostVeth.name).toBe(`wv${sb.Networks.front!.EndpointID.slice(0, 12)}`);
    // Its peer eth0 in the sandbox goes with it, and with eth0 the address and the default route.
    await d.kernel.teardown([{ op: 'link.add', link: { name: hostVeth.name, kind: 'veth' } }]);
    expect(await names(d.kernel, 'web')).toEqual(['lo']);

    d = await restart(d);
    expect(d.report.errors).toEqual([]);
    expect((await d.kernel.links()).find((l) => l.name === hostVeth.name)).toMatchObject({ kind: 'veth', master: 'br-front', up: true, group: WEFT_LINK_GROUP });
    expect(await names(d.kernel, 'web')).toEqual(['lo', 'eth0']);
    expect(await d.kernel.addresses('web')).toEqual([{ dev: 'eth0', cidr: '10.5.0.10/24', family: 4 }]);
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.5.0.1 eth0']);
  });

  it('a default route handed over on disconnect is restored like the rest of the endpoint', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front', 'back'] });
    await d.controller.disconnect('front', 'web');
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.6.0.1 eth1']);
    await d.kernel.apply([{ op: 'route.del', ns: 'web', route: { dst: 'default', family: 4, via: '10.6.0.1', dev: 'eth1' } }]);

    d = await restart(d);
    expect(await defaultRoutes(d.kernel, 'web')).toEqual(['10.6.0.1 eth1']);
  });

  it('links of weft\'s group that no record owns are deleted; others are left alone', async () => {
    await d.controller.createSandbox({ name: 'web', networks: ['front'] });
    const owned = await names(d.kernel);
    await d.kernel.apply([
      { op: 'link.add', link: { name: 'weft-0rphan', kind: 'bridge', group: WEFT_LINK_GROUP } },
      { op: 'link.add', link: { name: 'wv0rphan0001', kind: 'veth', group: WEFT_LINK_GROUP, veth: { name: 'wv0rphan0001p' } } },
      { op: 'link.add', link: { name: 'br-user', kind: 'bridge' } },
    ]);

    d = await restart(d);
    expect([...d.report.orphanLinks].sort()).toEqual(['weft-0rphan', 'wv0rphan0001']);
    expect(d.report.errors).toEqual([]);
    expect(await names(d.kernel)).toEqual([...owned, 'br-user']);
  });

  it('a bridge a failed teardown left behind is removed at the next start', async () => {
    d.kernel.failOn((op, _netns, phase) => phase === 'teardown' && op.op === 'link.del' && op.name === 'br-back', { times: 1 });
    await d.controller.removeNetwork('back');
    await expect(d.controller.inspectNetwork('back')).rejects.toMatchObject({ code: 'WEFT_NETWORK_NOT_FOUND' });
    expect(await names(d.kernel)).toContain('br-back');

    d = await restart(d);
    expect(d.report.orphanLinks).toEqual(['br-back']);
    expect(await names(d.kernel)).not.toContain('br-back');
    await d.controller.createNetwork({ name: 'back', subnets: ['10.6.0.0/24'], options: { 'com.docker.network.bridge.name': 'br-back' } });
  });
});

describe('addresses nobody holds', () => {
  it('are given back at the next start: a crash between an endpoint\'s removal and its address\'s release', async () => {
    await d.controller.createNetwork({ name: 'aux', subnets: ['10.7.0.0/24'], auxAddresses: { printer: '10.7.0.9' } });
    const web = await d.controller.createSandbox({ name: 'web', networks: ['front', 'aux'] });
    // The endpoint's record went, the daemon died before its address went back to IPAM:
    // here, an address allocated in the pool with no record naming it.
    const frontNet = d.ipam.listPools().find((p) => p.pool === '10.5.0.0/24')!;
    const leaked = await d.ipam.requestAddress({ poolId: frontNet.poolId, address: '10.5.0.200' });
    const before = await d.ipam.allocatedAddresses(frontNet.poolId);
    expect(before.map((a) => a.address)).toContain('10.5.0.200');

    d = await restart(d);
    expect(d.report.addressesFreed).toEqual([`${leaked.address.split('/')[0]} in ${frontNet.poolId}`]);
    expect(d.report.errors).toEqual([]);
    // gateways, aux addresses and the sandbox's own addresses stay allocated
    const after = (await d.ipam.allocatedAddresses(frontNet.poolId)).map((a) => a.address).sort();
    expect(after).toEqual(['10.5.0.1', web.Networks.front!.IPAddress].sort());
    const auxPool = d.ipam.listPools().find((p) => p.pool === '10.7.0.0/24')!;
    expect((await d.ipam.allocatedAddresses(auxPool.poolId)).map((a) => a.address).sort()).toEqual(['10.7.0.1', '10.7.0.9', web.Networks.aux!.IPAddress].sort());
    // and a second start finds nothing more to free
    d = await restart(d);
    expect(d.report.addressesFreed).toEqual([]);
  });
});
