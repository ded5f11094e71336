/**
 * What the fake offers tests beyond the Kernel interface: the call record,
 * fault injection, configurable features and host, and its refusals.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, WeftError } from '../../src/errors/index.js';
import { DEFAULT_FAKE_FEATURES, FakeKernel } from '../../src/kernel/fake/index.js';
import type { KernelOp } from '../../src/kernel/ops.js';
import { failureOf } from '../helpers/failures.js';

const bridge = (name: string): KernelOp => ({ op: 'link.add', link: { name, kind: 'bridge' } });

describe('fake kernel: call record', () => {
  it('records each op with namespace, phase and outcome, numbered across calls', async () => {
    const kernel = new FakeKernel();
    await kernel.apply([{ op: 'netns.add', name: 'c1' }]);
    await kernel.apply([bridge('br0'), bridge('br0')], { netns: 'c1' });
    expect(kernel.calls).toEqual([
      { seq: 1, phase: 'apply', op: { op: 'netns.add', name: 'c1' }, netns: undefined, outcome: 'applied' },
      { seq: 2, phase: 'apply', op: bridge('br0'), netns: 'c1', outcome: 'applied' },
      { seq: 3, phase: 'apply', op: bridge('br0'), netns: 'c1', outcome: 'noop' },
    ]);
    kernel.clearCalls();
    expect(kernel.calls).toEqual([]);
    await kernel.apply([bridge('br1')]);
    expect(kernel.calls[0]!.seq).toBe(4);
  });

  it('keeps its own copy of each op: changing the plan later does not rewrite history', async () => {
    const kernel = new FakeKernel();
    const op = { op: 'link.add', link: { name: 'br0', kind: 'bridge' } } satisfies KernelOp;
    await kernel.apply([op]);
    op.link.name = 'changed';
    expect(kernel.calls[0]!.op).toEqual(bridge('br0'));
  });
});

describe('fake kernel: fault injection', () => {
  let kernel: FakeKernel;
  beforeEach(() => {
    kernel = new FakeKernel();
  });

  it('fails matching ops always by default, or `times` times', async () => {
    kernel.failOn((op) => op.op === 'link.add' && op.link.name === 'br1', { code: 'EBUSY' });
    kernel.failOn((op) => op.op === 'link.add' && op.link.name === 'br2', { code: 'ENOMEM', times: 1 });
    for (let i = 0; i < 2; i += 1) {
      expect((await failureOf(kernel.apply([bridge('br1')]))).details.errno).toBe('EBUSY');
    }
    expect((await failureOf(kernel.apply([bridge('br2')]))).details.errno).toBe('ENOMEM');
    await kernel.apply([bridge('br2')]);
    expect((await kernel.links()).map((l) => l.name)).toEqual(['lo', 'br2']);
  });

  it('fires before the op changes anything, and records the failure', async () => {
    kernel.failOn(() => true, { code: 'EPERM', message: 'not today' });
    await failureOf(kernel.apply([bridge('br0')]));
    expect((await kernel.links()).map((l) => l.name)).toEqual(['lo']);
    expect(kernel.calls[0]).toMatchObject({ outcome: 'failed', error: { code: 'EPERM', message: 'EPERM: not today' } });
  });

  it('removes a fault with the function failOn returns, or all with clearFaults', async () => {
    const remove = kernel.failOn(() => true);
    remove();
    await kernel.apply([bridge('br0')]);
    kernel.failOn(() => true);
    kernel.failAt(1);
    kernel.clearFaults();
    await kernel.apply([bridge('br1')]);
    expect(kernel.calls.map((c) => c.outcome)).toEqual(['applied', 'applied']);
  });

  it('failAt(n) fails the n-th op run from now, once', async () => {
    await kernel.apply([bridge('br0')]);
    kernel.failAt(2, { code: 'EAGAIN' });
    const err = await failureOf(kernel.apply([bridge('br1'), bridge('br2'), bridge('br3')]));
    expect(err.details).toMatchObject({ object: 'link br2', errno: 'EAGAIN' });
    await kernel.apply([bridge('br1'), bridge('br2'), bridge('br3')]);
    expect((await kernel.links()).map((l) => l.name)).toEqual(['lo', 'br0', 'br1', 'br2', 'br3']);
    expect(() => kernel.failAt(0)).toThrow(RangeError);
  });

  it('lets a predicate pick ops by namespace and phase', async () => {
    await kernel.apply([{ op: 'netns.add', name: 'c1' }]);
    const seen: string[] = [];
    kernel.failOn((op, netns, phase) => {
      seen.push(`${phase}:${op.op}@${netns ?? '-'}`);
      return netns === 'c1' && op.op === 'addr.add';
    });
    await failureOf(
      kernel.apply([bridge('br0'), { op: 'addr.add', ns: 'c1', dev: 'lo', cidr: '10.0.0.1/8' }]),
    );
    expect(seen).toEqual(['apply:link.add@-', 'apply:addr.add@c1', 'rollback:link.del@-']);
  });

  it('throws a WeftError when the fault code is a WEFT_ code', async () => {
    kernel.failOn(() => true, { code: ErrorCodes.NETNS_NOT_FOUND });
    const err = await failureOf(kernel.apply([bridge('br0')]));
    expect(err.code).toBe(ErrorCodes.NETNS_NOT_FOUND);
    expect(err.details).toMatchObject({ op: 'link.add', object: 'link br0' });
  });
});

describe('fake kernel: features', () => {
  it('defaults to this machine: no dummy, vlan, ipvlan, ipvs, esp or wireguard', async () => {
    const features = await new FakeKernel().features();
    expect(features).toEqual(DEFAULT_FAKE_FEATURES);
    expect(Object.entries(features).filter(([, has]) => !has).map(([name]) => name).sort()).toEqual(
      ['dummy', 'esp', 'ipvlan', 'ipvs', 'vlan', 'wireguard'],
    );
  });

  it('require() passes for a present feature and explains a missing one', async () => {
    const kernel = new FakeKernel({ features: { vxlan: false } });
    await kernel.require('bridge', 'the bridge driver');
    const err = await failureOf(kernel.require('vxlan', 'overlay networks'));
    expect(err.code).toBe(ErrorCodes.KERNEL_UNSUPPORTED);
    expect(err.message).toBe('this kernel lacks VXLAN devices (vxlan), needed for overlay networks');
    expect(err.details).toMatchObject({ feature: 'vxlan', purpose: 'overlay networks' });
  });

  it('hands out a copy of its features', async () => {
    const kernel = new FakeKernel();
    (await kernel.features()).vxlan = false;
    expect((await kernel.features()).vxlan).toBe(true);
  });
});

describe('fake kernel: host configuration', () => {
  it('builds the daemon namespace from hostLinks, hostRoutes and hostSysctls', async () => {
    const kernel = new FakeKernel({
      hostLinks: [
        { name: 'eth0', addresses: ['192.168.1.10/24'], mac: '52:54:00:00:00:01' },
        { name: 'docker0', kind: 'bridge', addresses: ['172.17.0.1/16'] },
      ],
      hostRoutes: [
        { dst: 'default', via: '192.168.1.1' },
        { dst: '10.0.0.0/8', via: '192.168.1.2' },
      ],
      hostSysctls: { 'net.ipv4.ip_forward': '1' },
    });
    expect((await kernel.links()).map((l) => [l.name, l.kind, l.up])).toEqual([
      ['lo', undefined, true],
      ['eth0', undefined, true],
      ['docker0', 'bridge', true],
    ]);
    expect((await kernel.routes()).map((r) => `${r.dst} ${r.via ?? '-'} ${r.dev}`)).toEqual([
      '192.168.1.0/24 - eth0',
      '172.17.0.0/16 - docker0',
      'default 192.168.1.1 eth0',
      '10.0.0.0/8 192.168.1.2 eth0',
    ]);
    expect(await kernel.sysctlGet('net.ipv4.ip_forward')).toBe('1');
    expect(kernel.calls).toEqual([]);
    // A host device weft did not create cannot be deleted; a host bridge can be used as a master.
    expect((await failureOf(kernel.apply([{ op: 'link.del', name: 'eth0' }]))).details.errno).toBe('EOPNOTSUPP');
    await kernel.apply([{ op: 'link.add', link: { name: 'vh0', kind: 'veth', master: 'docker0', veth: { name: 'vp0' } } }]);
  });

  it('refuses a host route the kernel would refuse', () => {
    expect(() => new FakeKernel({ hostRoutes: [{ dst: 'default', via: '192.168.1.1' }] })).toThrow(/ENETUNREACH/);
  });

  it('gives each fake its own world', async () => {
    const a = new FakeKernel();
    const b = new FakeKernel();
    await a.apply([bridge('br0')]);
    expect((await b.links()).map((l) => l.name)).toEqual(['lo']);
  });
});

describe('fake kernel: what it does not do', () => {
  it('does not open sockets: WEFT_KERNEL_UNSUPPORTED', () => {
    const kernel = new FakeKernel();
    try {
      kernel.openSocket('c1', 4, 'udp', '127.0.0.11', 53);
      expect.unreachable('openSocket should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(WeftError);
      expect((err as WeftError).code).toBe(ErrorCodes.KERNEL_UNSUPPORTED);
      expect((err as WeftError).message).toMatch(/not supported by the fake kernel/);
    }
  });

  it('refuses to apply after close, but can still be read', async () => {
    const kernel = new FakeKernel();
    await kernel.close();
    const err = await failureOf(kernel.apply([bridge('br0')]));
    expect(err.code).toBe(ErrorCodes.INTERNAL);
    expect((await kernel.links()).map((l) => l.name)).toEqual(['lo']);
  });
});

describe('netns.add with pinDaemon', () => {
  it('names the daemon namespace; deleting the name removes nothing inside it', async () => {
    const fake = new FakeKernel();
    await fake.apply([{ op: 'link.add', link: { name: 'br-x', kind: 'bridge' } }]);
    await fake.apply([{ op: 'netns.add', name: 'hostsb', pinDaemon: true }]);
    expect(await fake.netnsList()).toContain('hostsb');
    expect((await fake.links('hostsb')).map((l) => l.name)).toContain('br-x');
    await fake.apply([{ op: 'netns.del', name: 'hostsb' }]);
    expect(await fake.netnsList()).not.toContain('hostsb');
    expect((await fake.links()).map((l) => l.name)).toContain('br-x');
  });
});
