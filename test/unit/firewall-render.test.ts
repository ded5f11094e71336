/**
 * The nftables renderer: deterministic text, the rules each intent implies
 * (and none it does not), validation of what goes into the script, and —
 * with `nft -c` (check mode, in a throwaway user+network namespace, so
 * nothing is applied anywhere) — valid syntax for nft 1.0.6.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { NetworkFirewall } from '../../src/drivers/driver.js';
import { EMPTY_FIREWALL_STATE, firewallOp, renderFirewall, type FirewallNetwork, type FirewallState, type PublishedPort } from '../../src/firewall/index.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';

const BR1 = '1111aaaa2222bbbb';
const BR2 = '3333cccc4444dddd';
const NAT = '5555eeee6666ffff';
const INTERNAL = '7777000088889999';

function bridgeNet(id: string, bridge: string, subnet: string, fw: Partial<NetworkFirewall> = {}, ports: string[] = []): FirewallNetwork {
  return {
    id,
    fw: { devices: [bridge], subnets: [subnet], masquerade: true, icc: true, internal: false, bridge, ...fw },
    endpointDevices: ports,
    endpointAddresses: [],
  };
}

function natNet(id: string, subnet: string, devices: string[], fw: Partial<NetworkFirewall> = {}): FirewallNetwork {
  return { id, fw: { devices: [], subnets: [subnet], masquerade: true, icc: true, internal: false, ...fw }, endpointDevices: devices, endpointAddresses: [] };
}

const port = (p: Partial<PublishedPort>): PublishedPort => ({
  networkId: BR1,
  proto: 'tcp',
  hostIp: '',
  hostPort: 8080,
  containerIp: '10.1.0.2',
  containerPort: 80,
  ...p,
});

const fullState: FirewallState = {
  networks: [
    bridgeNet(BR1, 'weft-1111aaaa22', '10.1.0.0/24', {}, ['wv01', 'wv02']),
    bridgeNet(BR2, 'br-back', '10.3.0.0/24', { icc: false, hostBindingIpv4: '192.0.2.10' }, ['wv03', 'wv04']),
    natNet(NAT, '10.2.0.0/24', ['wn02', 'wn01']),
    bridgeNet(INTERNAL, 'weft-7777000088', '10.4.0.0/24', { internal: true, masquerade: false }),
  ],
  ports: [
    port({}),
    port({ networkId: BR2, hostPort: 9090, containerIp: '10.3.0.2' }),
    port({ networkId: NAT, proto: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerIp: '10.2.0.2', containerPort: 53 }),
    port({ proto: 'sctp', hostPort: 3868, containerPort: 3868 }),
  ],
};

/** `nft -c -f -`: nft parses the script and the kernel validates the batch, which is then discarded. */
function nftCheck(script: string): { ok: boolean; stderr: string } {
  const result = spawnSync('unshare', ['--user', '--map-root-user', '--net', 'nft', '-c', '-f', '-'], { input: script, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { ok: result.status === 0, stderr: result.stderr };
}

const rules = (script: string) => script.split('\n').map((l) => l.trim());

describe('renderFirewall', () => {
  it('renders an empty state as the removal of both tables', () => {
    expect(renderFirewall(EMPTY_FIREWALL_STATE)).toBe(
      [
        "# weft firewall: generated from the daemon's state; every apply replaces it whole",
        'table inet weft {}',
        'delete table inet weft',
        'table bridge weft {}',
        'delete table bridge weft',
        '',
      ].join('\n'),
    );
  });

  it('is deterministic: the same state in any order renders the same text', () => {
    const shuffled: FirewallState = {
      networks: [...fullState.networks].reverse().map((n) => ({ ...n, endpointDevices: [...n.endpointDevices].reverse() })),
      ports: [...fullState.ports].reverse(),
    };
    expect(renderFirewall(fullState)).toBe(renderFirewall(fullState));
    expect(renderFirewall(shuffled)).toBe(renderFirewall(fullState));
  });

  it('replaces the tables whole: every script starts by deleting them', () => {
    const script = renderFirewall(fullState);
    const lines = rules(script);
    expect(lines.slice(1, 5)).toEqual(['table inet weft {}', 'delete table inet weft', 'table bridge weft {}', 'delete table bridge weft']);
    expect(lines).toContain('table inet weft {');
  });

  it('puts bridges and nat veths in the network sets, bridge ports only in the bridge table', () => {
    const script = renderFirewall(fullState);
    expect(script).toContain('elements = { "br-back", "weft-1111aaaa22", "weft-7777000088", "wn01", "wn02" }');
    expect(script).toMatch(/set net_5555eeee6666 \{\n\t\ttype ifname\n\t\telements = \{ "wn01", "wn02" \}/);
    expect(script).toMatch(/set net_1111aaaa2222 \{\n\t\ttype ifname\n\t\telements = \{ "weft-1111aaaa22" \}/);
    const inet = script.slice(0, script.indexOf('table bridge weft {\n'));
    expect(inet).not.toContain('"wv01"');
  });

  it('forward: established, published (ct status dnat), icc, isolation, egress and ingress drop, in that order', () => {
    const lines = rules(renderFirewall(fullState));
    const order = [
      'iifname @net_777700008888 oifname != @net_777700008888 drop',
      'ct state established,related accept',
      'oifname @all_devices ct status dnat accept',
      'iifname @net_1111aaaa2222 oifname @net_1111aaaa2222 accept',
      'iifname @net_3333cccc4444 oifname @net_3333cccc4444 drop',
      'iifname @all_devices oifname @all_devices drop',
      'ip daddr 10.2.0.0/24 oifname != @net_5555eeee6666 drop',
      'iifname @all_devices accept',
      'oifname @all_devices drop',
    ];
    const positions = order.map((rule) => lines.indexOf(rule));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('internal networks: in/out drops, no masquerade and no hairpin', () => {
    const script = renderFirewall(fullState);
    expect(script).toContain('oifname @net_777700008888 iifname != @net_777700008888 drop');
    expect(script).not.toContain('ip saddr 10.4.0.0/24');
    // Only the internal network gets those drops.
    expect(script).not.toContain('iifname @net_1111aaaa2222 oifname != @net_1111aaaa2222 drop');
  });

  it('masquerade: egress per network unless disabled, hairpin always, localhost for published ports', () => {
    const script = renderFirewall(fullState);
    expect(script).toContain('ip saddr 10.1.0.0/24 oifname != @net_1111aaaa2222 masquerade');
    expect(script).toContain('ct status dnat ip saddr 10.1.0.0/24 oifname @net_1111aaaa2222 masquerade');
    expect(script).toContain('ip saddr 127.0.0.0/8 oifname @all_devices ct status dnat masquerade');
    const noMasq = renderFirewall({ networks: [bridgeNet(BR1, 'br1', '10.1.0.0/24', { masquerade: false })], ports: [] });
    expect(noMasq).not.toContain('oifname != @net_1111aaaa2222 masquerade');
    expect(noMasq).toContain('ct status dnat ip saddr 10.1.0.0/24 oifname @net_1111aaaa2222 masquerade');
  });

  it('DNAT in prerouting and output: every local address, a given host address, the network host_binding_ipv4', () => {
    const script = renderFirewall(fullState);
    const any = 'meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 10.1.0.2:80';
    expect(script.split(any).length - 1).toBe(2);
    expect(script).toContain('ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.2.0.2:53');
    expect(script).toContain('ip daddr 192.0.2.10 tcp dport 9090 dnat ip to 10.3.0.2:80');
    expect(script).toContain('meta nfproto ipv4 fib daddr type local sctp dport 3868 dnat ip to 10.1.0.2:3868');
    const prerouting = script.slice(script.indexOf('chain prerouting'), script.indexOf('chain output'));
    const output = script.slice(script.indexOf('chain output'), script.indexOf('chain postrouting'));
    expect(prerouting.split('\n').slice(2)).toEqual(output.split('\n').slice(2));
  });

  it('IPv6: subnets with ip6, ports DNAT to [address]:port', () => {
    const state: FirewallState = {
      networks: [bridgeNet(BR1, 'br1', '10.1.0.0/24', { subnets: ['10.1.0.0/24', 'fd00:1::/64'] })],
      ports: [port({ containerIp: 'fd00:1::2' }), port({ hostIp: 'fd00:9::1', hostPort: 8081, containerIp: 'fd00:1::2' })],
    };
    const script = renderFirewall(state);
    expect(script).toContain('meta nfproto ipv6 fib daddr type local tcp dport 8080 dnat ip6 to [fd00:1::2]:80');
    expect(script).toContain('ip6 daddr fd00:9::1 tcp dport 8081 dnat ip6 to [fd00:1::2]:80');
    expect(script).toContain('ip6 saddr fd00:1::/64 oifname != @net_1111aaaa2222 masquerade');
    expect(script).toContain('ip6 daddr fd00:1::/64 oifname != @net_1111aaaa2222 drop');
  });

  it('icc=false: a bridge-family table drops port-to-port traffic of that bridge only; absent without such networks', () => {
    const script = renderFirewall(fullState);
    const bridgeTable = script.slice(script.indexOf('table bridge weft {\n'));
    expect(bridgeTable).toContain('elements = { "wv03", "wv04" }');
    expect(bridgeTable).toContain('iifname @net_3333cccc4444 drop');
    expect(bridgeTable).not.toContain('wv01');
    const allIcc = renderFirewall({ networks: [bridgeNet(BR1, 'br1', '10.1.0.0/24', {}, ['wv01'])], ports: [] });
    expect(allIcc).not.toContain('table bridge weft {\n');
  });

  it('a network without devices yet (nat, no endpoints) renders an empty set', () => {
    const script = renderFirewall({ networks: [natNet(NAT, '10.2.0.0/24', [])], ports: [] });
    expect(script).toMatch(/set net_5555eeee6666 \{\n\t\ttype ifname\n\t\}/);
  });

  it('ports alone (no networks) still render a valid table', () => {
    expect(nftCheck(renderFirewall({ networks: [], ports: [port({})] }))).toEqual({ ok: true, stderr: '' });
  });

  it.each([
    ['a device name that would break the script', { networks: [natNet(NAT, '10.2.0.0/24', ['wn"; flush ruleset'])], ports: [] }, 'device name'],
    ['a bad subnet', { networks: [natNet(NAT, '10.2.0.0/33', [])], ports: [] }, 'subnet'],
    ['a bad container address', { networks: [], ports: [port({ containerIp: '10.1.0' })] }, 'container address'],
    ['a port out of range', { networks: [], ports: [port({ hostPort: 70000 })] }, 'port number'],
    ['mixed families', { networks: [], ports: [port({ hostIp: '::1' })] }, 'differ in family'],
  ])('refuses %s with WEFT_INVALID_ARGUMENT', (_what, state, message) => {
    expect(() => renderFirewall(state as FirewallState)).toThrow(expect.objectContaining({ code: 'WEFT_INVALID_ARGUMENT', message: expect.stringContaining(message) }));
  });
});

describe('nft -c accepts the rendered scripts', () => {
  const states: [string, FirewallState][] = [
    ['empty', EMPTY_FIREWALL_STATE],
    ['everything', fullState],
    ['one bridge, no ports', { networks: [bridgeNet(BR1, 'weft-1111aaaa22', '10.1.0.0/24')], ports: [] }],
    ['nat without endpoints', { networks: [natNet(NAT, '10.2.0.0/24', [])], ports: [] }],
    [
      'dual stack with IPv6 ports and several subnets',
      {
        networks: [bridgeNet(BR1, 'br1', '10.1.0.0/24', { subnets: ['10.1.0.0/24', '10.1.1.0/24', 'fd00:1::/64', 'fd00:2::/64'], icc: false }, ['wv1'])],
        ports: [port({ containerIp: 'fd00:1::2', proto: 'udp' }), port({ hostIp: 'fd00:9::1', containerIp: 'fd00:1::2' }), port({ hostPort: 1 })],
      },
    ],
  ];

  it.each(states)('%s', (_name, state) => {
    expect(nftCheck(renderFirewall(state))).toEqual({ ok: true, stderr: '' });
  });

  it('and rejects a broken one (the check is real)', () => {
    expect(nftCheck('table inet weft { chain c { bogus } }\n').ok).toBe(false);
  });
});

describe('firewallOp', () => {
  it('applies the next rendering and undoes to the previous one', () => {
    const op = firewallOp(EMPTY_FIREWALL_STATE, fullState);
    expect(op).toEqual({ op: 'nft.apply', script: renderFirewall(fullState), undo: renderFirewall(EMPTY_FIREWALL_STATE) });
  });

  it('on the fake kernel: apply, re-apply and teardown leave the table state as it was', async () => {
    const kernel = new FakeKernel();
    const before = kernel.snapshot();
    const first = await kernel.apply([firewallOp(EMPTY_FIREWALL_STATE, fullState)]);
    expect(((await kernel.nftList()) as { nftables: unknown[] }).nftables).toEqual(
      expect.arrayContaining([
        { table: expect.objectContaining({ family: 'inet', name: 'weft' }) },
        { table: expect.objectContaining({ family: 'bridge', name: 'weft' }) },
      ]),
    );
    const smaller: FirewallState = { networks: fullState.networks.slice(0, 1), ports: [] };
    const second = await kernel.apply([firewallOp(fullState, smaller)]);
    await kernel.teardown(second);
    await kernel.teardown(first);
    expect(kernel.snapshot()).toEqual(before);
  });
});
