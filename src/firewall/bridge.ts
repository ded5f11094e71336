/**
 * `bridge weft`: enable_icc=false on a bridge network. Traffic between two
 * ports of one Linux bridge is switched at L2 and crosses the inet forward
 * hook only when br_netfilter passes it there, so it is (also) dropped in
 * the bridge family's forward hook. Matching is by the bridge's ports (the
 * endpoints' host-side veths): `meta ibrname` would need nft_meta_bridge,
 * which kernels without CONFIG_NFT_BRIDGE_META (this machine's) lack.
 * Traffic to the bridge itself (the gateway, published ports through the
 * host) is input, not forward, and passes.
 */
import type { FirewallModel } from './model.js';
import { chain, ifnameSet, TABLE } from './syntax.js';

/** The table's lines, or none when no bridge network has icc=false. */
export function bridgeTable(model: FirewallModel): string[] {
  const isolated = model.networks.filter((n) => !n.icc && n.bridge !== undefined);
  if (isolated.length === 0) return [];
  // A frame from a port of such a bridge that is forwarded goes to another port of that same bridge.
  const rules = isolated.map((n) => `iifname @${n.set} drop`);
  return [
    `table bridge ${TABLE} {`,
    ...isolated.flatMap((n) => [`\t# network ${n.id}, bridge ${n.bridge}`, ...ifnameSet(n.set, n.ports, '\t')]),
    ...chain('forward', 'type filter hook forward priority filter; policy accept;', rules, '\t'),
    '}',
  ];
}
