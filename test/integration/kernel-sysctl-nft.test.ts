/**
 * LinuxKernel against the real kernel: per-namespace sysctls and nftables
 * batches, read back with `ip netns exec … cat /proc/sys/…` and `nft -j`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KernelOp } from '../../src/kernel/ops.js';
import { nftJson, sh } from '../helpers/netns.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

const catIn = (ns: string, path: string): string => sh(ns, 'cat', [path]).trim();
/** Reading the machine's own value is harmless; the tests only ever write inside their namespaces. */
const rootValue = (path: string): string => readFileSync(path, 'utf8').trim();

describe('sysctl.set', () => {
  it('changes a key inside the namespace only, records prev, and the inverse restores it', async () => {
    const ns = pool.create('h');
    const other = pool.create('o');
    const forward = '/proc/sys/net/ipv4/ip_forward';
    const allForwarding = '/proc/sys/net/ipv4/conf/all/forwarding';
    const rootBefore = rootValue(forward);
    const nsBefore = catIn(ns, forward);
    const target = nsBefore === '1' ? '0' : '1';

    const applied = await kernel.apply(
      [
        { op: 'sysctl.set', key: 'net.ipv4.ip_forward', value: target },
        { op: 'sysctl.set', key: 'net/ipv6/conf/all/forwarding', value: '1' },
      ],
      { netns: ns },
    );
    expect(applied[0]).toMatchObject({ prev: nsBefore });
    expect(catIn(ns, forward)).toBe(target);
    expect(catIn(ns, allForwarding)).toBe(target);
    expect(catIn(ns, '/proc/sys/net/ipv6/conf/all/forwarding')).toBe('1');
    // not the machine's, not another namespace's
    expect(rootValue(forward)).toBe(rootBefore);
    expect(catIn(other, forward)).toBe(nsBefore);
    expect(await kernel.sysctlGet('net.ipv4.ip_forward', ns)).toBe(target);

    await kernel.teardown(applied, { netns: ns });
    expect(catIn(ns, forward)).toBe(nsBefore);
    expect(catIn(ns, '/proc/sys/net/ipv6/conf/all/forwarding')).toBe('0');
    expect(rootValue(forward)).toBe(rootBefore);
  });

  it('refuses keys outside net/ and paths that climb out', async () => {
    const ns = pool.create('h');
    for (const key of ['kernel.hostname', 'net/../kernel/hostname', 'net.ipv4..ip_forward', '/net/ipv4/ip_forward']) {
      await expect(kernel.apply([{ op: 'sysctl.set', key, value: '1' }], { netns: ns })).rejects.toMatchObject({
        code: 'WEFT_INVALID_ARGUMENT',
      });
    }
  });

  it('fails with the errno for a key that does not exist', async () => {
    const ns = pool.create('h');
    await expect(kernel.apply([{ op: 'sysctl.set', key: 'net.ipv4.no_such_key', value: '1' }], { netns: ns })).rejects.toMatchObject({
      code: 'WEFT_KERNEL_OP_FAILED',
      details: { op: 'sysctl.set', errno: 'ENOENT' },
    });
  });
});

const TABLE = `table inet wefttest {
  set peers { type ipv4_addr; elements = { 192.0.2.1, 192.0.2.2 } }
  chain input { type filter hook input priority 0; policy accept; ip saddr @peers counter accept; }
}
`;

describe('nft.apply', () => {
  it('applies a batch, reads it back as JSON, and the undo script removes it', async () => {
    const ns = pool.create('h');
    const ops: KernelOp[] = [{ op: 'nft.apply', script: TABLE, undo: 'delete table inet wefttest\n' }];
    await kernel.apply(ops, { netns: ns });

    const tables = nftJson(ns, 'list', 'tables').nftables.filter((e: { table?: unknown }) => e.table);
    expect(tables).toEqual([{ table: expect.objectContaining({ family: 'inet', name: 'wefttest' }) }]);
    const set = nftJson(ns, 'list', 'set', 'inet', 'wefttest', 'peers').nftables.find((e: { set?: unknown }) => e.set).set;
    expect(set.elem).toEqual(['192.0.2.1', '192.0.2.2']);
    const listed = (await kernel.nftList(ns, { family: 'inet', name: 'wefttest' })) as { nftables: Array<Record<string, unknown>> };
    expect(listed.nftables.some((e) => 'chain' in e)).toBe(true);

    await kernel.teardown(ops, { netns: ns });
    expect(nftJson(ns, 'list', 'tables').nftables.filter((e: { table?: unknown }) => e.table)).toEqual([]);
  });

  it('is one transaction: a bad line leaves nothing behind, and the error carries nft’s message', async () => {
    const ns = pool.create('h');
    const script = `${TABLE}add rule inet wefttest input ip saddr 192.0.2.3 bogus-statement\n`;
    const failure = await kernel.apply([{ op: 'nft.apply', script, undo: '' }], { netns: ns }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'WEFT_NFT_FAILED', details: { op: 'nft.apply', netns: ns } });
    expect((failure as Error).message).toMatch(/syntax error|Error:/);
    expect(nftJson(ns, 'list', 'tables').nftables.filter((e: { table?: unknown }) => e.table)).toEqual([]);
  });
});
