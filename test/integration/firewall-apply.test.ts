/**
 * The rendered firewall on the real kernel, in a throwaway "host"
 * namespace: one nft transaction creates, replaces or removes weft's
 * tables; rules nobody owns disappear at the next rendering; other tables
 * are left alone; the op's undo restores the previous rendering. Read back
 * with `nft` itself, not with the code under test.
 */
import { describe, expect, it } from 'vitest';
import type { NetworkFirewall } from '../../src/drivers/driver.js';
import { EMPTY_FIREWALL_STATE, firewallOp, renderFirewall, type FirewallState } from '../../src/firewall/index.js';
import { nftJson, sh } from '../helpers/netns.js';
import { realKernelTestbed } from '../helpers/kernel-testbed.js';

const { pool, kernel } = realKernelTestbed();

const fw = (bridge: string, subnet: string, extra: Partial<NetworkFirewall> = {}): NetworkFirewall => ({
  devices: [bridge],
  subnets: [subnet],
  masquerade: true,
  icc: true,
  internal: false,
  bridge,
  ...extra,
});

const stateA: FirewallState = {
  networks: [
    { id: 'aaaa000000000001', fw: fw('weft-aaaa000000', '10.41.1.0/24'), endpointDevices: ['wv01'], endpointAddresses: ['10.41.1.2'] },
    { id: 'bbbb000000000002', fw: fw('br-iso', '10.41.2.0/24', { icc: false }), endpointDevices: ['wv02', 'wv03'], endpointAddresses: [] },
    {
      id: 'cccc000000000003',
      fw: { devices: [], subnets: ['10.41.3.0/24'], masquerade: true, icc: true, internal: false },
      endpointDevices: ['wn01'],
      endpointAddresses: ['10.41.3.2'],
    },
  ],
  ports: [{ networkId: 'aaaa000000000001', proto: 'tcp', hostIp: '', hostPort: 8080, containerIp: '10.41.1.2', containerPort: 80 }],
};

const stateB: FirewallState = {
  networks: [stateA.networks[0]!],
  ports: [{ networkId: 'aaaa000000000001', proto: 'udp', hostIp: '', hostPort: 5300, containerIp: '10.41.1.2', containerPort: 53 }],
};

type NftObject = Record<string, Record<string, unknown>>;

function objects(ns: string): NftObject[] {
  return nftJson<{ nftables: NftObject[] }>(ns, 'list', 'ruleset').nftables.filter((o) => !('metainfo' in o));
}

const tables = (ns: string) => objects(ns).flatMap((o) => (o.table ? [`${o.table.family} ${o.table.name}`] : []));
const rulesOf = (ns: string, family: string) => objects(ns).filter((o) => o.rule && o.rule.family === family && o.rule.table === 'weft');
/** Elements of a set, sorted (the kernel keeps its own order); undefined when the set does not exist. */
function setElements(ns: string, name: string): string[] | undefined {
  const set = objects(ns).find((o) => o.set && o.set.family === 'inet' && o.set.name === name)?.set;
  if (!set) return undefined;
  const elem = set.elem as string | string[] | undefined;
  return elem === undefined ? [] : [elem].flat().sort();
}

describe('firewall on the real kernel', () => {
  it('creates inet weft (and bridge weft for icc=false) in one transaction, with the devices in the sets', async () => {
    const host = pool.create('h');
    await kernel.apply([firewallOp(EMPTY_FIREWALL_STATE, stateA)], { netns: host });
    expect(tables(host).sort()).toEqual(['bridge weft', 'inet weft']);
    const chains = objects(host).flatMap((o) => (o.chain ? [`${o.chain.family} ${o.chain.name} ${o.chain.hook}`] : []));
    expect(chains.sort()).toEqual([
      'bridge forward forward',
      'inet forward forward',
      'inet output output',
      'inet postrouting postrouting',
      'inet prerouting prerouting',
    ]);
    expect(setElements(host, 'all_devices')).toEqual(['br-iso', 'weft-aaaa000000', 'wn01']);
    expect(setElements(host, 'net_cccc00000000')).toEqual(['wn01']);
    expect(sh(host, 'nft', ['list', 'chain', 'inet', 'weft', 'prerouting'])).toContain('tcp dport 8080 dnat ip to 10.41.1.2:80');
  });

  it('replaces the whole table: nothing of the previous state survives, no rule is doubled', async () => {
    const host = pool.create('h');
    await kernel.apply([firewallOp(EMPTY_FIREWALL_STATE, stateA)], { netns: host });
    await kernel.apply([firewallOp(stateA, stateB)], { netns: host });
    await kernel.apply([firewallOp(stateB, stateB)], { netns: host });
    expect(tables(host)).toEqual(['inet weft']);
    const prerouting = sh(host, 'nft', ['list', 'chain', 'inet', 'weft', 'prerouting']);
    expect(prerouting).not.toContain('8080');
    expect(prerouting.match(/udp dport 5300/g)).toHaveLength(1);
    expect(setElements(host, 'all_devices')).toEqual(['weft-aaaa000000']);
    expect(setElements(host, 'net_cccc00000000')).toBeUndefined();
  });

  it('reconciles: rules nobody owns are gone after the next rendering; other tables are untouched', async () => {
    const host = pool.create('h');
    await kernel.apply([firewallOp(EMPTY_FIREWALL_STATE, stateB)], { netns: host });
    const rendered = sh(host, 'nft', ['list', 'table', 'inet', 'weft']);
    const stray = 'table inet weft {\nchain stray {\n}\n}\nadd rule inet weft forward ip saddr 203.0.113.9 accept\n';
    const other = 'table inet other {\nchain input {\ntype filter hook input priority 0; policy accept;\ntcp dport 22 accept\n}\n}\n';
    sh(host, 'sh', ['-c', `printf '%s' '${stray}${other}' | nft -f -`]);
    expect(sh(host, 'nft', ['list', 'table', 'inet', 'weft'])).toContain('203.0.113.9');

    // A restarted daemon renders from its store, with no idea what was there.
    await kernel.apply([firewallOp(EMPTY_FIREWALL_STATE, stateB)], { netns: host });
    expect(sh(host, 'nft', ['list', 'table', 'inet', 'weft'])).toBe(rendered);
    expect(tables(host).sort()).toEqual(['inet other', 'inet weft']);
    expect(sh(host, 'nft', ['list', 'table', 'inet', 'other'])).toContain('tcp dport 22 accept');
  });

  it('the op undoes to the previous rendering, and an empty state removes both tables', async () => {
    const host = pool.create('h');
    await kernel.apply([firewallOp(EMPTY_FIREWALL_STATE, stateB)], { netns: host });
    const before = sh(host, 'nft', ['list', 'ruleset']);
    const applied = await kernel.apply([firewallOp(stateB, stateA)], { netns: host });
    expect(rulesOf(host, 'bridge')).toHaveLength(1);
    await kernel.teardown(applied, { netns: host });
    expect(sh(host, 'nft', ['list', 'ruleset'])).toBe(before);

    await kernel.apply([firewallOp(stateB, EMPTY_FIREWALL_STATE)], { netns: host });
    expect(tables(host)).toEqual([]);
    // Removing what is not there is fine too (a first start, a second removal).
    await kernel.apply([{ op: 'nft.apply', script: renderFirewall(EMPTY_FIREWALL_STATE), undo: renderFirewall(EMPTY_FIREWALL_STATE) }], { netns: host });
    expect(tables(host)).toEqual([]);
  });
});
