/**
 * Restart recovery with a real weftd: after kill -9 (between operations and in
 * the middle of them) a restart recreates missing kernel objects of live
 * endpoints, removes weft links and rules nobody owns, forgets sandboxes whose
 * namespace is gone, and leaks no address.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type net from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEFT_LINK_GROUP } from '../../src/drivers/index.js';
import { createLinuxKernel, type LinuxKernel } from '../../src/kernel/linux/index.js';
import { weftCli, weftOk } from '../helpers/cli.js';
import { ipJson, NetnsPool, requireRoot } from '../helpers/netns.js';
import { pings, serveTcp, tcpRequest } from '../helpers/traffic.js';
import { hostWithOutside, SandboxNames } from '../helpers/topology.js';
import { requireBuilt, startWeftd, type RunningWeftd } from '../helpers/weftd.js';

const pool = new NetnsPool();
const servers: net.Server[] = [];
let kernel: LinuxKernel;
let weftd: RunningWeftd;
let host = '';
let outside = '';

const ok = (...args: string[]) => weftOk(weftd.socket, args);
const inspect = async (kind: 'network' | 'sandbox', name: string) => JSON.parse(await ok(kind, 'inspect', name))[0];
const names = new SandboxNames();
const sandboxName = (tag: string) => names.next(tag);

async function restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<Record<string, unknown>> {
  const root = weftd.root;
  await weftd.stop(signal, { keepRoot: true });
  weftd = startWeftd(host, { root });
  await weftd.waitForLog('weftd ready');
  return weftd.waitForLog('reconciled');
}

/** Allocated addresses per pool, read from the daemon's store file (SQLite, readable while it runs). */
function allocations(): Map<string, string[]> {
  const db = new Database(join(weftd.root, 'state', 'weft.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT key FROM kv WHERE key LIKE 'ipam/addr/%'").all() as { key: string }[];
    const out = new Map<string, string[]>();
    for (const { key } of rows) {
      const [, , pool, ip] = key.split('/');
      out.set(decodeURIComponent(pool!), [...(out.get(decodeURIComponent(pool!)) ?? []), ip!]);
    }
    return out;
  } finally {
    db.close();
  }
}

/** Links of weft's group in the host namespace. */
function weftLinks(): string[] {
  return ipJson(host, 'link')
    .filter((l: { group?: string | number }) => Number(l.group) === WEFT_LINK_GROUP || l.group === String(WEFT_LINK_GROUP))
    .map((l: { ifname: string }) => l.ifname)
    .sort();
}

/** Runs a weft command, SIGKILLs weftd after the k-th kernel op it logs, starts it again; the reconcile report. */
async function killDuring(args: string[], k: number): Promise<Record<string, unknown>> {
  const before = weftd.logCount('kernel op');
  const pending = weftCli(weftd.socket, args);
  await weftd.waitForNthLog('kernel op', before + k);
  const root = weftd.root;
  await weftd.stop('SIGKILL', { keepRoot: true });
  await pending;
  weftd = startWeftd(host, { root });
  const report = await weftd.waitForLog('reconciled');
  expect(report.errors).toEqual([]);
  return report;
}

/** Every weft link belongs to a live endpoint or the network, every address of the pool to an endpoint or the gateway. */
async function expectOnlyWhatRecordsHold(network: string, poolId: string): Promise<void> {
  const net = await inspect('network', network);
  const endpoints = Object.values(net.Containers) as { EndpointID: string; IPv4Address: string }[];
  const expectedLinks = [...endpoints.map((e) => `wv${e.EndpointID.slice(0, 12)}`), `weft-${net.Id.slice(0, 10)}`].sort();
  expect(weftLinks().filter((l) => l !== 'weft0')).toEqual(expectedLinks);
  const expectedAddresses = [...endpoints.map((e) => e.IPv4Address.split('/')[0]!), net.IPAM.Config[0].Gateway].sort();
  expect((allocations().get(poolId) ?? []).sort()).toEqual(expectedAddresses);
}

beforeAll(async () => {
  requireRoot();
  requireBuilt();
  kernel = createLinuxKernel();
  ({ host, outside } = hostWithOutside(pool));
  weftd = startWeftd(host);
  await weftd.waitForLog('weftd ready');
});

afterAll(async () => {
  for (const s of servers) s.close();
  await weftd?.stop('SIGKILL');
  names.cleanup();
  pool.cleanup();
  await kernel?.close();
});

describe('restart recovery', () => {
  it('after kill -9: recreates what is missing, removes what nobody owns, forgets vanished sandboxes', async () => {
    await ok('network', 'create', '--subnet', '10.203.0.0/24', 'r1');
    const s1 = sandboxName('a');
    const s2 = sandboxName('b');
    const s3 = sandboxName('c');
    await ok('sandbox', 'create', '--network', 'r1', s1);
    await ok('sandbox', 'create', '--network', 'r1', '-p', '8081:80', s2);
    await ok('sandbox', 'create', '--network', 'r1', '--ip', '10.203.0.50', s3);
    servers.push(await serveTcp(kernel, s2, 80, 's2'));
    const s1Before = await inspect('sandbox', s1);
    const s2Addr = (await inspect('sandbox', s2)).Networks.r1.IPAddress;
    expect(await pings(s1, s2Addr)).toBe(true);

    await weftd.stop('SIGKILL', { keepRoot: true });
    // while weftd is down: s1 loses its veth, an orphan weft link appears, a stray rule
    // lands in weft's table, and s3's namespace is deleted by hand
    execFileSync('ip', ['-n', host, 'link', 'del', `wv${s1Before.Networks.r1.EndpointID.slice(0, 12)}`]);
    execFileSync('ip', ['-n', host, 'link', 'add', 'wv0123456789ab', 'group', String(WEFT_LINK_GROUP), 'type', 'veth', 'peer', 'name', 'wc0123456789ab', 'group', String(WEFT_LINK_GROUP)]);
    execFileSync('ip', ['netns', 'exec', host, 'nft', 'insert', 'rule', 'inet', 'weft', 'forward', 'ip', 'daddr', '10.203.0.0/24', 'drop']);
    execFileSync('ip', ['netns', 'del', s3]);
    expect(await pings(s2, s2Addr.replace(/\d+$/, '1'), 1)).toBe(true);

    weftd = startWeftd(host, { root: weftd.root });
    const report = await weftd.waitForLog('reconciled');
    expect(report.orphanLinks).toEqual(expect.arrayContaining(['wv0123456789ab']));
    expect(report.sandboxesGone).toEqual([s3]);
    expect(report.errors).toEqual([]);

    // s1 is whole again, with its address and MAC
    const eth0 = ipJson(s1, 'addr', 'show', 'eth0')[0];
    expect(eth0.address).toBe(s1Before.Networks.r1.MacAddress);
    expect(eth0.addr_info.some((a: { local: string }) => a.local === s1Before.Networks.r1.IPAddress)).toBe(true);
    expect(await pings(s1, s2Addr)).toBe(true);
    expect(await tcpRequest(outside, '192.0.2.1', 8081)).toMatch(/^s2 /);
    // nothing of the orphan, nor the stray rule
    expect(weftLinks()).not.toContain('wv0123456789ab');
    expect(execFileSync('ip', ['netns', 'exec', host, 'nft', 'list', 'chain', 'inet', 'weft', 'forward'], { encoding: 'utf8' })).not.toContain('10.203.0.0/24 drop');
    // s3 is gone and its address is free again
    expect((await weftCli(weftd.socket, ['sandbox', 'inspect', s3])).code).toBe(1);
    const s4 = sandboxName('d');
    await ok('sandbox', 'create', '--network', 'r1', '--ip', '10.203.0.50', s4);
  });

  it('kill -9 in the middle of changes leaks no link, namespace or address', async () => {
    const r1 = await inspect('network', 'r1');
    const poolId = `LocalDefault/${r1.IPAM.Config[0].Subnet}`;
    const undone: string[] = [];
    // Kill after the k-th kernel op of a sandbox create (netns, lo, veth, link up, address, route, firewall…).
    for (const k of [1, 2, 3, 4, 5, 6, 7]) {
      const name = sandboxName('k');
      const report = await killDuring(['sandbox', 'create', '--network', 'r1', name], k);
      undone.push(...(report.intentsUndone as string[]));

      // the sandbox either exists whole or not at all
      const exists = (await weftCli(weftd.socket, ['sandbox', 'inspect', name])).code === 0;
      const nsExists = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').some((l) => l.split(' ')[0] === name);
      if (exists) {
        expect(nsExists).toBe(true);
        expect(ipJson(name, 'link').map((l: { ifname: string }) => l.ifname)).toContain('eth0');
      } else {
        expect(nsExists).toBe(false);
      }
      await expectOnlyWhatRecordsHold('r1', poolId);
    }
    // the kills landed inside changes, not only between them
    expect(undone.length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('kill -9 in the middle of a disconnect (its veth retired or not) leaves the endpoint whole or gone, nothing half', async () => {
    const r1 = await inspect('network', 'r1');
    const poolId = `LocalDefault/${r1.IPAM.Config[0].Subnet}`;
    // Kill after the k-th kernel op of a disconnect (firewall, default route, address, link down, veth retired).
    for (const k of [2, 3, 4, 5]) {
      const name = sandboxName('q');
      await ok('sandbox', 'create', '--network', 'r1', name);
      await killDuring(['network', 'disconnect', 'r1', name], k);

      const connected = Object.keys((await inspect('sandbox', name)).Networks).includes('r1');
      const devices = ipJson(name, 'link').map((l: { ifname: string }) => l.ifname).sort();
      if (connected) {
        // restored whole: the device, its address and the way out
        expect(devices).toEqual(['eth0', 'lo']);
        const address = (await inspect('sandbox', name)).Networks.r1.IPAddress;
        expect(ipJson(name, 'addr', 'show', 'eth0')[0].addr_info.some((a: { local: string }) => a.local === address)).toBe(true);
        expect(await pings(name, r1.IPAM.Config[0].Gateway)).toBe(true);
      } else {
        expect(devices).toEqual(['lo']);
      }
      // no retired pair outlives the start, and links and addresses match the records
      expect(ipJson(host, 'link').filter((l: { group?: string | number }) => String(l.group) === '30566')).toEqual([]);
      await expectOnlyWhatRecordsHold('r1', poolId);
      await ok('sandbox', 'rm', name);
    }
  }, 120_000);
});
