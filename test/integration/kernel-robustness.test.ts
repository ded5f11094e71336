/**
 * LinuxKernel under conditions a daemon meets: many applies at once on one
 * namespace, a namespace name deleted and reused behind its back, and a
 * delete it could not undo. Read back with `ip -j`.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ipJson } from '../helpers/netns.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

const linkNames = (ns: string): string[] => ipJson(ns, 'link', 'show').map((l: { ifname: string }) => l.ifname);

describe('concurrency', () => {
  it('runs hundreds of applies and dumps at once on one namespace without losing a reply', async () => {
    const host = pool.create('h');
    await kernel.apply([{ op: 'link.add', link: { name: 'br0', kind: 'bridge', up: true } }], { netns: host });
    const count = 300;
    const work = Array.from({ length: count }, (_, i) => [
      kernel.apply([{ op: 'addr.add', dev: 'br0', cidr: `10.77.${i >> 8}.${i & 255}/32` }], { netns: host }),
      kernel.links(host),
      kernel.addresses(host),
    ]).flat();
    await Promise.all(work);
    const addrs = ipJson(host, 'addr', 'show', 'dev', 'br0')[0].addr_info.filter((a: { family: string }) => a.family === 'inet');
    expect(addrs).toHaveLength(count);
  });
});

describe('namespace names', () => {
  it('follows a name that was deleted and created again to the new namespace', async () => {
    const name = pool.create('re');
    await kernel.apply([{ op: 'link.add', link: { name: 'old0', kind: 'bridge' } }], { netns: name });
    execFileSync('ip', ['netns', 'del', name]);
    execFileSync('ip', ['netns', 'add', name]);
    await kernel.apply([{ op: 'link.add', link: { name: 'new0', kind: 'bridge' } }], { netns: name });
    expect(linkNames(name).sort()).toEqual(['lo', 'new0']);
    expect((await kernel.links(name)).map((l) => l.name).sort()).toEqual(['lo', 'new0']);
  });

  it('refuses names that are not one plain path component', async () => {
    for (const name of ['../etc', 'a/b', '', '.']) {
      await expect(kernel.apply([{ op: 'netns.add', name }])).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' });
    }
  });
});

describe('link.del without a spec', () => {
  it('refuses to delete a veth whose peer is in another namespace, since rollback could not recreate it', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    await kernel.apply([{ op: 'link.add', link: { name: 've0', kind: 'veth', veth: { name: 'eth0', ns: sandbox } } }], { netns: host });
    await expect(kernel.apply([{ op: 'link.del', name: 've0' }], { netns: host })).rejects.toMatchObject({
      code: 'WEFT_INVALID_ARGUMENT',
      details: { op: 'link.del' },
    });
    expect(linkNames(host)).toContain('ve0');
    // with the spec it goes, and takes the peer with it
    await kernel.apply([{ op: 'link.del', name: 've0', link: { name: 've0', kind: 'veth', veth: { name: 'eth0', ns: sandbox } } }], { netns: host });
    expect(linkNames(host)).not.toContain('ve0');
    expect(linkNames(sandbox)).not.toContain('eth0');
  });
});
