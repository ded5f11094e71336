/**
 * LinuxKernel against the real kernel: namespaces and links. Every op runs
 * in namespaces this file creates; results are read back with `ip -j`.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { KernelOp } from '../../src/kernel/ops.js';
import { ipJson, uniqueName } from '../helpers/netns.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

const link = (ns: string, name: string) => ipJson(ns, '-d', 'link', 'show', 'dev', name)[0];
const linkNames = (ns: string): string[] => ipJson(ns, 'link', 'show').map((l: { ifname: string }) => l.ifname);
const rootLinkNames = (): string[] =>
  (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((l) => l.ifname);
const netnsNames = (): string[] =>
  (JSON.parse(execFileSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8' }) || '[]') as { name: string }[]).map((n) => n.name);

describe('netns ops', () => {
  it('netns.add creates a namespace that iproute2 can use; netns.del removes it', async () => {
    const name = uniqueName('nsa');
    pool.track(name);
    await kernel.apply([{ op: 'netns.add', name }]);
    expect(netnsNames()).toContain(name);
    expect(linkNames(name)).toEqual(['lo']);
    expect(await kernel.netnsExists(name)).toBe(true);
    expect(await kernel.netnsList()).toContain(name);

    await kernel.apply([{ op: 'netns.del', name }]);
    expect(netnsNames()).not.toContain(name);
    expect(await kernel.netnsExists(name)).toBe(false);
  });

  it('netns.add of an existing namespace and netns.del of a missing one succeed', async () => {
    const name = pool.create('nsx');
    await kernel.apply([{ op: 'netns.add', name }]);
    expect(netnsNames()).toContain(name);
    await kernel.apply([{ op: 'netns.del', name }]);
    await kernel.apply([{ op: 'netns.del', name }]);
    expect(netnsNames()).not.toContain(name);
  });
});

describe('link.add', () => {
  it('creates a bridge with mtu, mac, group and up', async () => {
    const host = pool.create('h');
    await kernel.apply([{ op: 'link.add', link: { name: 'br0', kind: 'bridge', mtu: 1400, mac: '02:00:00:aa:bb:01', group: 77, up: true } }], {
      netns: host,
    });
    const br = link(host, 'br0');
    expect(br.linkinfo.info_kind).toBe('bridge');
    expect(br.mtu).toBe(1400);
    expect(br.address).toBe('02:00:00:aa:bb:01');
    expect(br.group).toBe('77');
    expect(br.flags).toContain('UP');
  });

  it('creates a veth whose peer is born in another namespace under its final name, enslaved and up', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    const hostEnd = uniqueName('v');
    await kernel.apply(
      [
        { op: 'link.add', link: { name: 'br0', kind: 'bridge', up: true } },
        { op: 'link.add', link: { name: hostEnd, kind: 'veth', master: 'br0', up: true, mtu: 1450, veth: { name: 'eth0', ns: sandbox, mac: '02:00:00:00:00:42' } } },
      ],
      { netns: host },
    );
    const h = link(host, hostEnd);
    expect(h.linkinfo.info_kind).toBe('veth');
    expect(h.master).toBe('br0');
    expect(h.flags).toContain('UP');
    const peer = link(sandbox, 'eth0');
    expect(peer.linkinfo.info_kind).toBe('veth');
    expect(peer.address).toBe('02:00:00:00:00:42');
    expect(peer.mtu).toBe(1450);
    expect(linkNames(host)).not.toContain('eth0');
    expect(rootLinkNames()).not.toContain(hostEnd);
  });

  it('creates a vxlan with vni, port, local address, underlay device and learning off', async () => {
    const host = pool.create('h');
    await kernel.apply(
      [
        { op: 'link.add', link: { name: 'ul0', kind: 'veth', up: true, veth: { name: 'ul1' } } },
        { op: 'addr.add', dev: 'ul0', cidr: '10.1.0.1/24' },
        { op: 'link.add', link: { name: 'vx0', kind: 'vxlan', vxlan: { vni: 4100, port: 4790, local: '10.1.0.1', dev: 'ul0' } } },
      ],
      { netns: host },
    );
    const vx = link(host, 'vx0');
    expect(vx.linkinfo.info_kind).toBe('vxlan');
    expect(vx.linkinfo.info_data).toMatchObject({ id: 4100, port: 4790, local: '10.1.0.1', link: 'ul0', learning: false });
  });

  it('creates a macvlan on a parent with the asked-for mode', async () => {
    const host = pool.create('h');
    await kernel.apply(
      [
        { op: 'link.add', link: { name: 'p0', kind: 'veth', veth: { name: 'p1' } } },
        { op: 'link.add', link: { name: 'mv0', kind: 'macvlan', macvlan: { parent: 'p0', mode: 'private' } } },
      ],
      { netns: host },
    );
    const mv = link(host, 'mv0');
    expect(mv.linkinfo.info_kind).toBe('macvlan');
    expect(mv.linkinfo.info_data.mode).toBe('private');
    expect(mv.link).toBe('p0');
  });

  it('link.del removes a link and its teardown recreates nothing twice', async () => {
    const host = pool.create('h');
    const ops: KernelOp[] = [{ op: 'link.add', link: { name: 'br9', kind: 'bridge' } }];
    await kernel.apply(ops, { netns: host });
    await kernel.apply([{ op: 'link.del', name: 'br9' }], { netns: host });
    expect(linkNames(host)).not.toContain('br9');
    // deleting again is "already gone", not an error
    await kernel.apply([{ op: 'link.del', name: 'br9' }], { netns: host });
    await kernel.teardown(ops, { netns: host });
  });

  it('reads links back (kind, master, mtu, up) the way ip sees them', async () => {
    const host = pool.create('h');
    await kernel.apply(
      [
        { op: 'link.add', link: { name: 'br0', kind: 'bridge', up: true } },
        { op: 'link.add', link: { name: 'a0', kind: 'veth', master: 'br0', mtu: 1300, veth: { name: 'a1' } } },
      ],
      { netns: host },
    );
    const links = await kernel.links(host);
    expect(links.find((l) => l.name === 'a0')).toMatchObject({ kind: 'veth', master: 'br0', mtu: 1300, up: false });
    expect(links.find((l) => l.name === 'br0')).toMatchObject({ kind: 'bridge', up: true });
    expect(links.map((l) => l.name).sort()).toEqual(linkNames(host).sort());
  });
});

describe('link.set', () => {
  it('changes mtu, mac, master and up, records prev, and its inverse restores them', async () => {
    const host = pool.create('h');
    await kernel.apply(
      [
        { op: 'link.add', link: { name: 'br0', kind: 'bridge' } },
        { op: 'link.add', link: { name: 'v0', kind: 'veth', veth: { name: 'v1' } } },
      ],
      { netns: host },
    );
    const before = link(host, 'v0');
    const set: KernelOp = { op: 'link.set', name: 'v0', set: { mtu: 1280, mac: '02:00:00:00:12:34', master: 'br0', up: true } };
    const [applied] = await kernel.apply([set], { netns: host });
    expect(applied).toMatchObject({ prev: { mtu: before.mtu, mac: before.address, master: null, up: false } });
    const after = link(host, 'v0');
    expect(after).toMatchObject({ mtu: 1280, address: '02:00:00:00:12:34', master: 'br0' });
    expect(after.flags).toContain('UP');

    await kernel.teardown([applied!], { netns: host });
    const restored = link(host, 'v0');
    expect(restored).toMatchObject({ mtu: before.mtu, address: before.address });
    expect(restored.master).toBeUndefined();
    expect(restored.flags).not.toContain('UP');
  });

  it('releases a link from its master with master: null', async () => {
    const host = pool.create('h');
    await kernel.apply(
      [
        { op: 'link.add', link: { name: 'br0', kind: 'bridge' } },
        { op: 'link.add', link: { name: 'v0', kind: 'veth', master: 'br0', veth: { name: 'v1' } } },
        { op: 'link.set', name: 'v0', set: { master: null } },
      ],
      { netns: host },
    );
    expect(link(host, 'v0').master).toBeUndefined();
  });
});
