/**
 * The apply engine (apply.ts) driven through the fake kernel: ordering,
 * `prev` capture, rollback in reverse, idempotent adds, teardown that
 * carries on. Outcomes are checked both in the fake's call record and in its
 * model state.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/index.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import type { KernelOp } from '../../src/kernel/ops.js';
import { failureOf } from '../helpers/failures.js';

/** A bridge network with a container attached, as a driver would plan it. */
function bridgePlan(): KernelOp[] {
  return [
    { op: 'netns.add', name: 'c1' },
    { op: 'link.add', link: { name: 'br-a', kind: 'bridge', up: true } },
    { op: 'addr.add', dev: 'br-a', cidr: '10.10.0.1/24' },
    { op: 'link.add', link: { name: 'vh-a', kind: 'veth', master: 'br-a', up: true, veth: { name: 'eth0', ns: 'c1' } } },
    { op: 'link.set', ns: 'c1', name: 'eth0', set: { up: true } },
    { op: 'addr.add', ns: 'c1', dev: 'eth0', cidr: '10.10.0.2/24' },
    { op: 'route.add', ns: 'c1', route: { dst: 'default', via: '10.10.0.1' } },
    { op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: '1' },
    { op: 'nft.apply', script: 'add table ip weft-nat', undo: 'delete table ip weft-nat' },
  ];
}

describe('apply', () => {
  let kernel: FakeKernel;
  beforeEach(() => {
    kernel = new FakeKernel();
  });

  it('runs every op in order and returns them with prev filled for link.set and sysctl.set', async () => {
    const applied = await kernel.apply(bridgePlan());
    expect(applied).toHaveLength(9);
    expect(applied[4]).toEqual({ op: 'link.set', ns: 'c1', name: 'eth0', set: { up: true }, prev: { up: false } });
    expect(applied[7]).toEqual({ op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: '1', prev: '0' });
    expect(kernel.calls.map((c) => [c.phase, c.op.op, c.outcome])).toEqual(
      bridgePlan().map((op) => ['apply', op.op, 'applied']),
    );
    expect(await kernel.routes('c1')).toContainEqual(
      expect.objectContaining({ dst: 'default', via: '10.10.0.1', dev: 'eth0' }),
    );
    expect(await kernel.sysctlGet('net.ipv4.ip_forward')).toBe('1');
  });

  it('records a link.set prev for exactly the fields it changes', async () => {
    await kernel.apply([{ op: 'link.add', link: { name: 'br-a', kind: 'bridge', mtu: 1500 } }]);
    const [set] = await kernel.apply([{ op: 'link.set', name: 'br-a', set: { mtu: 9000, up: true } }]);
    expect(set).toEqual({ op: 'link.set', name: 'br-a', set: { mtu: 9000, up: true }, prev: { mtu: 1500, up: false } });
  });

  it('fills in a link.del spec from the kernel, so the delete can be undone', async () => {
    await kernel.apply([{ op: 'link.add', link: { name: 'br-a', kind: 'bridge', mtu: 1400, group: 7 } }]);
    const [del] = await kernel.apply([{ op: 'link.del', name: 'br-a' }]);
    expect(del).toMatchObject({ op: 'link.del', name: 'br-a', link: { name: 'br-a', kind: 'bridge', mtu: 1400, group: 7 } });
  });

  it('on failure of op k undoes ops 1..k-1 in reverse and leaves the model as it found it', async () => {
    const before = kernel.snapshot();
    kernel.failOn((op) => op.op === 'route.add', { code: 'EBUSY' });
    const plan = bridgePlan();

    const err = await failureOf(kernel.apply(plan));

    expect(err.code).toBe(ErrorCodes.KERNEL_OP_FAILED);
    expect(err.details).toMatchObject({ op: 'route.add', object: 'route default via 10.10.0.1', errno: 'EBUSY', rolledBack: 6, netns: 'c1' });
    expect(err.details.rollbackErrors).toBeUndefined();
    expect(kernel.log).toEqual([
      'apply netns.add netns c1 @(daemon) → applied',
      'apply link.add link br-a @(daemon) → applied',
      'apply addr.add address 10.10.0.1/24 on br-a @(daemon) → applied',
      'apply link.add link vh-a @(daemon) → applied',
      'apply link.set link eth0 @c1 → applied',
      'apply addr.add address 10.10.0.2/24 on eth0 @c1 → applied',
      'apply route.add route default via 10.10.0.1 @c1 → failed (EBUSY)',
      'rollback addr.del address 10.10.0.2/24 on eth0 @c1 → applied',
      'rollback link.set link eth0 @c1 → applied',
      'rollback link.del link vh-a @(daemon) → applied',
      'rollback addr.del address 10.10.0.1/24 on br-a @(daemon) → applied',
      'rollback link.del link br-a @(daemon) → applied',
      'rollback netns.del netns c1 @(daemon) → applied',
    ]);
    expect(kernel.snapshot()).toEqual(before);
  });

  it('rolls back sysctls and nftables too', async () => {
    const before = kernel.snapshot();
    kernel.failAt(10);
    const err = await failureOf(
      kernel.apply([...bridgePlan(), { op: 'neigh.add', dev: 'br-a', ip: '10.10.0.9', mac: '02:00:00:00:00:09' }]),
    );
    expect(err.details).toMatchObject({ op: 'neigh.add', errno: 'EIO', rolledBack: 9 });
    const undone = kernel.calls.filter((c) => c.phase === 'rollback').map((c) => c.op);
    expect(undone[0]).toEqual({ op: 'nft.apply', script: 'delete table ip weft-nat', undo: 'add table ip weft-nat' });
    expect(undone[1]).toEqual({ op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: '0', prev: '1' });
    expect(await kernel.sysctlGet('net.ipv4.ip_forward')).toBe('0');
    expect(kernel.snapshot()).toEqual(before);
  });

  it('does not undo an add that found its object already there: it was not ours', async () => {
    await kernel.apply([{ op: 'link.add', link: { name: 'br-a', kind: 'bridge' } }]);
    kernel.clearCalls();
    kernel.failOn((op) => op.op === 'addr.add', { code: 'ENOSPC' });

    const err = await failureOf(
      kernel.apply([
        { op: 'link.add', link: { name: 'br-a', kind: 'bridge' } },
        { op: 'sysctl.set', key: 'net.ipv4.conf.br-a.proxy_arp', value: '1' },
        { op: 'addr.add', dev: 'br-a', cidr: '10.10.0.1/24' },
      ]),
    );

    expect(err.details.rolledBack).toBe(1);
    expect(kernel.calls.map((c) => [c.phase, c.op.op, c.outcome])).toEqual([
      ['apply', 'link.add', 'noop'],
      ['apply', 'sysctl.set', 'applied'],
      ['apply', 'addr.add', 'failed'],
      ['rollback', 'sysctl.set', 'applied'],
    ]);
    expect((await kernel.links()).map((l) => l.name)).toContain('br-a');
    expect(await kernel.sysctlGet('net.ipv4.conf.br-a.proxy_arp')).toBe('0');
  });

  it('does not undo a link.set or sysctl.set that found the value already there', async () => {
    kernel.failOn((op) => op.op === 'netns.add');
    const err = await failureOf(
      kernel.apply([
        { op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: '0' },
        { op: 'link.set', name: 'lo', set: { up: true } },
        { op: 'netns.add', name: 'c1' },
      ]),
    );
    expect(err.details.rolledBack).toBe(0);
    expect(kernel.calls.map((c) => c.outcome)).toEqual(['noop', 'noop', 'failed']);
  });

  it('lists the rollback errors when undoing itself fails, and carries on undoing', async () => {
    kernel.failOn((op) => op.op === 'route.add', { code: 'EBUSY' });
    kernel.failOn((op, _netns, phase) => phase === 'rollback' && op.op === 'link.del', { code: 'EPERM', times: 1 });

    const err = await failureOf(kernel.apply(bridgePlan()));

    expect(err.code).toBe(ErrorCodes.KERNEL_OP_FAILED);
    expect(err.details).toMatchObject({ op: 'route.add', errno: 'EBUSY', rolledBack: 6 });
    expect(err.details.rollbackErrors).toEqual([expect.stringMatching(/^\[WEFT_KERNEL_OP_FAILED\] link\.del link vh-a failed: EPERM$/)]);
    // The undo went on past the failed link.del: the address, the bridge and the namespace were still undone.
    const rollback = kernel.calls.filter((c) => c.phase === 'rollback');
    expect(rollback.map((c) => `${c.op.op}:${c.outcome}`)).toEqual([
      'addr.del:applied',
      'link.set:applied',
      'link.del:failed',
      'addr.del:applied',
      'link.del:applied',
      'netns.del:applied',
    ]);
    expect(await kernel.netnsList()).toEqual([]);
    // Deleting c1 took eth0 and with it its peer vh-a: nothing of the plan is left.
    expect((await kernel.links()).map((l) => l.name)).toEqual(['lo']);
  });

  it('turns a kernel refusal into WEFT_KERNEL_OP_FAILED naming op, object, errno and reason', async () => {
    const err = await failureOf(kernel.apply([{ op: 'route.add', route: { dst: '10.9.0.0/16', via: '192.0.2.1' } }]));
    expect(err.code).toBe(ErrorCodes.KERNEL_OP_FAILED);
    expect(err.message).toBe('route.add route 10.9.0.0/16 via 192.0.2.1 failed: ENETUNREACH');
    expect(err.details).toMatchObject({ op: 'route.add', errno: 'ENETUNREACH', rolledBack: 0 });
    expect(String(err.details.reason)).toMatch(/no connected route covers it/);
  });

  it('treats deletes of what is already gone as success', async () => {
    const applied = await kernel.apply([
      { op: 'link.del', name: 'nope0' },
      { op: 'addr.del', dev: 'lo', cidr: '10.99.0.1/8' },
      { op: 'route.del', route: { dst: '10.99.0.0/16', dev: 'nope0' } },
      { op: 'neigh.del', dev: 'lo', ip: '10.99.0.2' },
      { op: 'fdb.del', dev: 'nope0', mac: '02:00:00:00:00:01' },
      { op: 'netns.del', name: 'nope' },
      { op: 'link.del', ns: 'gone', name: 'eth0' },
    ]);
    expect(applied).toHaveLength(7);
    expect(kernel.calls.every((c) => c.outcome === 'noop')).toBe(true);
  });

  it('applies ops without a namespace in the one apply was called for', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'c1' }]);
    await kernel.apply([{ op: 'link.add', link: { name: 'br-x', kind: 'bridge' } }], { netns: 'c1' });
    expect((await kernel.links('c1')).map((l) => l.name)).toEqual(['lo', 'br-x']);
    expect((await kernel.links()).map((l) => l.name)).toEqual(['lo']);
    expect(kernel.calls.at(-1)).toMatchObject({ netns: 'c1', outcome: 'applied' });
  });
});

describe('teardown', () => {
  let kernel: FakeKernel;
  beforeEach(() => {
    kernel = new FakeKernel();
  });

  it('runs the reversed inverse of the applied plan and leaves the start state', async () => {
    const before = kernel.snapshot();
    const applied = await kernel.apply(bridgePlan());
    kernel.clearCalls();
    await kernel.teardown(applied);
    expect(kernel.calls.map((c) => c.phase)).toEqual(Array(9).fill('teardown'));
    expect(kernel.calls[0]!.op).toEqual({ op: 'nft.apply', script: 'delete table ip weft-nat', undo: 'add table ip weft-nat' });
    expect(kernel.calls.at(-1)!.op).toEqual({ op: 'netns.del', name: 'c1' });
    expect(kernel.snapshot()).toEqual(before);
  });

  it('treats whatever went with a namespace that is already gone as undone', async () => {
    const applied = await kernel.apply(bridgePlan());
    await kernel.apply([{ op: 'netns.del', name: 'c1' }]);
    kernel.clearCalls();

    await kernel.teardown(applied);

    expect(kernel.calls.map((c) => `${c.op.op}@${c.netns ?? '-'}:${c.outcome}`)).toEqual([
      'nft.apply@-:applied',
      'sysctl.set@-:applied',
      'route.del@c1:noop',
      'addr.del@c1:noop',
      'link.set@c1:noop',
      'link.del@-:noop',
      'addr.del@-:applied',
      'link.del@-:applied',
      'netns.del@-:noop',
    ]);
  });

  it('treats a vanished link or per-device sysctl as undone, though a forward op on it fails', async () => {
    const applied = await kernel.apply([
      { op: 'link.add', link: { name: 'br-a', kind: 'bridge' } },
      { op: 'link.set', name: 'br-a', set: { mtu: 9000 } },
      { op: 'sysctl.set', key: 'net.ipv4.conf.br-a.proxy_arp', value: '1' },
    ]);
    await kernel.apply([{ op: 'link.del', name: 'br-a' }]);
    const forward = await failureOf(kernel.apply([{ op: 'link.set', name: 'br-a', set: { mtu: 1500 } }]));
    expect(forward.details.errno).toBe('ENODEV');
    kernel.clearCalls();

    await kernel.teardown(applied);

    expect(kernel.calls.map((c) => `${c.op.op}:${c.outcome}`)).toEqual(['sysctl.set:noop', 'link.set:noop', 'link.del:noop']);
  });

  it('carries on past errors and reports all of them at the end', async () => {
    const applied = await kernel.apply(bridgePlan());
    kernel.clearCalls();
    kernel.failOn((op) => op.op === 'sysctl.set', { code: 'EACCES' });
    kernel.failOn((op) => op.op === 'addr.del' && op.dev === 'br-a', { code: 'EBUSY' });

    const err = await failureOf(kernel.teardown(applied));

    expect(err.code).toBe(ErrorCodes.KERNEL_OP_FAILED);
    expect(err.message).toMatch(/^teardown left 2 error\(s\): /);
    expect(err.details.errors).toEqual([
      expect.objectContaining({ op: 'sysctl.set', object: 'sysctl net.ipv4.ip_forward', errno: 'EACCES' }),
      expect.objectContaining({ op: 'addr.del', object: 'address 10.10.0.1/24 on br-a', errno: 'EBUSY' }),
    ]);
    expect(kernel.calls).toHaveLength(9);
    expect(await kernel.netnsList()).toEqual([]);
    expect((await kernel.links()).map((l) => l.name)).toEqual(['lo']);
    expect(await kernel.sysctlGet('net.ipv4.ip_forward')).toBe('1');
  });
});
