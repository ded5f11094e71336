import { describe, expect, it } from 'vitest';
import { describeOp, inverseOf, teardownOf, type KernelOp } from '../../src/kernel/ops.js';

const veth: KernelOp = {
  op: 'link.add',
  ns: 'sbx',
  link: { name: 'vh0', kind: 'veth', mtu: 1500, veth: { name: 'eth0', ns: 'c1' } },
};

/** One op of every kind, as a plan would carry it (set ops with their prev values known). */
const everyOp: KernelOp[] = [
  { op: 'netns.add', name: 'c1' },
  { op: 'netns.del', name: 'c1' },
  veth,
  { op: 'link.del', ns: 'sbx', name: 'br0', link: { name: 'br0', kind: 'bridge' } },
  { op: 'link.set', ns: 'sbx', name: 'vh0', set: { up: true, master: 'br0' }, prev: { up: false, master: null } },
  { op: 'addr.add', ns: 'sbx', dev: 'br0', cidr: '10.0.0.1/24' },
  { op: 'addr.del', dev: 'br0', cidr: 'fd00::1/64' },
  { op: 'route.add', ns: 'c1', route: { dst: 'default', via: '10.0.0.1' } },
  { op: 'route.del', route: { dst: '10.1.0.0/16', dev: 'br0', metric: 5 } },
  { op: 'neigh.add', dev: 'vx0', ip: '10.0.0.7', mac: '02:00:00:00:00:07' },
  { op: 'neigh.del', dev: 'vx0', ip: '10.0.0.8', proxy: true },
  { op: 'fdb.add', dev: 'vx0', mac: '02:00:00:00:00:07', dst: '192.0.2.7', self: true },
  { op: 'fdb.del', dev: 'vh0', mac: '02:00:00:00:00:09' },
  { op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: '1', prev: '0' },
  { op: 'nft.apply', ns: 'sbx', script: 'add table inet weft', undo: 'delete table inet weft' },
];

describe('inverseOf', () => {
  it('pairs every add with its delete and back, keeping namespace and object', () => {
    const expected: KernelOp[] = [
      { op: 'netns.del', name: 'c1' },
      { op: 'netns.add', name: 'c1' },
      { op: 'link.del', ns: 'sbx', name: 'vh0', link: veth.op === 'link.add' ? veth.link : undefined },
      { op: 'link.add', ns: 'sbx', link: { name: 'br0', kind: 'bridge' } },
      { op: 'link.set', ns: 'sbx', name: 'vh0', set: { up: false, master: null }, prev: { up: true, master: 'br0' } },
      { op: 'addr.del', ns: 'sbx', dev: 'br0', cidr: '10.0.0.1/24' },
      { op: 'addr.add', dev: 'br0', cidr: 'fd00::1/64' },
      { op: 'route.del', ns: 'c1', route: { dst: 'default', via: '10.0.0.1' } },
      { op: 'route.add', route: { dst: '10.1.0.0/16', dev: 'br0', metric: 5 } },
      { op: 'neigh.del', dev: 'vx0', ip: '10.0.0.7', mac: '02:00:00:00:00:07' },
      { op: 'neigh.add', dev: 'vx0', ip: '10.0.0.8', proxy: true },
      { op: 'fdb.del', dev: 'vx0', mac: '02:00:00:00:00:07', dst: '192.0.2.7', self: true },
      { op: 'fdb.add', dev: 'vh0', mac: '02:00:00:00:00:09' },
      { op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: '0', prev: '1' },
      { op: 'nft.apply', ns: 'sbx', script: 'delete table inet weft', undo: 'add table inet weft' },
    ];
    expect(everyOp.map(inverseOf)).toEqual(expected);
  });

  it.each(everyOp.map((op) => [`${op.op} ${describeOp(op)}`, op] as const))(
    'inverse of the inverse of %s is the op itself',
    (_name, op) => {
      expect(inverseOf(inverseOf(op))).toEqual(op);
    },
  );

  it('cannot invert a link.set or sysctl.set whose previous values are unknown', () => {
    expect(() => inverseOf({ op: 'link.set', name: 'br0', set: { mtu: 9000 } })).toThrow(/previous values unknown/);
    expect(() => inverseOf({ op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: '1' })).toThrow(/previous value unknown/);
  });

  it('cannot invert a link.del that carries no spec to recreate the link from', () => {
    expect(() => inverseOf({ op: 'link.del', name: 'vh0' })).toThrow(/no link spec/);
  });
});

describe('teardownOf', () => {
  it('is the inverses of a plan, last op first', () => {
    const plan: KernelOp[] = [
      { op: 'link.add', link: { name: 'br0', kind: 'bridge' } },
      { op: 'addr.add', dev: 'br0', cidr: '10.0.0.1/24' },
      { op: 'link.set', name: 'br0', set: { up: true }, prev: { up: false } },
    ];
    expect(teardownOf(plan)).toEqual([
      { op: 'link.set', name: 'br0', set: { up: false }, prev: { up: true } },
      { op: 'addr.del', dev: 'br0', cidr: '10.0.0.1/24' },
      { op: 'link.del', name: 'br0', link: { name: 'br0', kind: 'bridge' } },
    ]);
  });

  it('leaves the plan it was given untouched', () => {
    const plan: KernelOp[] = [
      { op: 'netns.add', name: 'a' },
      { op: 'netns.add', name: 'b' },
    ];
    teardownOf(plan);
    expect(plan.map((op) => op.op === 'netns.add' && op.name)).toEqual(['a', 'b']);
  });

  it('of an empty plan is empty', () => {
    expect(teardownOf([])).toEqual([]);
  });
});

describe('describeOp', () => {
  it('names the object each op acts on', () => {
    expect(everyOp.map(describeOp)).toEqual([
      'netns c1',
      'netns c1',
      'link vh0',
      'link br0',
      'link vh0',
      'address 10.0.0.1/24 on br0',
      'address fd00::1/64 on br0',
      'route default via 10.0.0.1',
      'route 10.1.0.0/16 dev br0',
      'neighbour 10.0.0.7 on vx0',
      'proxy neighbour 10.0.0.8 on vx0',
      'fdb 02:00:00:00:00:07 on vx0 dst 192.0.2.7',
      'fdb 02:00:00:00:00:09 on vh0',
      'sysctl net.ipv4.ip_forward',
      'nftables batch',
    ]);
  });

  it('names both gateway and device of a route when it has both', () => {
    expect(describeOp({ op: 'route.add', route: { dst: '10.2.0.0/16', via: '10.0.0.1', dev: 'br0' } })).toBe(
      'route 10.2.0.0/16 via 10.0.0.1 dev br0',
    );
  });
});
