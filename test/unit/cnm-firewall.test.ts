/**
 * The firewall as a rendering of the records: every change applies one
 * nft.apply op, last, holding the whole weft table; published ports appear
 * as DNAT rules and disappear with their sandbox; the first rendering after
 * a restart replaces whatever the kernel held.
 */
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { Controller } from '../../src/cnm/controller.js';
import { builtinDrivers } from '../../src/drivers/index.js';
import { EMPTY_FIREWALL_STATE, renderFirewall } from '../../src/firewall/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import type { KernelOp } from '../../src/kernel/ops.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MemorySandboxFiles } from '../helpers/memory-sandbox-files.js';

type NftOp = Extract<KernelOp, { op: 'nft.apply' }>;

let store: MemoryStore;
let kernel: FakeKernel;
let ipam: DefaultIpam;
let controller: Controller;

async function start(): Promise<void> {
  ipam = await DefaultIpam.open({ store });
  ({ controller } = await Controller.start({ store, kernel, ipam, drivers: builtinDrivers(), files: new MemorySandboxFiles(), log: pino({ level: 'silent' }) }));
}

async function restart(): Promise<void> {
  await controller.stop();
  ipam.close();
  await start();
}

/** nft.apply ops the fake ran (forward, rollback or teardown) since the last clearCalls, in order. */
function nftOps(): NftOp[] {
  return kernel.calls.filter((c) => c.op.op === 'nft.apply' && c.outcome === 'applied').map((c) => c.op as NftOp);
}

function lastScript(): string {
  const op = nftOps().at(-1);
  if (!op) throw new Error('no nft.apply op ran');
  return op.script;
}

const dnat = (port: number, to: string, proto = 'tcp') => `meta nfproto ipv4 fib daddr type local ${proto} dport ${port} dnat ip to ${to}`;

beforeEach(async () => {
  store = new MemoryStore();
  kernel = new FakeKernel();
  await start();
  await controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'], options: { 'com.docker.network.bridge.name': 'br-front' } });
});

describe('firewall', () => {
  it('renders the whole table with every bridge network on each change', async () => {
    const script = lastScript();
    expect(script.split('\n').slice(0, 5)).toEqual([
      "# weft firewall: generated from the daemon's state; every apply replaces it whole",
      'table inet weft {}',
      'delete table inet weft',
      'table bridge weft {}',
      'delete table bridge weft',
    ]);
    expect(script).toContain('"br-front"');
    expect(script).toContain('"weft0"');
    expect(script).toContain('ip saddr 10.5.0.0/24 oifname != @');
  });

  it('a published port becomes a DNAT rule in prerouting and output, applied after the sandbox ops', async () => {
    kernel.clearCalls();
    const sb = await controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80', '127.0.0.1:5353:53/udp'] });
    expect(sb.Networks.front!.IPAddress).toBe('10.5.0.10');
    const ops = kernel.calls.filter((c) => c.phase === 'apply').map((c) => c.op.op);
    expect(ops.at(-1)).toBe('nft.apply');
    expect(ops.indexOf('route.add')).toBeLessThan(ops.lastIndexOf('nft.apply'));
    const script = lastScript();
    expect(script.split(dnat(8080, '10.5.0.10:80')).length - 1).toBe(2);
    expect(script).toContain('ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.5.0.10:53');
  });

  it('the DNAT rule goes with its sandbox', async () => {
    await controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80'] });
    await controller.createSandbox({ name: 'api', networks: ['front'], ipv4: '10.5.0.11', publish: ['9090:90'] });
    await controller.removeSandbox('web');
    const script = lastScript();
    expect(script).not.toContain('dport 8080');
    expect(script).toContain(dnat(9090, '10.5.0.11:90'));
  });

  it('the network\'s host_binding_ipv4 replaces "every address" for its ports', async () => {
    await controller.createNetwork({ name: 'local', subnets: ['10.8.0.0/24'], options: { 'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1' } });
    await controller.createSandbox({ name: 'web', networks: ['local'], ipv4: '10.8.0.10', publish: ['8080:80'] });
    expect(lastScript()).toContain('ip daddr 127.0.0.1 tcp dport 8080 dnat ip to 10.8.0.10:80');
    expect(lastScript()).not.toContain('fib daddr type local tcp dport 8080');
  });

  it('moves the DNAT target to the successor when the gateway provider leaves', async () => {
    await controller.createNetwork({ name: 'back', subnets: ['10.6.0.0/24'] });
    await controller.createSandbox({ name: 'web', networks: ['front', 'back'], ipv4: '10.5.0.10', publish: ['8080:80'] });
    const back = (await controller.inspectSandbox('web')).Networks.back!.IPAddress;
    await controller.disconnect('front', 'web');
    expect(lastScript()).toContain(dnat(8080, `${back}:80`));
    expect(lastScript()).not.toContain('10.5.0.10:80');
    expect((await controller.inspectSandbox('web')).Ports).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] });
  });

  it('drops the DNAT rule when the last network leaves', async () => {
    await controller.createSandbox({ name: 'web', networks: ['front'], publish: ['8080:80'] });
    await controller.disconnect('front', 'web');
    expect(lastScript()).not.toContain('dport 8080');
    expect((await controller.inspectSandbox('web')).Ports).toEqual({ '80/tcp': [] });
  });

  it('after a restart the first op renders the whole table from the records, replacing what was there', async () => {
    await controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80'] });
    const before = lastScript();
    // The table flushed while weftd was down (nft flush ruleset, a firewall reload): the restart brings it back.
    await kernel.apply([{ op: 'nft.apply', script: 'flush ruleset\n', undo: '' }]);
    expect(kernel.snapshot()['(daemon)']!.nftTables).toEqual([]);
    kernel.clearCalls();
    await restart();
    expect(kernel.snapshot()['(daemon)']!.nftTables.map((t) => `${t.family} ${t.name}`)).toContain('inet weft');
    const first = nftOps()[0]!;
    expect(first.script).toBe(before);
    expect(first.script).toContain(dnat(8080, '10.5.0.10:80'));
    // The new process knows nothing applied yet: undoing its first op would empty the table.
    expect(first.undo).toBe(renderFirewall(EMPTY_FIREWALL_STATE));
    expect(nftOps()).toHaveLength(1);
  });
});

describe('firewall runs only when its rendering changes', () => {
  it('a connect that changes no rule runs no nft batch; one that publishes a port does', async () => {
    kernel.clearCalls();
    await controller.createSandbox({ name: 'quiet', networks: ['front'] });
    const nft = kernel.calls.filter((c) => c.op.op === 'nft.apply');
    expect(nft.length).toBeGreaterThan(0);
    expect(nft.every((c) => (c.op as NftOp).script === '' && c.outcome === 'noop')).toBe(true);
    kernel.clearCalls();
    await controller.createSandbox({ name: 'loud', networks: ['front'], publish: ['8080:80'] });
    expect(lastScript()).toContain('dport 8080');
  });

  it('the first change after a restart renders the table even when nothing changed', async () => {
    await restart();
    expect(lastScript()).toContain('"br-front"');
  });
});
