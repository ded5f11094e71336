/**
 * The forward chain of `inet weft`: isolation and reachability of weft
 * networks for routed traffic (and for bridged traffic when br_netfilter
 * passes it through the inet hooks, in which case in and out device are
 * both the bridge). Order matters; each block says why it is where it is.
 * The policy is accept: weft only decides about traffic touching its own
 * devices and leaves the rest of the host's traffic to the host's firewall.
 */
import type { FirewallModel } from './model.js';
import { chain, ipKeyword, oneOrSet } from './syntax.js';

export function forwardChain(model: FirewallModel, indent: string): string[] {
  const rules = [
    ...internalRules(model),
    '# replies and related ICMP of connections allowed below',
    'ct state established,related accept',
    '# published ports: DNAT\'d by prerouting/output, open whatever the source (hairpin and icc=false included)',
    'oifname @all_devices ct status dnat accept',
    ...withinNetworkRules(model),
    '# isolation: no traffic between different weft networks',
    'iifname @all_devices oifname @all_devices drop',
    ...subnetRules(model),
    '# egress of non-internal networks',
    'iifname @all_devices accept',
    '# nothing else reaches a weft network from outside',
    'oifname @all_devices drop',
  ];
  return chain('forward', 'type filter hook forward priority filter; policy accept;', rules, indent);
}

/** First, so that neither established state nor a DNAT opens an internal network. */
function internalRules(model: FirewallModel): string[] {
  const internal = model.networks.filter((n) => n.internal);
  if (internal.length === 0) return [];
  return [
    '# internal networks: nothing in or out, only traffic within the network',
    ...internal.flatMap((n) => [`iifname @${n.set} oifname != @${n.set} drop`, `oifname @${n.set} iifname != @${n.set} drop`]),
  ];
}

/** Endpoints of one network: allowed (icc) or not; routed for nat, bridged-through-inet for bridge. */
function withinNetworkRules(model: FirewallModel): string[] {
  if (model.networks.length === 0) return [];
  return [
    '# within a network: enable_icc',
    ...model.networks.map((n) => `iifname @${n.set} oifname @${n.set} ${n.icc ? 'accept' : 'drop'}`),
  ];
}

/**
 * A network's subnet is reached only through its own devices. Matters for
 * nat networks, which have host routes only for their endpoints: traffic to
 * an unassigned address would otherwise follow the host's default route.
 */
function subnetRules(model: FirewallModel): string[] {
  const rules = model.networks.flatMap((n) =>
    ([4, 6] as const)
      .map((family) => ({ family, subnets: family === 4 ? n.v4 : n.v6 }))
      .filter(({ subnets }) => subnets.length > 0)
      .map(({ family, subnets }) => `${ipKeyword(family)} daddr ${oneOrSet(subnets)} oifname != @${n.set} drop`),
  );
  return rules.length === 0 ? [] : ['# a network\'s subnet lies behind its own devices only', ...rules];
}
