/**
 * Planning a macvlan network: options first (WEFT_INVALID_OPTION), then the
 * parent (WEFT_PARENT_NOT_FOUND, or a VLAN/dummy parent to add), conflicts
 * with the driver's other networks on that parent (WEFT_PARENT_IN_USE), and
 * the optional host shim. No firewall intent: macvlan traffic goes straight
 * to the parent's wire and never crosses the host's forward path.
 *
 * The host shim is a bridge-mode macvlan of the daemon's namespace on the
 * parent. A host cannot reach its own macvlans through the parent (the
 * kernel does not switch between a parent and its macvlans), but it can
 * through another macvlan of the same parent: each endpoint adds a host
 * route to its address via the shim. The shim's own address, when a subnet
 * has an --aux-address named host_shim, is added as a /32 (/128), so that
 * no subnet route of the host moves to it.
 */
import type { KernelOp } from '../../kernel/ops.js';
import type { HostFacts, NetworkPlan, NetworkRequirements, NetworkSpec } from '../driver.js';
import { hostCidr } from '../common/addresses.js';
import { macFromId, macFromIpv4 } from '../common/mac.js';
import { endpointDeviceName, NAME_PREFIX, WEFT_LINK_GROUP } from '../common/names.js';
import { checkSubnets } from '../common/network.js';
import { checkParentConflicts } from './conflicts.js';
import type { MacvlanNetworkData } from './data.js';
import { HOST_SHIM_AUX, parseMacvlanOptions } from './options.js';
import { parentLinks, planParent } from './parent.js';

export function macvlanRequirements(spec: NetworkSpec): NetworkRequirements {
  return { links: parentLinks(parseMacvlanOptions(spec.options).parent) };
}

/**
 * Without HostFacts (a caller that did not ask `requirements`) the parent
 * is taken to exist as given and no other network to share it.
 */
export function planMacvlanNetwork(spec: NetworkSpec, host?: HostFacts): NetworkPlan {
  checkSubnets('macvlan', spec);
  const options = parseMacvlanOptions(spec.options);
  const facts = host ?? { presentLinks: parentLinks(options.parent), networks: [] };
  const parent = planParent(spec, options.parent, facts);
  checkParentConflicts(spec, parent.name, options.mode, facts.networks);
  const shim = options.hostShim ? endpointDeviceName(NAME_PREFIX.macvlanShim, spec.id) : undefined;
  const data: MacvlanNetworkData = {
    parent: parent.name,
    parentOrigin: parent.origin,
    mode: options.mode,
    // Docker: a network without a parent is internal whatever the flag says.
    internal: spec.internal || options.parent === undefined,
    ...(options.mtu !== undefined && { mtu: options.mtu }),
    ...(shim !== undefined && { shim }),
  };
  const ops = [...parent.ops, ...(shim === undefined ? [] : shimOps(spec, shim, parent.name))];
  return { ops, data, ...(parent.requires.length > 0 && { requires: parent.requires }) };
}

function shimOps(spec: NetworkSpec, shim: string, parent: string): KernelOp[] {
  const v4 = spec.v4.map((s) => s.auxAddresses[HOST_SHIM_AUX]).find((a) => a !== undefined);
  const v6 = spec.ipv6 ? spec.v6.map((s) => s.auxAddresses[HOST_SHIM_AUX]).find((a) => a !== undefined) : undefined;
  const mac = v4 === undefined ? macFromId(`${spec.id}/host-shim`) : macFromIpv4(v4);
  return [
    { op: 'link.add', link: { name: shim, kind: 'macvlan', mac, up: true, group: WEFT_LINK_GROUP, macvlan: { parent, mode: 'bridge' } } },
    ...[v4, v6].filter((a): a is string => a !== undefined).map((a): KernelOp => ({ op: 'addr.add', dev: shim, cidr: hostCidr(a) })),
  ];
}
