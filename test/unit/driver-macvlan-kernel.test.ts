/**
 * The fake kernel's model of what the macvlan driver relies on: a macvlan in
 * a sandbox whose parent is in the daemon's namespace (parentNs null), the
 * passthru rule, and a parent's deletion taking its macvlans with it in
 * every namespace, as the real kernel does.
 */
import { describe, expect, it } from 'vitest';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import type { KernelOp } from '../../src/kernel/ops.js';

const hostWithParent = () => new FakeKernel({ hostLinks: [{ name: 'eth1', kind: 'veth', mtu: 9000 }] });

const sandboxMacvlan = (ns: string, name: string, mode: 'bridge' | 'passthru' = 'bridge'): KernelOp => ({
  op: 'link.add',
  ns,
  link: { name, kind: 'macvlan', mac: '02:42:0a:00:00:02', macvlan: { parent: 'eth1', mode, parentNs: null } },
});

describe('fake kernel: macvlan with its parent in the daemon namespace', () => {
  it('creates it in the sandbox with the parent MTU; re-applying is a no-op; teardown removes it', async () => {
    const kernel = hostWithParent();
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }]);
    const applied = await kernel.apply([sandboxMacvlan('sb1', 'eth0')]);
    expect((await kernel.links('sb1')).find((l) => l.name === 'eth0')).toMatchObject({ kind: 'macvlan', mtu: 9000, mac: '02:42:0a:00:00:02' });
    expect((await kernel.links()).map((l) => l.name)).not.toContain('eth0');
    await kernel.apply([sandboxMacvlan('sb1', 'eth0')]);
    await kernel.teardown(applied);
    expect((await kernel.links('sb1')).map((l) => l.name)).toEqual(['lo']);
  });

  it('refuses a missing parent (ENODEV) and a parentNs for a link in the daemon namespace', async () => {
    const kernel = hostWithParent();
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }]);
    await expect(
      kernel.apply([{ op: 'link.add', ns: 'sb1', link: { name: 'eth0', kind: 'macvlan', macvlan: { parent: 'eth9', mode: 'bridge', parentNs: null } } }]),
    ).rejects.toMatchObject({ details: { errno: 'ENODEV' } });
    await expect(
      kernel.apply([{ op: 'link.add', link: { name: 'mv0', kind: 'macvlan', macvlan: { parent: 'eth1', mode: 'bridge', parentNs: 'sb1' } } }]),
    ).rejects.toMatchObject({ details: { errno: 'EINVAL' } });
  });

  it('passthru takes the parent to itself, across namespaces', async () => {
    const kernel = hostWithParent();
    await kernel.apply([{ op: 'netns.add', name: 'sb1' }, { op: 'netns.add', name: 'sb2' }]);
    await kernel.apply([sandboxMacvlan('sb1', 'eth0')]);
    await expect(kernel.apply([sandboxMacvlan('sb2', 'eth0', 'passthru')])).rejects.toMatchObject({ details: { errno: 'EINVAL' } });
    await kernel.apply([{ op: 'netns.del', name: 'sb1' }]);
    await kernel.apply([sandboxMacvlan('sb2', 'eth0', 'passthru')]);
    await expect(kernel.apply([{ op: 'link.add', link: { name: 'mv0', kind: 'macvlan', macvlan: { parent: 'eth1', mode: 'bridge' } } }])).rejects.toMatchObject({
      details: { errno: 'EINVAL' },
    });
  });

  it('deleting the parent deletes its macvlans in other namespaces too', async () => {
    const kernel = new FakeKernel();
    await kernel.apply([
      { op: 'netns.add', name: 'sb1' },
      { op: 'link.add', link: { name: 'p0', kind: 'veth', veth: { name: 'p1' } } },
      { op: 'link.add', ns: 'sb1', link: { name: 'eth0', kind: 'macvlan', macvlan: { parent: 'p0', mode: 'bridge', parentNs: null } } },
      { op: 'link.add', ns: 'sb1', link: { name: 'p0', kind: 'bridge' } },
    ]);
    await kernel.apply([{ op: 'link.del', name: 'p0' }]);
    // the sandbox's own p0 is not the parent and stays
    expect((await kernel.links('sb1')).map((l) => l.name)).toEqual(['lo', 'p0']);
  });
});
