/**
 * The NAT chains of `inet weft`: DNAT of published ports (for traffic
 * arriving from elsewhere in prerouting, for the host's own in output) and
 * masquerading in postrouting.
 */
import type { FirewallModel, PortModel } from './model.js';
import { chain, ipKeyword, oneOrSet } from './syntax.js';

export function natChains(model: FirewallModel, indent: string): string[] {
  const dnat = model.ports.map(dnatRule);
  return [
    ...chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', dnat, indent),
    // dstnat names prerouting's priority only; -100 is the same for output.
    ...chain('output', 'type nat hook output priority -100; policy accept;', dnat, indent),
    ...chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', postroutingRules(model), indent),
  ];
}

/** '' binds every local address of the family (127.0.0.1 included, see the localhost masquerade). */
function dnatRule(port: PortModel): string {
  const ip = ipKeyword(port.family);
  const match = port.hostIp === '' ? `meta nfproto ipv${port.family} fib daddr type local` : `${ip} daddr ${port.hostIp}`;
  const target = port.family === 4 ? `${port.containerIp}:${port.containerPort}` : `[${port.containerIp}]:${port.containerPort}`;
  return `${match} ${port.proto} dport ${port.hostPort} dnat ${ip} to ${target}`;
}

function postroutingRules(model: FirewallModel): string[] {
  const rules: string[] = [];
  if (model.devices.length > 0) {
    // The host's own 127.0.0.1 → DNAT → leaves through a weft device (route_localnet): the sandbox must answer a real address.
    rules.push('# published ports reached through 127.0.0.0/8 on the host', 'ip saddr 127.0.0.0/8 oifname @all_devices ct status dnat masquerade');
  }
  for (const n of model.networks) {
    if (n.internal) continue;
    for (const family of [4, 6] as const) {
      const subnets = family === 4 ? n.v4 : n.v6;
      if (subnets.length === 0) continue;
      const saddr = `${ipKeyword(family)} saddr ${oneOrSet(subnets)}`;
      // Hairpin: a sandbox reaching its own network's published port must get the reply back through the host.
      rules.push(`ct status dnat ${saddr} oifname @${n.set} masquerade`);
      if (n.masquerade) rules.push(`${saddr} oifname != @${n.set} masquerade`);
    }
  }
  return rules;
}
