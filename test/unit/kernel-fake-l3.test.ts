/**
 * The fake kernel's addresses, routes, neighbours, FDB, sysctls and
 * nftables: the rules it enforces are the ones measured on the real kernel.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/index.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { failureOf } from '../helpers/failures.js';

describe('fake kernel: addresses and routes', () => {
  let kernel: FakeKernel;
  beforeEach(async () => {
    kernel = new FakeKernel();
    await kernel.apply([{ op: 'link.add', link: { name: 'br0', kind: 'bridge' } }]);
  });

  it('adds the connected route only once the link is up, and drops it when it goes down', async () => {
    await kernel.apply([{ op: 'addr.add', dev: 'br0', cidr: '10.1.0.1/24' }]);
    expect(await kernel.routes()).toEqual([]);
    await kernel.apply([{ op: 'link.set', name: 'br0', set: { up: true } }]);
    expect(await kernel.routes()).toEqual([
      { dst: '10.1.0.0/24', family: 4, dev: 'br0', table: 254, scope: 'link', protocol: 'kernel' },
    ]);
    await kernel.apply([{ op: 'link.set', name: 'br0', set: { up: false } }]);
    expect(await kernel.routes()).toEqual([]);
    expect(await kernel.addresses()).toContainEqual({ dev: 'br0', cidr: '10.1.0.1/24', family: 4 });
  });

  it('refuses a route via a gateway no connected route covers: ENETUNREACH', async () => {
    await kernel.apply([{ op: 'addr.add', dev: 'br0', cidr: '10.1.0.1/24' }]);
    // Down: the kernel has no prefix route yet, so the gateway is unreachable.
    const down = await failureOf(kernel.apply([{ op: 'route.add', route: { dst: 'default', via: '10.1.0.254' } }]));
    expect(down.details.errno).toBe('ENETUNREACH');
    await kernel.apply([{ op: 'link.set', name: 'br0', set: { up: true } }]);
    const elsewhere = await failureOf(kernel.apply([{ op: 'route.add', route: { dst: 'default', via: '10.2.0.254' } }]));
    expect(elsewhere.details.errno).toBe('ENETUNREACH');
    await kernel.apply([{ op: 'route.add', route: { dst: 'default', via: '10.1.0.254' } }]);
    expect(await kernel.routes()).toContainEqual({
      dst: 'default',
      family: 4,
      via: '10.1.0.254',
      dev: 'br0',
      table: 254,
      scope: 'universe',
      protocol: 'boot',
    });
  });

  it('refuses a route on a missing device (ENODEV) or one that is down (ENETDOWN)', async () => {
    const missing = await failureOf(kernel.apply([{ op: 'route.add', route: { dst: '10.5.0.0/16', dev: 'nope0' } }]));
    expect(missing.details.errno).toBe('ENODEV');
    const down = await failureOf(kernel.apply([{ op: 'route.add', route: { dst: '10.5.0.0/16', dev: 'br0' } }]));
    expect(down.details.errno).toBe('ENETDOWN');
  });

  it('refuses an IPv4 destination with host bits set, as the kernel does', async () => {
    await kernel.apply([{ op: 'link.set', name: 'br0', set: { up: true } }]);
    const err = await failureOf(kernel.apply([{ op: 'route.add', route: { dst: '10.5.0.7/16', dev: 'br0' } }]));
    expect(err.details.errno).toBe('EINVAL');
  });

  it('treats an identical route as done and a different one to the same destination as EEXIST', async () => {
    await kernel.apply([
      { op: 'link.set', name: 'br0', set: { up: true } },
      { op: 'addr.add', dev: 'br0', cidr: '10.1.0.1/24' },
      { op: 'route.add', route: { dst: '10.9.0.0/16', via: '10.1.0.2' } },
    ]);
    kernel.clearCalls();
    await kernel.apply([{ op: 'route.add', route: { dst: '10.9.0.0/16', via: '10.1.0.2' } }]);
    expect(kernel.calls[0]!.outcome).toBe('noop');
    const err = await failureOf(kernel.apply([{ op: 'route.add', route: { dst: '10.9.0.0/16', via: '10.1.0.3' } }]));
    expect(err.details.errno).toBe('EEXIST');
  });

  it('flushes the routes through a link when its last IPv4 address goes', async () => {
    await kernel.apply([
      { op: 'link.set', name: 'br0', set: { up: true } },
      { op: 'addr.add', dev: 'br0', cidr: '10.1.0.1/24' },
      { op: 'route.add', route: { dst: '10.9.0.0/16', via: '10.1.0.2' } },
      { op: 'addr.del', dev: 'br0', cidr: '10.1.0.1/24' },
    ]);
    expect(await kernel.routes()).toEqual([]);
  });

  it('handles IPv6: canonical spelling, /128 prefix routes, one prefix per address per device', async () => {
    await kernel.apply([
      { op: 'link.set', name: 'br0', set: { up: true } },
      { op: 'addr.add', dev: 'br0', cidr: 'FD00:0:0::1/64' },
      { op: 'addr.add', dev: 'br0', cidr: 'fd00::2/128' },
      { op: 'route.add', route: { dst: 'default', via: 'fd00::ff' } },
    ]);
    expect(await kernel.addresses()).toContainEqual({ dev: 'br0', cidr: 'fd00::1/64', family: 6 });
    expect((await kernel.routes()).map((r) => `${r.dst} ${r.via ?? r.dev}`)).toEqual([
      'fd00::/64 br0',
      'fd00::2/128 br0',
      'default fd00::ff',
    ]);
    const clash = await failureOf(kernel.apply([{ op: 'addr.add', dev: 'br0', cidr: 'fd00::1/48' }]));
    expect(clash.details.errno).toBe('EEXIST');
    // Down loses IPv6 addresses (keep_addr_on_down=0) and every route.
    await kernel.apply([{ op: 'link.set', name: 'br0', set: { up: false } }]);
    expect((await kernel.addresses()).filter((a) => a.dev === 'br0')).toEqual([]);
    expect(await kernel.routes()).toEqual([]);
  });

  it('adds routes to other tables, and deletes by the fields given', async () => {
    await kernel.apply([
      { op: 'link.set', name: 'br0', set: { up: true } },
      { op: 'route.add', route: { dst: '10.7.0.0/16', dev: 'br0', table: 100 } },
    ]);
    expect(await kernel.routes()).toEqual([
      { dst: '10.7.0.0/16', family: 4, dev: 'br0', table: 100, scope: 'link', protocol: 'boot' },
    ]);
    kernel.clearCalls();
    await kernel.apply([
      { op: 'route.del', route: { dst: '10.7.0.0/16' } },
      { op: 'route.del', route: { dst: '10.7.0.0/16', table: 100 } },
    ]);
    expect(kernel.calls.map((c) => c.outcome)).toEqual(['noop', 'applied']);
  });
});

describe('fake kernel: neighbours and FDB', () => {
  let kernel: FakeKernel;
  beforeEach(async () => {
    kernel = new FakeKernel();
    await kernel.apply([
      { op: 'link.add', link: { name: 'br0', kind: 'bridge', up: true } },
      { op: 'link.add', link: { name: 'vx0', kind: 'vxlan', master: 'br0', up: true, vxlan: { vni: 7 } } },
    ]);
  });

  it('keeps neighbour and proxy entries apart, idempotent when identical', async () => {
    await kernel.apply([
      { op: 'neigh.add', dev: 'vx0', ip: '10.0.0.5', mac: '02:00:00:00:00:05' },
      { op: 'neigh.add', dev: 'vx0', ip: '10.0.0.5', proxy: true },
      { op: 'neigh.add', dev: 'vx0', ip: '10.0.0.5', mac: '02:00:00:00:00:05' },
    ]);
    expect(kernel.calls.slice(-3).map((c) => c.outcome)).toEqual(['applied', 'applied', 'noop']);
    expect(await kernel.neighbours()).toEqual([
      { dev: 'vx0', ip: '10.0.0.5', mac: '02:00:00:00:00:05', proxy: false },
      { dev: 'vx0', ip: '10.0.0.5', proxy: true },
    ]);
    const err = await failureOf(kernel.apply([{ op: 'neigh.add', dev: 'vx0', ip: '10.0.0.5', mac: '02:00:00:00:00:06' }]));
    expect(err.details.errno).toBe('EEXIST');
  });

  it('puts entries with a dst on the device itself and appends to the VXLAN flood list', async () => {
    await kernel.apply([
      { op: 'fdb.add', dev: 'vx0', mac: '02:00:00:00:00:05', dst: '192.0.2.5' },
      { op: 'fdb.add', dev: 'vx0', mac: '00:00:00:00:00:00', dst: '192.0.2.1' },
      { op: 'fdb.add', dev: 'vx0', mac: '00:00:00:00:00:00', dst: '192.0.2.2' },
      { op: 'fdb.add', dev: 'vx0', mac: '02:00:00:00:00:0b' },
    ]);
    expect(await kernel.fdb()).toEqual([
      { dev: 'vx0', mac: '02:00:00:00:00:05', dst: '192.0.2.5', self: true },
      { dev: 'vx0', mac: '00:00:00:00:00:00', dst: '192.0.2.1', self: true },
      { dev: 'vx0', mac: '00:00:00:00:00:00', dst: '192.0.2.2', self: true },
      { dev: 'vx0', mac: '02:00:00:00:00:0b', master: 'br0', self: false },
    ]);
    const moved = await failureOf(kernel.apply([{ op: 'fdb.add', dev: 'vx0', mac: '02:00:00:00:00:05', dst: '192.0.2.6' }]));
    expect(moved.details.errno).toBe('EEXIST');
  });

  it('refuses a bridge FDB entry on a device that is not a port: EOPNOTSUPP', async () => {
    const err = await failureOf(kernel.apply([{ op: 'fdb.add', dev: 'br0', mac: '02:00:00:00:00:01' }]));
    expect(err.details.errno).toBe('EOPNOTSUPP');
  });
});

describe('fake kernel: sysctls', () => {
  let kernel: FakeKernel;
  beforeEach(() => {
    kernel = new FakeKernel();
  });

  it('starts from the defaults of a fresh namespace, per namespace', async () => {
    await kernel.apply([
      { op: 'netns.add', name: 'c1' },
      { op: 'sysctl.set', ns: 'c1', key: 'net/ipv4/ip_forward', value: '1' },
    ]);
    expect(await kernel.sysctlGet('net.ipv4.ip_forward')).toBe('0');
    expect(await kernel.sysctlGet('net.ipv4.ip_forward', 'c1')).toBe('1');
    expect(await kernel.sysctlGet('net.ipv4.conf.all.forwarding', 'c1')).toBe('1');
    expect(await kernel.sysctlGet('net.ipv4.ip_local_port_range')).toBe('32768\t60999');
  });

  it('keeps per-device keys on the device: they appear with it and go with it', async () => {
    await expect(kernel.sysctlGet('net.ipv4.conf.br0.proxy_arp')).rejects.toMatchObject({ code: ErrorCodes.KERNEL_NOT_FOUND });
    await kernel.apply([
      { op: 'link.add', link: { name: 'br0', kind: 'bridge' } },
      { op: 'sysctl.set', key: 'net.ipv4.conf.br0.proxy_arp', value: '1' },
    ]);
    expect(await kernel.sysctlGet('net.ipv4.conf.br0.proxy_arp')).toBe('1');
    const err = await failureOf(kernel.apply([{ op: 'sysctl.set', key: 'net.ipv4.conf.nope0.proxy_arp', value: '1' }]));
    expect(err.details.errno).toBe('ENOENT');
  });

  it('refuses a non-integer for an integer key, and keys outside net.', async () => {
    const err = await failureOf(kernel.apply([{ op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: 'yes' }]));
    expect(err.details.errno).toBe('EINVAL');
    const outside = await failureOf(kernel.apply([{ op: 'sysctl.set', key: 'kernel.hostname', value: 'x' }]));
    expect(outside.code).toBe(ErrorCodes.INVALID_ARGUMENT);
  });
});

describe('fake kernel: nftables', () => {
  let kernel: FakeKernel;
  beforeEach(() => {
    kernel = new FakeKernel();
  });

  it('tracks tables added and deleted, and keeps every script', async () => {
    await kernel.apply([
      { op: 'nft.apply', script: 'add table inet weft\nadd chain inet weft post { type nat hook postrouting priority 100; }', undo: 'delete table inet weft' },
      { op: 'nft.apply', script: 'table ip weft-filter {\n  chain fwd {\n  }\n}', undo: 'delete table ip weft-filter' },
    ]);
    expect(await kernel.nftList()).toEqual({
      nftables: [
        { metainfo: expect.objectContaining({ json_schema_version: 1 }) },
        { table: { family: 'inet', name: 'weft', handle: 1 } },
        { table: { family: 'ip', name: 'weft-filter', handle: 2 } },
      ],
    });
    await kernel.apply([{ op: 'nft.apply', script: 'delete table inet weft', undo: 'add table inet weft' }]);
    expect((await kernel.nftList(undefined, { family: 'ip', name: 'weft-filter' })) as object).toMatchObject({
      nftables: [{ metainfo: expect.anything() }, { table: { name: 'weft-filter' } }],
    });
    await expect(kernel.nftList(undefined, { family: 'inet', name: 'weft' })).rejects.toMatchObject({ code: ErrorCodes.NFT_FAILED });
    expect(kernel.nftScripts()).toHaveLength(3);
  });

  it('applies a script as one transaction: a statement on a missing table changes nothing', async () => {
    const err = await failureOf(
      kernel.apply([{ op: 'nft.apply', script: 'add table inet a\nadd rule inet b c accept', undo: 'delete table inet a' }]),
    );
    expect(err.code).toBe(ErrorCodes.NFT_FAILED);
    expect(err.details).toMatchObject({ errno: 'ENOENT', statement: 'add rule inet b c accept', op: 'nft.apply' });
    expect((await kernel.nftList()) as { nftables: unknown[] }).toEqual({ nftables: [expect.objectContaining({ metainfo: expect.anything() })] });
  });

  it('is unsupported when the kernel lacks nftables', async () => {
    const bare = new FakeKernel({ features: { nftables: false } });
    const err = await failureOf(bare.apply([{ op: 'nft.apply', script: 'add table ip t', undo: 'delete table ip t' }]));
    expect(err.code).toBe(ErrorCodes.KERNEL_UNSUPPORTED);
  });
});
