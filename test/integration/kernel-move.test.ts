/**
 * link.move against the real kernel: a veth end moved from a "host"
 * namespace into a sandbox and renamed there, idempotence, the inverse
 * moving it back, rollback, and refusals that change nothing. Every op names
 * both namespaces (an absent `toNs` would mean the test process's own);
 * results are read back with `ip -j`.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { KernelOp } from '../../src/kernel/ops.js';
import { ipJson } from '../helpers/netns.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

const linkNames = (ns: string): string[] => ipJson(ns, 'link', 'show').map((l: { ifname: string }) => l.ifname).sort();
const macOf = (ns: string, dev: string): string => ipJson(ns, 'link', 'show', 'dev', dev)[0].address;

/** A host namespace with a veth pair (hv ↔ cv) and an empty sandbox namespace. */
function setUp(): { host: string; sb: string } {
  const host = pool.create('h');
  const sb = pool.create('s');
  execFileSync('ip', ['-n', host, 'link', 'add', 'hv', 'type', 'veth', 'peer', 'name', 'cv']);
  execFileSync('ip', ['-n', host, 'link', 'set', 'hv', 'up']);
  return { host, sb };
}

const moveIn = (host: string, sb: string): KernelOp => ({ op: 'link.move', ns: host, name: 'cv', toNs: sb, newName: 'eth0' });

describe('link.move', () => {
  it('moves a link into another namespace under a new name, keeping the device (and its veth peer)', async () => {
    const { host, sb } = setUp();
    const mac = macOf(host, 'cv');
    await kernel.apply([
      moveIn(host, sb),
      { op: 'addr.add', ns: sb, dev: 'eth0', cidr: '10.77.0.2/24' },
      { op: 'link.set', ns: sb, name: 'eth0', set: { up: true } },
    ]);
    expect(linkNames(host)).toEqual(['hv', 'lo']);
    expect(linkNames(sb)).toEqual(['eth0', 'lo']);
    expect(macOf(sb, 'eth0')).toBe(mac);
    const eth0 = ipJson(sb, 'addr', 'show', 'dev', 'eth0')[0];
    expect(eth0.operstate).toBe('UP');
    expect(eth0.addr_info.map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`)).toContain('10.77.0.2/24');
    // the pair still works: the host end now sees its peer in another namespace
    expect(ipJson(host, 'link', 'show', 'dev', 'hv')[0].link_netnsid).toBeDefined();
  });

  it('is done already when the link is in the target under the new name', async () => {
    const { host, sb } = setUp();
    await kernel.apply([moveIn(host, sb)]);
    const applied = await kernel.apply([moveIn(host, sb)]);
    expect(applied).toEqual([moveIn(host, sb)]);
    // unchanged, so a later failure in the same apply does not move it back
    await expect(kernel.apply([moveIn(host, sb), { op: 'addr.add', ns: sb, dev: 'nosuch', cidr: '10.77.0.2/24' }])).rejects.toMatchObject({
      code: 'WEFT_KERNEL_OP_FAILED',
    });
    expect(linkNames(sb)).toEqual(['eth0', 'lo']);
  });

  it('its teardown (the inverse) moves the link back under its old name', async () => {
    const { host, sb } = setUp();
    const applied = await kernel.apply([moveIn(host, sb), { op: 'link.set', ns: sb, name: 'eth0', set: { up: true } }]);
    await kernel.teardown(applied);
    expect(linkNames(sb)).toEqual(['lo']);
    expect(linkNames(host)).toEqual(['cv', 'hv', 'lo']);
    // and again: already back, nothing to do
    await kernel.teardown(applied);
    expect(linkNames(host)).toEqual(['cv', 'hv', 'lo']);
  });

  it('is moved back when a later op of the same apply fails', async () => {
    const { host, sb } = setUp();
    await expect(
      kernel.apply([moveIn(host, sb), { op: 'route.add', ns: sb, route: { dst: 'default', via: '10.99.0.1', dev: 'eth0' } }]),
    ).rejects.toMatchObject({ code: 'WEFT_KERNEL_OP_FAILED', details: { rolledBack: 1 } });
    expect(linkNames(sb)).toEqual(['lo']);
    expect(linkNames(host)).toEqual(['cv', 'hv', 'lo']);
  });

  it('refuses, changing nothing, when the new name is taken or the link is nowhere', async () => {
    const { host, sb } = setUp();
    execFileSync('ip', ['-n', sb, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other']);
    await expect(kernel.apply([moveIn(host, sb)])).rejects.toMatchObject({ details: { errno: 'EEXIST' } });
    expect(linkNames(host)).toEqual(['cv', 'hv', 'lo']);
    await expect(kernel.apply([{ op: 'link.move', ns: host, name: 'nosuch', toNs: sb, newName: 'eth1' }])).rejects.toMatchObject({
      details: { errno: 'ENODEV' },
    });
  });

  it('treats a sandbox that vanished as already undone on teardown', async () => {
    const { host, sb } = setUp();
    const applied = await kernel.apply([moveIn(host, sb)]);
    execFileSync('ip', ['netns', 'del', sb]);
    await kernel.teardown(applied);
    // the moved end went with the namespace (its peer follows once the kernel has cleaned up)
    expect(linkNames(host)).not.toContain('cv');
  });
});
