import { describe, expect, it } from 'vitest';
import { ipJson } from '../helpers/netns.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

describe('bridge port hairpin mode', () => {
  it('is set on a new bridge port, kept idempotent, and refused without a master', async () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    const ops = [
      { op: 'link.add' as const, link: { name: 'br0', kind: 'bridge' as const, up: true } },
      { op: 'link.add' as const, link: { name: 'vh0', kind: 'veth' as const, master: 'br0', hairpin: true, up: true, veth: { name: 'eth0', ns: sandbox } } },
    ];
    await kernel.apply(ops, { netns: host });
    const port = ipJson(host, '-d', 'link', 'show', 'vh0')[0];
    expect(port.master).toBe('br0');
    expect(port.linkinfo.info_slave_data.hairpin).toBe(true);
    await kernel.apply(ops, { netns: host });
    expect(ipJson(host, '-d', 'link', 'show', 'vh0')[0].linkinfo.info_slave_data.hairpin).toBe(true);
    await expect(
      kernel.apply([{ op: 'link.add', link: { name: 'vh1', kind: 'veth', hairpin: true, veth: { name: 'vp1' } } }], { netns: host }),
    ).rejects.toMatchObject({ code: 'WEFT_INVALID_ARGUMENT' });
    expect(ipJson(host, 'link').map((l: { ifname: string }) => l.ifname)).not.toContain('vh1');
  });
});
