/**
 * The kernel layer's part of the macvlan driver, against the real kernel: a
 * macvlan whose parent is in another namespace (MacvlanOptions.parentNs) is
 * created directly in its own namespace, is idempotent, and goes with its
 * teardown. Every op runs in namespaces this file creates; `ip -j` checks.
 */
import { describe, expect, it } from 'vitest';
import type { KernelOp } from '../../src/kernel/ops.js';
import { ipJson } from '../helpers/netns.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

const linkNames = (ns: string): string[] => ipJson(ns, 'link', 'show').map((l: { ifname: string }) => l.ifname);

describe('macvlan with its parent in another namespace', () => {
  it('is created directly in its namespace under its final name, with mode, mac and group; teardown removes it', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    await kernel.apply([{ op: 'link.add', link: { name: 'par0', kind: 'veth', up: true, veth: { name: 'par1' } } }], { netns: host });
    const ops: KernelOp[] = [
      {
        op: 'link.add',
        ns: sandbox,
        link: { name: 'eth0', kind: 'macvlan', mac: '02:42:c0:00:02:05', group: 30565, up: true, macvlan: { parent: 'par0', mode: 'private', parentNs: host } },
      },
    ];
    const applied = await kernel.apply(ops);
    const eth0 = ipJson(sandbox, '-d', 'link', 'show', 'dev', 'eth0')[0];
    expect(eth0).toMatchObject({ address: '02:42:c0:00:02:05', group: '30565' });
    expect(eth0.linkinfo).toMatchObject({ info_kind: 'macvlan', info_data: { mode: 'private' } });
    expect(eth0.link_netnsid).toBeDefined();
    expect(linkNames(host)).toEqual(['lo', 'par1', 'par0']);

    // again: identical, so nothing changes (restart reconcile re-applies plans)
    await kernel.apply(ops);
    expect(linkNames(sandbox)).toEqual(['lo', 'eth0']);

    await kernel.teardown(applied);
    expect(linkNames(sandbox)).toEqual(['lo']);
    expect(linkNames(host)).toContain('par0');
  });

  it('a missing parent fails the apply and leaves nothing', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    await expect(
      kernel.apply([{ op: 'link.add', ns: sandbox, link: { name: 'eth0', kind: 'macvlan', macvlan: { parent: 'nosuch', mode: 'bridge', parentNs: host } } }]),
    ).rejects.toMatchObject({ details: { errno: 'ENODEV' } });
    expect(linkNames(sandbox)).toEqual(['lo']);
  });

  it('a name taken in the target namespace by another link is EEXIST, and the other link stays', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    await kernel.apply([{ op: 'link.add', link: { name: 'par0', kind: 'veth', up: true, veth: { name: 'par1' } } }], { netns: host });
    await kernel.apply([{ op: 'link.add', link: { name: 'eth0', kind: 'bridge' } }], { netns: sandbox });
    await expect(
      kernel.apply([{ op: 'link.add', ns: sandbox, link: { name: 'eth0', kind: 'macvlan', macvlan: { parent: 'par0', mode: 'bridge', parentNs: host } } }]),
    ).rejects.toMatchObject({ details: { errno: 'EEXIST' } });
    expect(ipJson(sandbox, '-d', 'link', 'show', 'dev', 'eth0')[0].linkinfo.info_kind).toBe('bridge');
  });
});
