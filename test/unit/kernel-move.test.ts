/**
 * link.move: its inverse and description, and the fake kernel's model of it
 * (the link changes namespace and name, goes down, loses its addresses and
 * routes, its veth peer follows; done-already is unchanged; teardown moves it
 * back; rollback; refusals change nothing).
 */
import { describe, expect, it } from 'vitest';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { describeOp, inverseOf, type KernelOp } from '../../src/kernel/ops.js';

const moveIn: KernelOp = { op: 'link.move', name: 'cv', toNs: 'sb', newName: 'eth0' };

async function kernelWithPair(): Promise<FakeKernel> {
  const kernel = new FakeKernel();
  await kernel.apply([
    { op: 'netns.add', name: 'sb' },
    { op: 'link.add', link: { name: 'hv', kind: 'veth', up: true, veth: { name: 'cv', mac: '02:00:00:00:00:0c' } } },
    { op: 'addr.add', dev: 'cv', cidr: '10.9.0.9/24' },
    { op: 'link.set', name: 'cv', set: { up: true } },
  ]);
  kernel.clearCalls();
  return kernel;
}

const names = async (kernel: FakeKernel, ns?: string) => (await kernel.links(ns)).map((l) => l.name).sort();

describe('link.move op', () => {
  it('inverts to the move back, from the target under the new name to the source under the old one', () => {
    expect(inverseOf(moveIn)).toEqual({ op: 'link.move', ns: 'sb', name: 'eth0', toNs: undefined, newName: 'cv' });
    expect(inverseOf({ op: 'link.move', ns: 'a', name: 'x', toNs: 'b' })).toEqual({ op: 'link.move', ns: 'b', name: 'x', toNs: 'a', newName: 'x' });
    expect(inverseOf(inverseOf(moveIn))).toEqual({ ...moveIn, ns: undefined });
    expect(describeOp(moveIn)).toBe('link cv → eth0 in netns sb');
  });
});

describe('link.move in the fake kernel', () => {
  it('moves and renames the link; it arrives down, without addresses; the veth peer follows', async () => {
    const kernel = await kernelWithPair();
    await kernel.apply([moveIn]);
    expect(await names(kernel)).toEqual(['hv', 'lo']);
    const eth0 = (await kernel.links('sb')).find((l) => l.name === 'eth0')!;
    expect(eth0).toMatchObject({ mac: '02:00:00:00:00:0c', up: false, kind: 'veth' });
    expect((await kernel.addresses()).map((a) => a.dev)).not.toContain('cv');
    expect((await kernel.routes()).map((r) => r.dev)).not.toContain('cv');
    expect(kernel.snapshot()['(daemon)']!.links.find((l) => l.name === 'hv')).toMatchObject({ peer: { netns: 'sb', name: 'eth0' } });
    // deleting the host end takes the moved end with it: the pair is intact
    await kernel.apply([{ op: 'link.del', name: 'hv', link: { name: 'hv', kind: 'veth', veth: { name: 'eth0', ns: 'sb' } } }]);
    expect(await names(kernel, 'sb')).toEqual(['lo']);
  });

  it('is unchanged when done already, so a failing later op does not move it back', async () => {
    const kernel = await kernelWithPair();
    await kernel.apply([moveIn]);
    kernel.clearCalls();
    await kernel.apply([moveIn]);
    expect(kernel.log).toEqual(['apply link.move link cv → eth0 in netns sb @(daemon) → noop']);
    await expect(kernel.apply([moveIn, { op: 'addr.add', ns: 'sb', dev: 'nosuch', cidr: '10.9.0.2/24' }])).rejects.toThrow();
    expect(await names(kernel, 'sb')).toEqual(['eth0', 'lo']);
  });

  it('is moved back by teardown and by the rollback of a failed apply', async () => {
    const kernel = await kernelWithPair();
    const applied = await kernel.apply([moveIn, { op: 'link.set', ns: 'sb', name: 'eth0', set: { up: true } }]);
    await kernel.teardown(applied);
    expect(await names(kernel)).toEqual(['cv', 'hv', 'lo']);
    expect(await names(kernel, 'sb')).toEqual(['lo']);
    await kernel.teardown(applied); // already back
    await expect(kernel.apply([moveIn, { op: 'route.add', ns: 'sb', route: { dst: 'default', via: '10.99.0.1', dev: 'eth0' } }])).rejects.toThrow();
    expect(await names(kernel)).toEqual(['cv', 'hv', 'lo']);
  });

  it('refuses a taken name, a missing link, lo and bridges, changing nothing', async () => {
    const kernel = await kernelWithPair();
    await kernel.apply([{ op: 'link.add', ns: 'sb', link: { name: 'eth0', kind: 'veth', veth: { name: 'x' } } }]);
    const before = kernel.snapshot();
    await expect(kernel.apply([moveIn])).rejects.toMatchObject({ details: { errno: 'EEXIST' } });
    await expect(kernel.apply([{ op: 'link.move', name: 'nosuch', toNs: 'sb', newName: 'eth1' }])).rejects.toMatchObject({ details: { errno: 'ENODEV' } });
    await expect(kernel.apply([{ op: 'link.move', name: 'lo', toNs: 'sb', newName: 'lo2' }])).rejects.toMatchObject({ details: { errno: 'EINVAL' } });
    await expect(kernel.apply([{ op: 'link.move', name: 'cv', toNs: 'sb', newName: 'a/b' }])).rejects.toMatchObject({ details: { errno: 'EINVAL' } });
    expect(kernel.snapshot()).toEqual(before);
  });

  it('finds the move undone when the sandbox has gone', async () => {
    const kernel = await kernelWithPair();
    const applied = await kernel.apply([moveIn]);
    await kernel.apply([{ op: 'netns.del', name: 'sb' }]);
    await kernel.teardown(applied);
    expect(await names(kernel)).toEqual(['lo']);
  });
});
