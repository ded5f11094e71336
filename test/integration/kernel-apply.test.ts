/**
 * LinuxKernel.apply / teardown against the real kernel: rollback on
 * failure, idempotent adds and deletes, and a teardown that carries on past
 * errors. State is read back with `ip -j`.
 */
import { describe, expect, it } from 'vitest';
import { isWeftError } from '../../src/errors/index.js';
import type { KernelOp } from '../../src/kernel/ops.js';
import { ipJson, sh } from '../helpers/netns.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

const linkNames = (ns: string): string[] => ipJson(ns, 'link', 'show').map((l: { ifname: string }) => l.ifname);
const globalAddrs = (ns: string): string[] =>
  ipJson(ns, 'addr', 'show')
    .flatMap((l: { addr_info: { local: string; prefixlen: number; scope: string }[] }) => l.addr_info)
    .filter((a: { scope: string }) => a.scope === 'global')
    .map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`);

describe('rollback', () => {
  it('undoes ops 1–3 in reverse when op 4 fails and names op, object and errno', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    const plan: KernelOp[] = [
      { op: 'link.add', ns: host, link: { name: 'br0', kind: 'bridge', up: true } },
      { op: 'link.add', ns: host, link: { name: 'veth0', kind: 'veth', master: 'br0', up: true, veth: { name: 'eth0', ns: sandbox } } },
      { op: 'addr.add', ns: sandbox, dev: 'eth0', cidr: '10.0.0.2/24' },
      // no route to 192.0.2.1 in the sandbox: the kernel says ENETUNREACH
      { op: 'route.add', ns: sandbox, route: { dst: '198.51.100.0/24', via: '192.0.2.1' } },
    ];
    const failure = await kernel.apply(plan).catch((e: unknown) => e);

    expect(isWeftError(failure, 'WEFT_KERNEL_OP_FAILED')).toBe(true);
    expect(failure).toMatchObject({
      details: { op: 'route.add', object: 'route 198.51.100.0/24 via 192.0.2.1', netns: sandbox, errno: 'ENETUNREACH', rolledBack: 3 },
    });
    expect((failure as Error).message).toContain('ENETUNREACH');
    expect(linkNames(host)).toEqual(['lo']);
    expect(linkNames(sandbox)).toEqual(['lo']);
    expect(globalAddrs(sandbox)).toEqual([]);
  });

  it('restores what link.set and sysctl.set changed, and recreates what link.del removed', async () => {
    const host = pool.create('h');
    await kernel.apply([{ op: 'link.add', link: { name: 'br0', kind: 'bridge', mtu: 1400 } }], { netns: host });
    const forwardBefore = sh(host, 'cat', ['/proc/sys/net/ipv4/ip_forward']).trim();
    const plan: KernelOp[] = [
      { op: 'link.add', link: { name: 'br1', kind: 'bridge' } },
      { op: 'link.set', name: 'br1', set: { mtu: 1300, up: true } },
      { op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: forwardBefore === '1' ? '0' : '1' },
      // no spec given: the executor describes br0 before deleting it, so rollback can recreate it
      { op: 'link.del', name: 'br0' },
      { op: 'addr.add', dev: 'missing0', cidr: '10.9.9.9/32' },
    ];
    await expect(kernel.apply(plan, { netns: host })).rejects.toMatchObject({
      code: 'WEFT_KERNEL_OP_FAILED',
      details: { op: 'addr.add', errno: 'ENODEV', rolledBack: 4 },
    });
    expect(linkNames(host).sort()).toEqual(['br0', 'lo']);
    expect(ipJson(host, '-d', 'link', 'show', 'br0')[0]).toMatchObject({ mtu: 1400, linkinfo: { info_kind: 'bridge' } });
    expect(sh(host, 'cat', ['/proc/sys/net/ipv4/ip_forward']).trim()).toBe(forwardBefore);
  });

  it('does not undo objects that were already there (changed:false)', async () => {
    const host = pool.create('h');
    await kernel.apply(
      [
        { op: 'link.add', link: { name: 'br0', kind: 'bridge', up: true } },
        { op: 'addr.add', dev: 'br0', cidr: '10.0.0.1/24' },
      ],
      { netns: host },
    );
    const plan: KernelOp[] = [
      { op: 'link.add', link: { name: 'br0', kind: 'bridge', up: true } },
      { op: 'addr.add', dev: 'br0', cidr: '10.0.0.1/24' },
      { op: 'link.add', link: { name: 'br1', kind: 'bridge' } },
      { op: 'addr.add', dev: 'nope0', cidr: '10.0.1.1/24' },
    ];
    await expect(kernel.apply(plan, { netns: host })).rejects.toMatchObject({ details: { rolledBack: 1 } });
    expect(linkNames(host).sort()).toEqual(['br0', 'lo']);
    expect(globalAddrs(host)).toEqual(['10.0.0.1/24']);
  });
});

describe('idempotence', () => {
  const endpointPlan = (host: string, sandbox: string): KernelOp[] => [
    { op: 'link.add', ns: host, link: { name: 'br0', kind: 'bridge', up: true } },
    { op: 'addr.add', ns: host, dev: 'br0', cidr: '10.0.0.1/24' },
    { op: 'link.add', ns: host, link: { name: 'veth0', kind: 'veth', master: 'br0', up: true, veth: { name: 'eth0', ns: sandbox } } },
    { op: 'addr.add', ns: sandbox, dev: 'eth0', cidr: '10.0.0.2/24' },
    { op: 'addr.add', ns: sandbox, dev: 'eth0', cidr: 'fd00::2/64' },
    { op: 'link.set', ns: sandbox, name: 'eth0', set: { up: true } },
    { op: 'route.add', ns: sandbox, route: { dst: 'default', via: '10.0.0.1' } },
    { op: 'neigh.add', ns: host, dev: 'br0', ip: '10.0.0.2', mac: '02:00:00:00:00:02' },
    { op: 'neigh.add', ns: host, dev: 'br0', ip: '10.0.0.50', proxy: true },
    { op: 'sysctl.set', ns: host, key: 'net.ipv4.conf.br0.forwarding', value: '1' },
  ];

  const snapshot = (host: string, sandbox: string) => ({
    hostLinks: linkNames(host).sort(),
    sandboxLinks: linkNames(sandbox).sort(),
    hostAddrs: globalAddrs(host),
    sandboxAddrs: globalAddrs(sandbox),
    routes: ipJson(sandbox, 'route', 'show'),
    neigh: ipJson(host, 'neigh', 'show', 'dev', 'br0').filter((n: { state: string[] }) => n.state.includes('PERMANENT')),
    proxy: ipJson(host, 'neigh', 'show', 'proxy'),
  });

  it('applying the same plan twice succeeds and changes nothing the second time', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    await kernel.apply(endpointPlan(host, sandbox));
    const first = snapshot(host, sandbox);
    const again = await kernel.apply(endpointPlan(host, sandbox));
    expect(snapshot(host, sandbox)).toEqual(first);
    // link.set found nothing to change, so its prev equals its target
    expect(again[5]).toMatchObject({ op: 'link.set', prev: { up: true } });
  });

  it('tearing down twice succeeds: the second finds everything already gone', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    const applied = await kernel.apply(endpointPlan(host, sandbox));
    await kernel.teardown(applied);
    await kernel.teardown(applied);
    expect(linkNames(host)).toEqual(['lo']);
    expect(linkNames(sandbox)).toEqual(['lo']);
    expect(ipJson(host, 'neigh', 'show', 'proxy')).toEqual([]);
  });

  it('deletes in a namespace that no longer exists count as already gone', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    const applied = await kernel.apply(endpointPlan(host, sandbox));
    await kernel.apply([{ op: 'netns.del', name: sandbox }]);
    await kernel.teardown(applied);
    expect(linkNames(host)).toEqual(['lo']);
  });

  it('an add that meets a different object of the same name fails with EEXIST', async () => {
    const host = pool.create('h');
    await kernel.apply([{ op: 'link.add', link: { name: 'x0', kind: 'bridge' } }], { netns: host });
    await expect(kernel.apply([{ op: 'link.add', link: { name: 'x0', kind: 'veth', veth: { name: 'x1' } } }], { netns: host })).rejects.toMatchObject({
      code: 'WEFT_KERNEL_OP_FAILED',
      details: { op: 'link.add', errno: 'EEXIST' },
    });
    await kernel.apply([{ op: 'link.add', link: { name: 'br0', kind: 'bridge', up: true } }, { op: 'addr.add', dev: 'br0', cidr: 'fd00::1/64' }], { netns: host });
    await expect(kernel.apply([{ op: 'addr.add', dev: 'br0', cidr: 'fd00::1/80' }], { netns: host })).rejects.toMatchObject({
      details: { errno: 'EEXIST' },
    });
    expect(linkNames(host)).toContain('x0');
  });

  it('ops on a namespace that does not exist fail with WEFT_NETNS_NOT_FOUND', async () => {
    await expect(kernel.apply([{ op: 'link.add', link: { name: 'br0', kind: 'bridge' } }], { netns: 'wt-no-such-ns' })).rejects.toMatchObject({
      code: 'WEFT_NETNS_NOT_FOUND',
      details: { op: 'link.add', netns: 'wt-no-such-ns' },
    });
  });
});

describe('teardown', () => {
  it('carries on past failing steps and reports all of them together', async () => {
    const host = pool.create('h');
    const plan: KernelOp[] = [
      { op: 'link.add', link: { name: 'br0', kind: 'bridge' } },
      { op: 'nft.apply', script: 'add table inet wefttd\n', undo: 'this is not nft\n' },
      { op: 'link.add', link: { name: 'br1', kind: 'bridge' } },
      // its inverse writes "bogus" back, which the kernel refuses
      { op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: '1', prev: 'bogus' },
      { op: 'link.add', link: { name: 'br2', kind: 'bridge' } },
    ];
    await kernel.apply(plan.slice(0, 3), { netns: host });
    await kernel.apply([plan[4]!], { netns: host });

    const failure = await kernel.teardown(plan, { netns: host }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'WEFT_KERNEL_OP_FAILED' });
    const errors = (failure as { details: { errors: Array<Record<string, unknown>> } }).details.errors;
    expect(errors).toHaveLength(2);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'WEFT_KERNEL_OP_FAILED', op: 'sysctl.set', errno: 'EINVAL' }),
        expect.objectContaining({ code: 'WEFT_NFT_FAILED', op: 'nft.apply' }),
      ]),
    );
    // every other step ran: all three bridges are gone
    expect(linkNames(host)).toEqual(['lo']);
  });
});
