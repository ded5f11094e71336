/**
 * The embedded DNS fed by a real controller (fake kernel, memory store): the
 * record store follows the controller's events synchronously, is rebuilt
 * from the repository after a restart, and sandboxes' resolv.conf names the
 * resolver while keeping their search domains and options. Also the host's
 * resolvers as upstreams, with systemd-resolved's stub replaced by its list.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Controller } from '../../src/cnm/controller.js';
import { DnsEngine } from '../../src/dns/engine.js';
import { HostResolvers } from '../../src/dns/host-resolvers.js';
import { opsOfEvent, opsOfRecords } from '../../src/dns/record-ops.js';
import { EmbeddedDnsFiles } from '../../src/dns/resolv-files.js';
import { builtinDrivers } from '../../src/drivers/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { addresses, query } from '../helpers/dns-packets.js';
import { MemorySandboxFiles } from '../helpers/memory-sandbox-files.js';

const silent = { debug: () => undefined, warn: () => undefined };

async function start(store = new MemoryStore(), kernel = new FakeKernel()) {
  const files = new MemorySandboxFiles({ nameservers: ['192.0.2.53'], search: ['corp.example'] });
  const ipam = await DefaultIpam.open({ store });
  const { controller } = await Controller.start({ store, kernel, ipam, drivers: builtinDrivers(), files: new EmbeddedDnsFiles(files), log: pino({ level: 'silent' }) });
  const engine = new DnsEngine({ hostResolvers: { nameservers: () => [] }, log: silent });
  const repo = controller.repository;
  for (const op of opsOfRecords({ networks: repo.networks.values(), sandboxes: repo.sandboxes.values(), endpoints: repo.endpoints.values() })) engine.apply(op);
  controller.events.on((event) => opsOfEvent(event).forEach((op) => engine.apply(op)));
  const sandboxId = async (name: string) => (await controller.inspectSandbox(name)).Id;
  const resolve = async (from: string, name: string) => {
    const ctx = engine.context(await sandboxId(from));
    return new Promise<string[]>((done) => engine.handle(ctx, query(name), 'udp', (r) => done(addresses(r))));
  };
  return { store, kernel, files, controller, engine, resolve };
}

describe('fed by the controller', () => {
  it('follows create, connect with an alias, disconnect and remove at once', async () => {
    const d = await start();
    await d.controller.createNetwork({ name: 'n1', subnets: ['10.10.0.0/24'] });
    await d.controller.createNetwork({ name: 'n2', subnets: ['10.20.0.0/24'] });
    await d.controller.createSandbox({ name: 'a', networks: ['n1'] });
    await d.controller.createSandbox({ name: 'b', networks: ['n1'], aliases: ['bee'] });
    await d.controller.createSandbox({ name: 'c', networks: ['n2'] });
    expect(await d.resolve('a', 'b')).toEqual(['10.10.0.3']);
    expect(await d.resolve('a', 'bee')).toEqual(['10.10.0.3']);
    expect(await d.resolve('a', 'c')).toEqual([]);
    await d.controller.connect({ network: 'n2', sandbox: 'a', aliases: ['ay'] });
    expect(await d.resolve('a', 'c')).toEqual(['10.20.0.2']);
    expect(await d.resolve('c', 'ay')).toEqual(['10.20.0.3']);
    expect(await d.resolve('c', 'a.n2')).toEqual(['10.20.0.3']);
    await d.controller.disconnect('n2', 'a');
    expect(await d.resolve('c', 'a')).toEqual([]);
    expect(await d.resolve('a', 'c')).toEqual([]);
    const bId = (await d.controller.inspectSandbox('b')).Id;
    await d.controller.removeSandbox('b');
    expect(d.engine.store.sandboxes.has(bId)).toBe(false);
    expect(await d.resolve('a', 'b')).toEqual([]);
  });

  it('rebuilds the same records from the repository after a restart', async () => {
    const d = await start();
    await d.controller.createNetwork({ name: 'n1', subnets: ['10.10.0.0/24'] });
    await d.controller.createSandbox({ name: 'a', networks: ['n1'] });
    await d.controller.createSandbox({ name: 'b', networks: ['n1'], aliases: ['bee'] });
    await d.controller.stop();
    const again = await start(d.store, d.kernel);
    expect(await again.resolve('a', 'bee')).toEqual(['10.10.0.3']);
  });

  it('writes resolv.conf naming 127.0.0.11 with the sandbox search domains and options; host-network sandboxes get none', async () => {
    const d = await start();
    await d.controller.createSandbox({ name: 'a', dns: ['9.9.9.9'], dnsSearch: ['lab'], dnsOptions: ['ndots:2'] });
    await d.controller.createSandbox({ name: 'b' });
    expect(d.files.get('a')).toMatchObject({ nameservers: ['127.0.0.11'], search: ['lab'], options: ['ndots:2'] });
    expect(d.files.get('b')).toMatchObject({ nameservers: ['127.0.0.11'], search: ['corp.example'] });
    await d.controller.createSandbox({ name: 'h', networks: ['host'] });
    expect(d.files.get('h')).toBeUndefined();
    const aId = (await d.controller.inspectSandbox('a')).Id;
    expect(d.engine.store.sandboxes.get(aId)?.upstreams).toEqual(['9.9.9.9']);
    expect(d.engine.store.sandboxes.has((await d.controller.inspectSandbox('h')).Id)).toBe(false);
  });
});

describe('host resolvers', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-dns-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the daemon's resolv.conf, re-reads it when it changes, and never lists 127.0.0.11", () => {
    const conf = join(dir, 'resolv.conf');
    writeFileSync(conf, 'nameserver 192.0.2.1\nnameserver 127.0.0.11\nnameserver 192.0.2.1\n');
    const clock = { now: 0 };
    const resolvers = new HostResolvers(conf, { stubUpstreams: join(dir, 'none'), nowMs: () => clock.now });
    expect(resolvers.nameservers()).toEqual(['192.0.2.1']);
    writeFileSync(conf, 'nameserver 192.0.2.2\n');
    clock.now += 2000;
    expect(resolvers.nameservers()).toEqual(['192.0.2.2']);
  });

  it("uses systemd-resolved's upstream list instead of its stub, as Docker does", () => {
    const conf = join(dir, 'resolv.conf');
    const upstream = join(dir, 'upstream.conf');
    writeFileSync(conf, 'nameserver 127.0.0.53\noptions edns0\n');
    expect(new HostResolvers(conf, { stubUpstreams: upstream }).nameservers()).toEqual(['127.0.0.53']);
    writeFileSync(upstream, 'nameserver 192.0.2.10\nnameserver 2001:db8::10\n');
    expect(new HostResolvers(conf, { stubUpstreams: upstream }).nameservers()).toEqual(['192.0.2.10', '2001:db8::10']);
  });
});
