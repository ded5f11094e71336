/**
 * A kernel op that fails half-way through a change: the controller answers
 * WEFT_KERNEL_OP_FAILED, the fake kernel is back where it was, no record or
 * intent is left, and IPAM gave back what it handed out (the same subnet,
 * gateway and --ip can be taken right after).
 */
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { Controller } from '../../src/cnm/controller.js';
import { builtinDrivers } from '../../src/drivers/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { WeftError } from '../../src/errors/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { TxnOp } from '../../src/store/store.js';
import { MemorySandboxFiles } from '../helpers/memory-sandbox-files.js';
import { snapshotState, startTestDaemon, type TestDaemon } from '../helpers/cnm-harness.js';

type Daemon = TestDaemon;
const startDaemon = () => startTestDaemon();
const state = snapshotState;




/** The ops that failed forward (not in rollback or teardown) since the last clearCalls. */
function failedOps(kernel: FakeKernel) {
  return kernel.calls.filter((c) => c.phase === 'apply' && c.outcome === 'failed').map((c) => ({ op: c.op.op, netns: c.netns }));
}

describe('rollback of a network create', () => {
  let d: Daemon;
  beforeEach(async () => {
    d = await startDaemon();
  });

  // A v4 bridge network is: the bridge, two of its sysctls, the gateway address, then the firewall.
  const CREATE_OPS = ['link.add', 'sysctl.set', 'sysctl.set', 'addr.add', 'nft.apply'];

  it.each(CREATE_OPS.map((op, i) => ({ n: i + 1, op })))('op $n ($op) fails: WEFT_KERNEL_OP_FAILED and nothing is left', async ({ n, op }) => {
    const before = await state(d);
    d.kernel.clearCalls();
    d.kernel.failAt(n);
    await expect(d.controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'], gateways: ['10.5.0.1'] })).rejects.toMatchObject({
      name: 'WeftError',
      code: 'WEFT_KERNEL_OP_FAILED',
      details: expect.objectContaining({ op }),
    });
    expect(failedOps(d.kernel)).toEqual([{ op, netns: undefined }]);
    expect(await state(d)).toEqual(before);
    await expect(d.controller.inspectNetwork('front')).rejects.toMatchObject({ code: 'WEFT_NETWORK_NOT_FOUND' });
    const again = await d.controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'], gateways: ['10.5.0.1'] });
    expect(again.IPAM.Config).toEqual([{ Subnet: '10.5.0.0/24', Gateway: '10.5.0.1' }]);
  });

  it('a failure on the bridge by name (failOn) is undone the same way', async () => {
    const before = await state(d);
    d.kernel.failOn((op) => op.op === 'addr.add' && op.dev === 'br-front', { code: 'EADDRNOTAVAIL', times: 1 });
    const failure = d.controller.createNetwork({ name: 'front', options: { 'com.docker.network.bridge.name': 'br-front' } });
    await expect(failure).rejects.toMatchObject({ code: 'WEFT_KERNEL_OP_FAILED', details: expect.objectContaining({ errno: 'EADDRNOTAVAIL' }) });
    expect(await state(d)).toEqual(before);
    expect((await d.kernel.links()).map((l) => l.name)).not.toContain('br-front');
  });

  it('a remove whose firewall update fails keeps the network whole', async () => {
    await d.controller.createNetwork({ name: 'front' });
    const before = await state(d);
    d.kernel.failOn((op) => op.op === 'nft.apply', { times: 1 });
    await expect(d.controller.removeNetwork('front')).rejects.toMatchObject({ code: 'WEFT_KERNEL_OP_FAILED' });
    expect(await state(d)).toEqual(before);
    expect((await d.controller.inspectNetwork('front')).Name).toBe('front');
  });
});

describe('rollback of a sandbox create and connect', () => {
  let d: Daemon;
  beforeEach(async () => {
    d = await startDaemon();
    await d.controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'] });
  });

  it('the default route in the sandbox fails: nothing is left and the --ip is free again', async () => {
    const before = await state(d);
    d.kernel.clearCalls();
    d.kernel.failOn((op, netns) => op.op === 'route.add' && netns === 'web', { code: 'ENETUNREACH', times: 1 });
    await expect(d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80'] })).rejects.toMatchObject({
      name: 'WeftError',
      code: 'WEFT_KERNEL_OP_FAILED',
      details: expect.objectContaining({ op: 'route.add', netns: 'web', errno: 'ENETUNREACH' }),
    });
    expect(failedOps(d.kernel)).toEqual([{ op: 'route.add', netns: 'web' }]);
    expect(await state(d)).toEqual(before);
    expect(await d.kernel.netnsExists('web')).toBe(false);
    await expect(d.controller.inspectSandbox('web')).rejects.toMatchObject({ code: 'WEFT_SANDBOX_NOT_FOUND' });
    expect((await d.controller.inspectNetwork('front')).Containers).toEqual({});
    const again = await d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10', publish: ['8080:80'] });
    expect(again.Networks.front!.IPAddress).toBe('10.5.0.10');
    expect(again.Ports).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] });
  });

  // netns, lo up | veth, its sandbox end up, address, default route, firewall
  const SANDBOX_OPS = ['netns.add', 'link.set', 'link.add', 'link.set', 'addr.add', 'route.add', 'nft.apply'];

  it.each(SANDBOX_OPS.map((op, i) => ({ n: i + 1, op })))('op $n ($op) of a sandbox create fails: nothing is left', async ({ n, op }) => {
    const before = await state(d);
    d.kernel.clearCalls();
    d.kernel.failAt(n);
    await expect(d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10' })).rejects.toMatchObject({
      code: 'WEFT_KERNEL_OP_FAILED',
    });
    expect(failedOps(d.kernel).map((f) => f.op)).toEqual([op]);
    expect(await state(d)).toEqual(before);
    await expect(d.controller.inspectSandbox('web')).rejects.toMatchObject({ code: 'WEFT_SANDBOX_NOT_FOUND' });
    expect((await d.controller.createSandbox({ name: 'web', networks: ['front'], ipv4: '10.5.0.10' })).Networks.front!.IPAddress).toBe('10.5.0.10');
  });

  it('a failure joining the second network undoes the first join too', async () => {
    await d.controller.createNetwork({ name: 'back', subnets: ['10.6.0.0/24'] });
    const before = await state(d);
    d.kernel.failOn((op, netns) => op.op === 'addr.add' && netns === 'web' && op.cidr.startsWith('10.6.'), { times: 1 });
    await expect(d.controller.createSandbox({ name: 'web', networks: ['front', 'back'], ipv4: '10.5.0.10' })).rejects.toMatchObject({
      code: 'WEFT_KERNEL_OP_FAILED',
    });
    expect(await state(d)).toEqual(before);
    expect((await d.controller.inspectNetwork('front')).Containers).toEqual({});
    expect((await d.controller.inspectNetwork('back')).Containers).toEqual({});
  });

  it('a failed connect of an existing sandbox leaves it as it was, and the address is free again', async () => {
    await d.controller.createNetwork({ name: 'back', subnets: ['10.6.0.0/24'] });
    const web = await d.controller.createSandbox({ name: 'web', networks: ['front'] });
    const before = await state(d);
    d.kernel.failOn((op, netns) => op.op === 'link.set' && netns === 'web' && op.name === 'eth1', { times: 1 });
    await expect(d.controller.connect({ network: 'back', sandbox: 'web', ipv4: '10.6.0.20' })).rejects.toMatchObject({
      code: 'WEFT_KERNEL_OP_FAILED',
    });
    expect(await state(d)).toEqual(before);
    expect(await d.controller.inspectSandbox('web')).toEqual(web);
    await d.controller.connect({ network: 'back', sandbox: 'web', ipv4: '10.6.0.20' });
    expect((await d.controller.inspectSandbox('web')).Networks.back!.IPAddress).toBe('10.6.0.20');
  });
});

/** Fails once: the next transaction that puts a key under `failPrefix`. */
class FlakyStore extends MemoryStore {
  failPrefix?: string;
  override async txn(ops: readonly TxnOp[]): Promise<number> {
    if (this.failPrefix && ops.some((o) => o.type === 'put' && o.key.startsWith(this.failPrefix!))) {
      this.failPrefix = undefined;
      throw new WeftError('WEFT_STORE_FAILED', 'Unavailable', 'disk full');
    }
    return super.txn(ops);
  }
}

describe('a store commit that fails after the kernel was changed', () => {
  it('undoes the kernel side, drops the intent, and a later restart frees nothing that is in use', async () => {
    const store = new FlakyStore();
    const kernel = new FakeKernel();
    const files = new MemorySandboxFiles();
    const log = pino({ level: 'silent' });
    const ipam = await DefaultIpam.open({ store });
    const { controller } = await Controller.start({ store, kernel, ipam, drivers: builtinDrivers(), files, log });
    const linksBefore = (await kernel.links()).map((l) => l.name);
    store.failPrefix = 'cnm/network/';
    await expect(controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'] })).rejects.toMatchObject({ code: 'WEFT_STORE_FAILED' });
    expect(await store.list('cnm/intent/')).toEqual([]);
    expect((await kernel.links()).map((l) => l.name)).toEqual(linksBefore);
    await controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'] });
    await controller.stop();
    ipam.close();
    const again = await Controller.start({ store, kernel, ipam: await DefaultIpam.open({ store }), drivers: builtinDrivers(), files, log });
    expect(again.report.intentsUndone).toEqual([]);
    await expect(again.controller.createNetwork({ name: 'dup', subnets: ['10.5.0.0/24'] })).rejects.toMatchObject({ code: 'WEFT_POOL_OVERLAP' });
  });
});
