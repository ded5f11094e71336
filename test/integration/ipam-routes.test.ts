import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { cidrsInUse } from '../../src/kernel/in-use.js';
import { MemoryStore } from '../../src/store/memory.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

describe('IPAM route-awareness against a real namespace', () => {
  it('auto-chosen pools avoid addresses and routes of the host namespace; explicit overlaps name the route', async () => {
    const host = pool.create('h');
    // The host namespace uses 172.17.0.0/16 on one link and routes 172.18.0.0/24 via a gateway on another.
    execFileSync('ip', ['-n', host, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1']);
    execFileSync('ip', ['-n', host, 'link', 'set', 'up0', 'up']);
    execFileSync('ip', ['-n', host, 'link', 'set', 'up1', 'up']);
    execFileSync('ip', ['-n', host, 'addr', 'add', '172.17.0.1/16', 'dev', 'up0']);
    execFileSync('ip', ['-n', host, 'addr', 'add', '192.0.2.1/24', 'dev', 'up1']);
    execFileSync('ip', ['-n', host, 'route', 'add', '172.18.0.0/24', 'via', '192.0.2.254']);
    execFileSync('ip', ['-n', host, 'route', 'add', 'default', 'via', '192.0.2.254']);

    const ipam = await DefaultIpam.open({ store: new MemoryStore(), routesInUse: () => cidrsInUse(kernel, host) });
    const first = await ipam.requestPool({ addressSpace: 'LocalDefault' });
    const second = await ipam.requestPool({ addressSpace: 'LocalDefault' });
    for (const p of [first, second]) {
      expect(p.pool.startsWith('172.17.')).toBe(false);
      expect(p.pool).not.toBe('172.18.0.0/24');
    }
    expect(first.pool).not.toBe(second.pool);

    await expect(ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.17.5.0/24' })).rejects.toMatchObject({
      code: 'WEFT_POOL_OVERLAP',
      // the connected route 172.17.0.0/16 dev up0 or the address 172.17.0.1/16 on up0
      message: expect.stringMatching(/overlaps .*172\.17\.0\.[01]\/16 (dev|on) up0/),
    });
    await expect(ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.18.0.128/25' })).rejects.toMatchObject({
      code: 'WEFT_POOL_OVERLAP',
      message: expect.stringContaining('172.18.0.0/24'),
    });
    // the default route does not make every subnet overlap
    await expect(ipam.requestPool({ addressSpace: 'LocalDefault', pool: '10.77.0.0/16' })).resolves.toMatchObject({
      pool: '10.77.0.0/16',
    });
    ipam.close();
  });
});
