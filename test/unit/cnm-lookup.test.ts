/**
 * Finding networks and sandboxes the way Docker does (full id, then name,
 * then a unique id prefix) and `network ls --filter` (driver, name, id,
 * label): values of one key are OR-ed (labels: AND-ed, as in Docker), keys are AND-ed.
 */
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { NetworkCreateRequest, NetworkFilter, NetworkInspect } from '../../src/cnm/api-types.js';
import { Controller } from '../../src/cnm/controller.js';
import { builtinDrivers } from '../../src/drivers/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MemorySandboxFiles } from '../helpers/memory-sandbox-files.js';

let controller: Controller;
beforeEach(async () => {
  const store = new MemoryStore();
  const ipam = await DefaultIpam.open({ store });
  ({ controller } = await Controller.start({
    store,
    kernel: new FakeKernel(),
    ipam,
    drivers: builtinDrivers(),
    files: new MemorySandboxFiles(),
    log: pino({ level: 'silent' }),
  }));
});

/** Ids are random; among 17 of them (pigeonhole over 16 hex digits) two share their first character. */
function sharedFirstChar(ids: string[]): string {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id[0]!)) return id[0]!;
    seen.add(id[0]!);
  }
  throw new Error(`no shared first character among ${ids.length} ids`);
}

describe('network lookup', () => {
  let front: NetworkInspect;
  beforeEach(async () => {
    front = await controller.createNetwork({ name: 'front' });
  });

  it('finds a network by full id, by name and by a unique id prefix', async () => {
    expect((await controller.inspectNetwork(front.Id)).Name).toBe('front');
    expect((await controller.inspectNetwork('front')).Id).toBe(front.Id);
    const others = (await controller.listNetworks()).filter((n) => n.Id !== front.Id);
    let length = 1;
    while (others.some((n) => n.Id.startsWith(front.Id.slice(0, length)))) length++;
    expect((await controller.inspectNetwork(front.Id.slice(0, length))).Name).toBe('front');
  });

  it('prefers a full id to a name, and a name to an id prefix', async () => {
    const prefix = front.Id.slice(0, 8);
    const named = await controller.createNetwork({ name: prefix });
    expect((await controller.inspectNetwork(prefix)).Id).toBe(named.Id);
    const impostor = await controller.createNetwork({ name: front.Id });
    expect((await controller.inspectNetwork(front.Id)).Id).toBe(front.Id);
    expect(impostor.Id).not.toBe(front.Id);
  });

  it('answers WEFT_NETWORK_NOT_FOUND for an unknown name or prefix, and for ""', async () => {
    for (const ref of ['ghost', 'fffffffffffffffff0', '']) {
      await expect(controller.inspectNetwork(ref)).rejects.toMatchObject({ code: 'WEFT_NETWORK_NOT_FOUND', kind: 'NotFound', message: `network ${ref} not found` });
    }
    // A name is not matched by prefix.
    await expect(controller.inspectNetwork('fro')).rejects.toMatchObject({ code: 'WEFT_NETWORK_NOT_FOUND' });
  });

  it('refuses an id prefix that matches several networks: WEFT_NETWORK_AMBIGUOUS, for every operation', async () => {
    for (let i = 0; i < 13; i++) await controller.createNetwork({ name: `net-${i}` });
    const nets = await controller.listNetworks();
    expect(nets).toHaveLength(17);
    const prefix = sharedFirstChar(nets.map((n) => n.Id));
    await expect(controller.inspectNetwork(prefix)).rejects.toMatchObject({
      code: 'WEFT_NETWORK_AMBIGUOUS',
      kind: 'BadRequest',
      message: `network ${prefix} is ambiguous: it matches several network ids`,
    });
    await expect(controller.removeNetwork(prefix)).rejects.toMatchObject({ code: 'WEFT_NETWORK_AMBIGUOUS' });
    await expect(controller.createSandbox({ name: 'web', networks: [prefix] })).rejects.toMatchObject({ code: 'WEFT_NETWORK_AMBIGUOUS' });
    expect(await controller.listNetworks()).toHaveLength(17);
    // A longer prefix of one of them settles it.
    const one = nets.find((n) => n.Id.startsWith(prefix))!;
    expect((await controller.inspectNetwork(one.Id.slice(0, 12))).Id).toBe(one.Id);
  });
});

describe('sandbox lookup', () => {
  it('finds a sandbox by id, name and unique id prefix; an unknown one is WEFT_SANDBOX_NOT_FOUND', async () => {
    const web = await controller.createSandbox({ name: 'web', networks: ['none'] });
    expect((await controller.inspectSandbox(web.Id)).Name).toBe('web');
    expect((await controller.inspectSandbox('web')).Id).toBe(web.Id);
    expect((await controller.inspectSandbox(web.Id.slice(0, 12))).Name).toBe('web');
    await expect(controller.inspectSandbox('ghost')).rejects.toMatchObject({ code: 'WEFT_SANDBOX_NOT_FOUND', message: 'no such sandbox: ghost' });
  });

  it('refuses an id prefix that matches several sandboxes', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 17; i++) ids.push((await controller.createSandbox({ name: `sb-${i}`, networks: ['none'] })).Id);
    const prefix = sharedFirstChar(ids);
    await expect(controller.removeSandbox(prefix)).rejects.toMatchObject({
      code: 'WEFT_SANDBOX_AMBIGUOUS',
      message: `sandbox ${prefix} is ambiguous: it matches several sandbox ids`,
    });
    expect(await controller.listSandboxes()).toHaveLength(17);
  });
});

describe('network ls --filter', () => {
  let ids: Record<string, string>;
  beforeEach(async () => {
    ids = {};
    const reqs: NetworkCreateRequest[] = [
      { name: 'front', labels: { team: 'web', tier: 'front' } },
      { name: 'back', labels: { team: 'db' } },
      { name: 'edge', driver: 'nat', labels: { team: 'web', env: '' } },
    ];
    for (const req of reqs) {
      ids[req.name] = (await controller.createNetwork(req)).Id;
    }
  });

  const ls = async (filter: NetworkFilter) => (await controller.listNetworks(filter)).map((n) => n.Name);

  it('without a filter lists every network by name', async () => {
    expect(await ls({})).toEqual(['back', 'bridge', 'edge', 'front', 'host', 'none']);
  });

  it('driver: exact, several values OR-ed', async () => {
    expect(await ls({ driver: ['bridge'] })).toEqual(['back', 'bridge', 'front']);
    expect(await ls({ driver: ['nat', 'null'] })).toEqual(['edge', 'none']);
    expect(await ls({ driver: ['brid'] })).toEqual([]);
  });

  it('name: substring, several values OR-ed', async () => {
    expect(await ls({ name: ['ro'] })).toEqual(['front']);
    expect(await ls({ name: ['ont', 'ack'] })).toEqual(['back', 'front']);
    expect(await ls({ name: ['e'] })).toEqual(['bridge', 'edge', 'none']);
  });

  it('id: prefix', async () => {
    expect(await ls({ id: [ids.front!.slice(0, 12)] })).toEqual(['front']);
    expect(await ls({ id: [ids.front!, ids.back!] })).toEqual(['back', 'front']);
    expect(await ls({ id: [ids.front!.slice(1, 13)] })).not.toContain('front');
  });

  it('label: by key, or by key=value (an empty value included)', async () => {
    expect(await ls({ label: ['team'] })).toEqual(['back', 'edge', 'front']);
    expect(await ls({ label: ['team=web'] })).toEqual(['edge', 'front']);
    expect(await ls({ label: ['env'] })).toEqual(['edge']);
    expect(await ls({ label: ['env='] })).toEqual(['edge']);
    expect(await ls({ label: ['team=we'] })).toEqual([]);
    // several labels must all match, as in Docker
    expect(await ls({ label: ['team=web', 'tier=front'] })).toEqual(['front']);
    expect(await ls({ label: ['team', 'env'] })).toEqual(['edge']);
  });

  it('several keys are AND-ed', async () => {
    expect(await ls({ driver: ['bridge'], label: ['team=web'] })).toEqual(['front']);
    expect(await ls({ name: ['e'], driver: ['nat', 'bridge'] })).toEqual(['bridge', 'edge']);
    expect(await ls({ name: ['front'], label: ['team=db'] })).toEqual([]);
  });
});
