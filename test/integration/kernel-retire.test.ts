/**
 * Deferred veth deletion against the real kernel (src/kernel/linux/reaper.ts).
 * The retiring and the group delete act in "the daemon's own" namespace, so
 * they run in a node process entered into a throwaway namespace with nsenter
 * (test/fixtures/retire-probe.mjs), never in the machine's own.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RETIRED_LINK_GROUP } from '../../src/kernel/linux/reaper.js';
import { requireBuilt } from '../helpers/weftd.js';
import { NetnsPool, requireRoot } from '../helpers/netns.js';

const pool = new NetnsPool();
const PROBE = new URL('../fixtures/retire-probe.mjs', import.meta.url).pathname;

beforeAll(() => {
  requireRoot();
  requireBuilt();
});
afterEach(() => pool.cleanup());

interface Link {
  name: string;
  group: string;
  up: boolean;
}
interface Snapshot {
  own: Link[];
  sandbox: Link[];
}

function probe(host: string, sandbox: string, ...flags: string[]): { first?: Snapshot; made: Snapshot; retired: Snapshot; settled: Snapshot; warnings: string[] } {
  const out = execFileSync('nsenter', [`--net=/run/netns/${host}`, process.execPath, PROBE, sandbox, ...flags], { encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out);
}

const names = (links: Link[]) => links.map((l) => l.name).sort();

describe('retired veths', () => {
  it('leave the sandbox at once (renamed, down) and are deleted in a batch by settle()', () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    const { made, retired, settled, warnings } = probe(host, sandbox);
    expect(names(made.sandbox)).toEqual(['eth1', 'lo']);
    expect(made.own.find((l) => l.name === 'wvprobe')).toMatchObject({ group: '30565', up: true });

    // right after the teardown: no eth1 in the sandbox; the pair waits under another name and group
    expect(retired.sandbox.filter((l) => l.name !== 'lo')).toEqual([{ name: expect.stringMatching(/^weftrm\d+$/), group: expect.any(String), up: false }]);
    expect(retired.own.filter((l) => l.name !== 'lo')).toEqual([{ name: 'wvprobe', group: String(RETIRED_LINK_GROUP), up: true }]);

    expect(names(settled.sandbox)).toEqual(['lo']);
    expect(names(settled.own)).toEqual(['lo']);
    // deleted by the worker thread, not by the main-thread fallback
    expect(warnings).toEqual([]);
  });

  it('takes a sandbox end that is still up down before renaming it (a live link cannot be renamed)', () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    const { retired, settled } = probe(host, sandbox, 'peer-up');
    expect(retired.sandbox.filter((l) => l.name !== 'lo')).toEqual([{ name: expect.stringMatching(/^weftrm\d+$/), group: expect.any(String), up: false }]);
    expect(names(settled.sandbox)).toEqual(['lo']);
    expect(names(settled.own)).toEqual(['lo']);
  });

  it('settle() at a start deletes what an earlier run retired and never freed (a crash), and nothing else', () => {
    const host = pool.create('h');
    const sandbox = pool.create('s');
    execFileSync('ip', ['-n', host, 'link', 'add', 'wvleft', 'group', String(RETIRED_LINK_GROUP), 'type', 'veth', 'peer', 'name', 'weftrm9', 'netns', sandbox]);
    execFileSync('ip', ['-n', host, 'link', 'add', 'keepme', 'type', 'veth', 'peer', 'name', 'keepme2']);
    const { first, settled } = probe(host, sandbox, 'settle-first');
    expect(names(first!.own)).toEqual(['keepme', 'keepme2', 'lo']);
    expect(names(first!.sandbox)).toEqual(['lo']);
    expect(names(settled.own)).toEqual(['keepme', 'keepme2', 'lo']);
    expect(names(settled.sandbox)).toEqual(['lo']);
  });
});
