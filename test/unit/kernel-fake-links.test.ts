/**
 * The fake kernel's link and namespace model: what it refuses, what it
 * treats as already done, and what a delete takes with it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/index.js';
import { BRIDGE_MAX_PORTS, FakeKernel } from '../../src/kernel/fake/index.js';
import type { KernelOp, LinkSpec } from '../../src/kernel/ops.js';
import { failureOf } from '../helpers/failures.js';

const names = async (kernel: FakeKernel, netns?: string) => (await kernel.links(netns)).map((l) => l.name);

describe('fake kernel: namespaces', () => {
  let kernel: FakeKernel;
  beforeEach(() => {
    kernel = new FakeKernel();
  });

  it('gives a new namespace only lo, down and without addresses', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'c1' }]);
    expect(await kernel.netnsList()).toEqual(['c1']);
    expect(await kernel.netnsExists('c1')).toBe(true);
    expect(await kernel.links('c1')).toEqual([{ name: 'lo', index: 1, mtu: 65536, mac: '00:00:00:00:00:00', up: false, group: 0 }]);
    expect(await kernel.addresses('c1')).toEqual([]);
  });

  it('has its own daemon namespace with lo up and the loopback addresses', async () => {
    expect(await kernel.links()).toEqual([{ name: 'lo', index: 1, mtu: 65536, mac: '00:00:00:00:00:00', up: true, group: 0 }]);
    expect(await kernel.addresses()).toEqual([
      { dev: 'lo', cidr: '127.0.0.1/8', family: 4 },
      { dev: 'lo', cidr: '::1/128', family: 6 },
    ]);
    expect(await kernel.netnsList()).toEqual([]);
  });

  it('treats adding an existing namespace as done (changed:false), so a rollback leaves it', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'c1' }]);
    kernel.failOn((op) => op.op === 'link.add');
    await failureOf(
      kernel.apply([
        { op: 'netns.add', name: 'c1' },
        { op: 'link.add', ns: 'c1', link: { name: 'br0', kind: 'bridge' } },
      ]),
    );
    expect(kernel.calls.map((c) => c.outcome)).toEqual(['applied', 'noop', 'failed']);
    expect(await kernel.netnsExists('c1')).toBe(true);
  });

  it('refuses an op in a namespace that does not exist with WEFT_NETNS_NOT_FOUND', async () => {
    const err = await failureOf(kernel.apply([{ op: 'link.add', ns: 'nowhere', link: { name: 'br0', kind: 'bridge' } }]));
    expect(err.code).toBe(ErrorCodes.NETNS_NOT_FOUND);
    expect(err.kind).toBe('NotFound');
    expect(err.message).toMatch(/nowhere/);
    expect(err.details).toMatchObject({ op: 'link.add', object: 'link br0', netns: 'nowhere', rolledBack: 0 });
  });

  it('refuses a veth peer in a namespace that does not exist, creating neither end', async () => {
    const err = await failureOf(
      kernel.apply([{ op: 'link.add', link: { name: 'vh0', kind: 'veth', veth: { name: 'eth0', ns: 'nowhere' } } }]),
    );
    expect(err.code).toBe(ErrorCodes.NETNS_NOT_FOUND);
    expect(await names(kernel)).toEqual(['lo']);
  });

  it('refuses reads of a namespace that does not exist', async () => {
    await expect(kernel.links('nowhere')).rejects.toMatchObject({ code: ErrorCodes.NETNS_NOT_FOUND });
    await expect(kernel.routes('nowhere')).rejects.toMatchObject({ code: ErrorCodes.NETNS_NOT_FOUND });
  });

  it('deleting a namespace deletes its links and their veth peers elsewhere', async () => {
    await kernel.apply([
      { op: 'netns.add', name: 'c1' },
      { op: 'netns.add', name: 'c2' },
      { op: 'link.add', link: { name: 'vh1', kind: 'veth', veth: { name: 'eth0', ns: 'c1' } } },
      { op: 'link.add', ns: 'c2', link: { name: 'x1', kind: 'veth', veth: { name: 'y1', ns: 'c1' } } },
      { op: 'link.add', link: { name: 'vh2', kind: 'veth', veth: { name: 'eth0', ns: 'c2' } } },
    ]);
    await kernel.apply([{ op: 'netns.del', name: 'c1' }]);
    expect(await kernel.netnsList()).toEqual(['c2']);
    expect(await names(kernel)).toEqual(['lo', 'vh2']);
    expect(await names(kernel, 'c2')).toEqual(['lo', 'eth0']);
  });
});

describe('fake kernel: links', () => {
  let kernel: FakeKernel;
  beforeEach(() => {
    kernel = new FakeKernel();
  });

  it('creates a veth pair, the peer first (lower ifindex), with generated locally administered MACs', async () => {
    await kernel.apply([{ op: 'link.add', link: { name: 'vh0', kind: 'veth', mtu: 1450, veth: { name: 'vp0' } } }]);
    const links = await kernel.links();
    expect(links.map((l) => [l.name, l.index, l.kind, l.mtu, l.up])).toEqual([
      ['lo', 1, undefined, 65536, true],
      ['vp0', 2, 'veth', 1450, false],
      ['vh0', 3, 'veth', 1450, false],
    ]);
    expect(links[1]!.mac).toMatch(/^02:fa:ce:/);
    expect(links[1]!.mac).not.toBe(links[2]!.mac);
  });

  it('treats adding an identical link as done and a different one of the same name as EEXIST', async () => {
    const spec: LinkSpec = { name: 'br0', kind: 'bridge', mtu: 1500, up: true };
    await kernel.apply([{ op: 'link.add', link: spec }]);
    await kernel.apply([{ op: 'link.add', link: spec }]);
    expect(kernel.calls.map((c) => c.outcome)).toEqual(['applied', 'noop']);

    const err = await failureOf(kernel.apply([{ op: 'link.add', link: { ...spec, mtu: 9000 } }]));
    expect(err.code).toBe(ErrorCodes.KERNEL_OP_FAILED);
    expect(err.details.errno).toBe('EEXIST');
    expect(String(err.details.reason)).toMatch(/mtu \(1500, not 9000\)/);
    const kindClash = await failureOf(kernel.apply([{ op: 'link.add', link: { name: 'br0', kind: 'veth', veth: { name: 'p' } } }]));
    expect(kindClash.details.errno).toBe('EEXIST');
  });

  it('refuses a master that is not a bridge (EINVAL) or does not exist (ENODEV)', async () => {
    await kernel.apply([{ op: 'link.add', link: { name: 'va', kind: 'veth', veth: { name: 'vb' } } }]);
    const notBridge = await failureOf(kernel.apply([{ op: 'link.set', name: 'va', set: { master: 'vb' } }]));
    expect(notBridge.details.errno).toBe('EINVAL');
    const missing = await failureOf(
      kernel.apply([{ op: 'link.add', link: { name: 'vc', kind: 'veth', master: 'br9', veth: { name: 'vd' } } }]),
    );
    expect(missing.details.errno).toBe('ENODEV');
    expect(await names(kernel)).toEqual(['lo', 'vb', 'va']);
  });

  it('deleting one end of a veth deletes the other, in its own namespace', async () => {
    await kernel.apply([
      { op: 'netns.add', name: 'c1' },
      { op: 'link.add', link: { name: 'vh0', kind: 'veth', veth: { name: 'eth0', ns: 'c1' } } },
    ]);
    expect(await names(kernel, 'c1')).toEqual(['lo', 'eth0']);
    await kernel.apply([{ op: 'link.del', name: 'vh0', link: { name: 'vh0', kind: 'veth', veth: { name: 'eth0', ns: 'c1' } } }]);
    expect(await names(kernel)).toEqual(['lo']);
    expect(await names(kernel, 'c1')).toEqual(['lo']);
  });

  it('refuses to delete a veth whose peer is elsewhere without a spec, as the Linux executor does', async () => {
    await kernel.apply([
      { op: 'netns.add', name: 'c1' },
      { op: 'link.add', link: { name: 'vh0', kind: 'veth', veth: { name: 'eth0', ns: 'c1' } } },
    ]);
    const err = await failureOf(kernel.apply([{ op: 'link.del', name: 'vh0' }]));
    expect(err.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(await names(kernel)).toEqual(['lo', 'vh0']);
  });

  it('deleting a bridge releases its ports and forgets their FDB entries', async () => {
    await kernel.apply([
      { op: 'link.add', link: { name: 'br0', kind: 'bridge' } },
      { op: 'link.add', link: { name: 'va', kind: 'veth', master: 'br0', veth: { name: 'vb' } } },
      { op: 'fdb.add', dev: 'va', mac: '02:00:00:00:00:0a' },
    ]);
    expect(await kernel.fdb()).toEqual([{ dev: 'va', mac: '02:00:00:00:00:0a', master: 'br0', self: false }]);
    await kernel.apply([{ op: 'link.del', name: 'br0' }]);
    const va = (await kernel.links()).find((l) => l.name === 'va');
    expect(va).toBeDefined();
    expect(va!.master).toBeUndefined();
    expect(await kernel.fdb()).toEqual([]);
  });

  it('deleting a parent deletes the macvlan devices on it', async () => {
    await kernel.apply([
      { op: 'link.add', link: { name: 'va', kind: 'veth', veth: { name: 'vb' } } },
      { op: 'link.add', link: { name: 'mv0', kind: 'macvlan', macvlan: { parent: 'va', mode: 'bridge' } } },
    ]);
    await kernel.apply([{ op: 'link.del', name: 'vb' }]);
    expect(await names(kernel)).toEqual(['lo']);
  });

  it('deleting a link takes its addresses, routes and neighbours with it', async () => {
    await kernel.apply([
      { op: 'link.add', link: { name: 'br0', kind: 'bridge', up: true } },
      { op: 'addr.add', dev: 'br0', cidr: '10.1.0.1/24' },
      { op: 'route.add', route: { dst: '10.2.0.0/16', via: '10.1.0.254' } },
      { op: 'neigh.add', dev: 'br0', ip: '10.1.0.9', mac: '02:00:00:00:00:09' },
      { op: 'link.del', name: 'br0' },
    ]);
    expect(await kernel.addresses()).toHaveLength(2);
    expect(await kernel.routes()).toEqual([]);
    expect(await kernel.neighbours()).toEqual([]);
  });

  it('will not delete lo or a host device: EOPNOTSUPP', async () => {
    const err = await failureOf(kernel.apply([{ op: 'link.del', name: 'lo' }]));
    expect(err.details.errno).toBe('EOPNOTSUPP');
  });

  it('refuses invalid names, MTUs and MACs with the kernel errno', async () => {
    const cases: [LinkSpec, string][] = [
      [{ name: 'a-name-too-long-x', kind: 'bridge' }, 'EINVAL'],
      [{ name: 'br0', kind: 'bridge', mtu: 40 }, 'EINVAL'],
      [{ name: 'br0', kind: 'bridge', mac: 'nonsense' }, 'EINVAL'],
      [{ name: 'br0', kind: 'bridge', mac: '01:00:5e:00:00:01' }, 'EADDRNOTAVAIL'],
      [{ name: 'mv0', kind: 'macvlan', macvlan: { parent: 'eth9', mode: 'bridge' } }, 'ENODEV'],
      [{ name: 'vx0', kind: 'vxlan', vxlan: { vni: 1 << 24 } }, 'ERANGE'],
    ];
    for (const [link, code] of cases) {
      const err = await failureOf(kernel.apply([{ op: 'link.add', link }]));
      expect([link.name, err.details.errno]).toEqual([link.name, code]);
    }
    expect(await names(kernel)).toEqual(['lo']);
  });

  it('refuses a second VXLAN device with the same VNI and port', async () => {
    await kernel.apply([{ op: 'link.add', link: { name: 'vx0', kind: 'vxlan', vxlan: { vni: 42 } } }]);
    const err = await failureOf(kernel.apply([{ op: 'link.add', link: { name: 'vx1', kind: 'vxlan', vxlan: { vni: 42 } } }]));
    expect(err.details.errno).toBe('EEXIST');
    await kernel.apply([{ op: 'link.add', link: { name: 'vx1', kind: 'vxlan', vxlan: { vni: 42, port: 4790 } } }]);
    expect(await names(kernel)).toEqual(['lo', 'vx0', 'vx1']);
  });

  it('refuses a kind this kernel lacks with WEFT_KERNEL_UNSUPPORTED naming the kind', async () => {
    const err = await failureOf(kernel.apply([{ op: 'link.add', link: { name: 'dm0', kind: 'dummy' } }]));
    expect(err.code).toBe(ErrorCodes.KERNEL_UNSUPPORTED);
    expect(err.message).toMatch(/lacks dummy devices \(dummy\)/);
    expect(err.details).toMatchObject({ kind: 'dummy', op: 'link.add', object: 'link dm0' });
    const vlan = await failureOf(kernel.apply([{ op: 'link.add', link: { name: 'v10', kind: 'vlan', vlan: { parent: 'lo', id: 10 } } }]));
    expect(vlan.message).toMatch(/802\.1Q VLAN/);
  });

  it('creates a kind that the constructor says the kernel has', async () => {
    const withDummy = new FakeKernel({ features: { dummy: true } });
    await withDummy.apply([{ op: 'link.add', link: { name: 'dm0', kind: 'dummy' } }]);
    expect((await withDummy.links()).map((l) => l.kind)).toEqual([undefined, 'dummy']);
  });

  it('holds at most BRIDGE_MAX_PORTS ports on one bridge', async () => {
    const ops: KernelOp[] = [{ op: 'link.add', link: { name: 'br0', kind: 'bridge' } }];
    for (let i = 0; i < BRIDGE_MAX_PORTS; i += 1) {
      ops.push({ op: 'link.add', link: { name: `p${i}`, kind: 'veth', master: 'br0', veth: { name: `q${i}` } } });
    }
    await kernel.apply(ops);
    const err = await failureOf(kernel.apply([{ op: 'link.add', link: { name: 'px', kind: 'veth', master: 'br0', veth: { name: 'qx' } } }]));
    expect(err.details.errno).toBe('EXFULL');
  });

  it('restores a deleted link from the spec it recorded when a later op fails', async () => {
    await kernel.apply([{ op: 'link.add', link: { name: 'br0', kind: 'bridge', mtu: 1400, mac: '02:00:00:00:00:b0', up: true } }]);
    kernel.failOn((op) => op.op === 'netns.add');
    await failureOf(kernel.apply([{ op: 'link.del', name: 'br0' }, { op: 'netns.add', name: 'c1' }]));
    const br0 = (await kernel.links()).find((l) => l.name === 'br0');
    expect(br0).toMatchObject({ kind: 'bridge', mtu: 1400, mac: '02:00:00:00:00:b0', up: true });
  });
});
