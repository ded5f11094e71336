/**
 * Planning a bridge network: options are validated first (WEFT_INVALID_OPTION
 * before anything is planned), then one Linux bridge with the gateway
 * address(es) and the per-bridge sysctls, plus the firewall intent.
 */
import type { NetworkFirewall, NetworkPlan, NetworkSpec } from '../driver.js';
import type { KernelOp } from '../../kernel/ops.js';
import { gatewaysOf, ipOf } from '../common/addresses.js';
import type { LocalNetworkData } from '../common/data.js';
import { macFromId, macFromIpv4 } from '../common/mac.js';
import { checkDeviceName, defaultBridgeName, WEFT_LINK_GROUP } from '../common/names.js';
import { checkSubnets } from '../common/network.js';
import { commonNetworkOptions, OPTION } from '../common/options.js';

export function bridgeNetworkData(spec: NetworkSpec): LocalNetworkData {
  checkSubnets('bridge', spec);
  const common = commonNetworkOptions(spec.options);
  const named = spec.options[OPTION.bridgeName];
  const bridge = named === undefined || named === '' ? defaultBridgeName(spec.id) : checkDeviceName(OPTION.bridgeName, named);
  // Docker: an internal network never masquerades, whatever the option says.
  return { bridge, ...common, masquerade: common.masquerade && !spec.internal, internal: spec.internal };
}

export function planBridgeNetwork(spec: NetworkSpec): NetworkPlan {
  const data = bridgeNetworkData(spec);
  const bridge = data.bridge!;
  return { ops: bridgeOps(spec, bridge, data.mtu), data, firewall: bridgeFirewall(spec, data, bridge) };
}

function bridgeOps(spec: NetworkSpec, bridge: string, mtu: number): KernelOp[] {
  const v4Gateway = gatewaysOf(spec.v4)[0];
  // A fixed MAC: otherwise the bridge takes its lowest port's, and every sandbox's ARP entry for the gateway goes stale when that port leaves.
  const mac = v4Gateway === undefined ? macFromId(spec.id) : macFromIpv4(ipOf(v4Gateway));
  const ipv6 = spec.ipv6 && spec.v6.length > 0;
  return [
    { op: 'link.add', link: { name: bridge, kind: 'bridge', mtu, mac, up: true, group: WEFT_LINK_GROUP } },
    // As Docker does: no IPv6 (not even link-local) on the bridge of an IPv4-only network; on for IPv6 ones whatever conf.default says.
    { op: 'sysctl.set', key: `net.ipv6.conf.${bridge}.disable_ipv6`, value: ipv6 ? '0' : '1' },
    // Published ports reached through 127.0.0.1 on the host leave through the bridge with a loopback source (DNAT in output, then masquerade).
    { op: 'sysctl.set', key: `net.ipv4.conf.${bridge}.route_localnet`, value: '1' },
    ...gatewaysOf(spec.v4).map((cidr): KernelOp => ({ op: 'addr.add', dev: bridge, cidr })),
    ...(ipv6 ? gatewaysOf(spec.v6).map((cidr): KernelOp => ({ op: 'addr.add', dev: bridge, cidr })) : []),
  ];
}

function bridgeFirewall(spec: NetworkSpec, data: LocalNetworkData, bridge: string): NetworkFirewall {
  return {
    devices: [bridge],
    subnets: [...spec.v4, ...(spec.ipv6 ? spec.v6 : [])].map((s) => s.subnet),
    masquerade: data.masquerade,
    icc: data.icc,
    internal: data.internal,
    bridge,
    ...(data.hostBindingIpv4 !== undefined && { hostBindingIpv4: data.hostBindingIpv4 }),
  };
}
