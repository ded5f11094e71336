/**
 * LinuxKernel against the real kernel: addresses, routes, neighbours and
 * FDB entries, applied and torn down inside namespaces this file creates,
 * read back with `ip -j` and `bridge -j`.
 */
import { execFileSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KernelOp } from '../../src/kernel/ops.js';
import { bridgeJson, ipJson, sh } from '../helpers/netns.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

/** A "host" with a bridge and a sandbox attached to it by a veth (peer eth0 in the sandbox). */
async function hostAndSandbox(): Promise<{ host: string; sandbox: string }> {
  const host = pool.create('h');
  const sandbox = pool.create('s');
  await kernel.apply(
    [
      { op: 'link.add', ns: host, link: { name: 'br0', kind: 'bridge', up: true } },
      { op: 'addr.add', ns: host, dev: 'br0', cidr: '10.0.0.1/24' },
      { op: 'addr.add', ns: host, dev: 'br0', cidr: 'fd00:10::1/64' },
      { op: 'link.add', ns: host, link: { name: 'veth0', kind: 'veth', master: 'br0', up: true, veth: { name: 'eth0', ns: sandbox } } },
      { op: 'link.set', ns: sandbox, name: 'eth0', set: { up: true } },
    ],
    {},
  );
  return { host, sandbox };
}

const addrs = (ns: string, dev: string): string[] =>
  ipJson(ns, 'addr', 'show', 'dev', dev).flatMap((l: { addr_info: { local: string; prefixlen: number }[] }) =>
    l.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
  );

describe('addresses', () => {
  it('adds IPv4 and IPv6 addresses, reads them back, and the teardown removes them', async () => {
    const { sandbox } = await hostAndSandbox();
    const ops: KernelOp[] = [
      { op: 'addr.add', dev: 'eth0', cidr: '10.0.0.2/24' },
      { op: 'addr.add', dev: 'eth0', cidr: 'fd00:10::2/64' },
    ];
    await kernel.apply(ops, { netns: sandbox });
    expect(addrs(sandbox, 'eth0')).toEqual(expect.arrayContaining(['10.0.0.2/24', 'fd00:10::2/64']));
    expect(await kernel.addresses(sandbox)).toEqual(
      expect.arrayContaining([
        { dev: 'eth0', cidr: '10.0.0.2/24', family: 4 },
        { dev: 'eth0', cidr: 'fd00:10::2/64', family: 6 },
      ]),
    );
    // IPv6 without DAD: usable at once, so traffic works between the namespaces right away
    execFileSync('ip', ['netns', 'exec', sandbox, 'ping', '-6', '-c1', '-W2', 'fd00:10::1'], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'exec', sandbox, 'ping', '-c1', '-W2', '10.0.0.1'], { stdio: 'ignore' });

    await kernel.teardown(ops, { netns: sandbox });
    expect(addrs(sandbox, 'eth0').filter((a) => !a.startsWith('fe80'))).toEqual([]);
  });
});

describe('routes', () => {
  it('adds a default route via the gateway, a prefix route with a metric and an IPv6 default; teardown removes them', async () => {
    const { sandbox } = await hostAndSandbox();
    const ops: KernelOp[] = [
      { op: 'addr.add', dev: 'eth0', cidr: '10.0.0.2/24' },
      { op: 'addr.add', dev: 'eth0', cidr: 'fd00:10::2/64' },
      { op: 'route.add', route: { dst: 'default', via: '10.0.0.1' } },
      { op: 'route.add', route: { dst: '192.168.50.0/24', via: '10.0.0.3', dev: 'eth0', metric: 50 } },
      { op: 'route.add', route: { dst: 'default', family: 6, via: 'fd00:10::1' } },
      { op: 'route.add', route: { dst: '172.31.0.0/16', dev: 'eth0', table: 1000 } },
    ];
    await kernel.apply(ops, { netns: sandbox });
    expect(ipJson(sandbox, 'route', 'show', 'default')).toEqual([expect.objectContaining({ dst: 'default', gateway: '10.0.0.1', dev: 'eth0' })]);
    expect(ipJson(sandbox, 'route', 'show', '192.168.50.0/24')).toEqual([
      expect.objectContaining({ gateway: '10.0.0.3', dev: 'eth0', metric: 50 }),
    ]);
    expect(ipJson(sandbox, '-6', 'route', 'show', 'default')).toEqual([expect.objectContaining({ gateway: 'fd00:10::1', dev: 'eth0' })]);
    expect(ipJson(sandbox, 'route', 'show', 'table', '1000')).toEqual([
      expect.objectContaining({ dst: '172.31.0.0/16', dev: 'eth0', scope: 'link' }),
    ]);
    const read = await kernel.routes(sandbox);
    expect(read).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dst: 'default', family: 4, via: '10.0.0.1', dev: 'eth0', table: 254 }),
        expect.objectContaining({ dst: 'default', family: 6, via: 'fd00:10::1', table: 254 }),
        expect.objectContaining({ dst: '172.31.0.0/16', table: 1000, scope: 'link' }),
      ]),
    );
    // the default route carries traffic to the host beyond the gateway
    execFileSync('ip', ['netns', 'exec', sandbox, 'ping', '-c1', '-W2', '10.0.0.1'], { stdio: 'ignore' });

    await kernel.teardown(ops, { netns: sandbox });
    expect(ipJson(sandbox, 'route', 'show', 'default')).toEqual([]);
    expect(ipJson(sandbox, '-6', 'route', 'show', 'default')).toEqual([]);
    expect(ipJson(sandbox, 'route', 'show', 'table', '1000')).toEqual([]);
  });
});

describe('neighbours', () => {
  it('adds permanent IPv4/IPv6 neighbours and proxy entries; teardown removes them', async () => {
    const { host } = await hostAndSandbox();
    const ops: KernelOp[] = [
      { op: 'neigh.add', dev: 'br0', ip: '10.0.0.9', mac: '02:00:00:00:00:09' },
      { op: 'neigh.add', dev: 'br0', ip: 'fd00:10::9', mac: '02:00:00:00:00:0a' },
      { op: 'neigh.add', dev: 'br0', ip: '10.0.0.10', proxy: true },
    ];
    await kernel.apply(ops, { netns: host });
    expect(ipJson(host, 'neigh', 'show', 'dev', 'br0')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dst: '10.0.0.9', lladdr: '02:00:00:00:00:09', state: ['PERMANENT'] }),
        expect.objectContaining({ dst: 'fd00:10::9', lladdr: '02:00:00:00:00:0a', state: ['PERMANENT'] }),
      ]),
    );
    expect(ipJson(host, 'neigh', 'show', 'proxy')).toEqual([expect.objectContaining({ dst: '10.0.0.10', dev: 'br0' })]);
    expect(await kernel.neighbours(host)).toEqual(
      expect.arrayContaining([
        { dev: 'br0', ip: '10.0.0.9', mac: '02:00:00:00:00:09', proxy: false },
        { dev: 'br0', ip: '10.0.0.10', mac: undefined, proxy: true },
      ]),
    );

    await kernel.teardown(ops, { netns: host });
    const left = ipJson(host, 'neigh', 'show', 'dev', 'br0').map((n: { dst: string }) => n.dst);
    expect(left).not.toContain('10.0.0.9');
    expect(left).not.toContain('fd00:10::9');
    expect(ipJson(host, 'neigh', 'show', 'proxy')).toEqual([]);
  });
});

describe('fdb', () => {
  it('adds VXLAN remotes (unicast MAC and a flood list of two) and a static bridge-port entry; teardown removes them', async () => {
    const host = pool.create('h');
    await kernel.apply(
      [
        { op: 'link.add', link: { name: 'br0', kind: 'bridge' } },
        { op: 'link.add', link: { name: 'p0', kind: 'veth', master: 'br0', veth: { name: 'p1' } } },
        { op: 'link.add', link: { name: 'vx0', kind: 'vxlan', vxlan: { vni: 42 } } },
      ],
      { netns: host },
    );
    const ops: KernelOp[] = [
      { op: 'fdb.add', dev: 'vx0', mac: '02:00:00:00:01:01', dst: '192.0.2.11' },
      { op: 'fdb.add', dev: 'vx0', mac: '00:00:00:00:00:00', dst: '192.0.2.11' },
      { op: 'fdb.add', dev: 'vx0', mac: '00:00:00:00:00:00', dst: '192.0.2.12' },
      { op: 'fdb.add', dev: 'p0', mac: '02:00:00:00:02:02', self: false },
    ];
    await kernel.apply(ops, { netns: host });
    const vx = bridgeJson(host, 'fdb', 'show', 'dev', 'vx0');
    expect(vx).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ mac: '02:00:00:00:01:01', dst: '192.0.2.11', flags: ['self'], state: 'permanent' }),
        expect.objectContaining({ mac: '00:00:00:00:00:00', dst: '192.0.2.11' }),
        expect.objectContaining({ mac: '00:00:00:00:00:00', dst: '192.0.2.12' }),
      ]),
    );
    expect(bridgeJson(host, 'fdb', 'show', 'dev', 'p0')).toEqual(
      expect.arrayContaining([expect.objectContaining({ mac: '02:00:00:00:02:02', master: 'br0', state: 'static' })]),
    );
    expect(await kernel.fdb(host)).toEqual(
      expect.arrayContaining([{ dev: 'vx0', mac: '02:00:00:00:01:01', dst: '192.0.2.11', self: true }]),
    );

    // removing one flood remote keeps the other
    await kernel.apply([{ op: 'fdb.del', dev: 'vx0', mac: '00:00:00:00:00:00', dst: '192.0.2.12' }], { netns: host });
    const flood = bridgeJson(host, 'fdb', 'show', 'dev', 'vx0').filter((e: { mac: string }) => e.mac === '00:00:00:00:00:00');
    expect(flood.map((e: { dst: string }) => e.dst)).toEqual(['192.0.2.11']);

    await kernel.teardown(ops, { netns: host });
    expect(bridgeJson(host, 'fdb', 'show', 'dev', 'vx0')).toEqual([]);
    const port = bridgeJson(host, 'fdb', 'show', 'dev', 'p0').map((e: { mac: string }) => e.mac);
    expect(port).not.toContain('02:00:00:00:02:02');
  });
});

describe('openSocket', () => {
  it('returns a UDP socket bound inside the namespace', () => {
    const host = pool.create('h');
    const fd = kernel.openSocket(host, 4, 'udp', '127.0.0.1', 5399);
    try {
      expect(sh(host, 'ss', ['-H', '-uln', 'sport = :5399'])).toContain('127.0.0.1:5399');
      expect(execFileSync('ss', ['-H', '-uln', 'sport = :5399'], { encoding: 'utf8' })).not.toContain('5399');
    } finally {
      closeSync(fd);
    }
  });
});
