/**
 * The parent of a macvlan network, from the option and what the host has:
 *
 *   -o parent=eth0       must exist (WEFT_PARENT_NOT_FOUND)
 *   -o parent=eth0.10    eth0 must exist; eth0.10 is used if there, made if
 *                        missing (needs 802.1q). Once a weft network made it,
 *                        every weft network on it adds it in its plan too, so
 *                        it stays until the last of them goes (the controller
 *                        leaves a link another network's plan also adds).
 *   no parent            an internal network on a dummy parent (needs dummy),
 *                        as Docker does
 */
import type { KernelOp } from '../../kernel/ops.js';
import type { HostFacts, NetworkPlan, NetworkSpec } from '../driver.js';
import { endpointDeviceName, NAME_PREFIX, WEFT_LINK_GROUP } from '../common/names.js';
import { peerNetworkData, type ParentOrigin } from './data.js';
import { parentNotFound } from './errors.js';
import type { ParentSpec } from './options.js';

export interface ParentPlan {
  name: string;
  origin: ParentOrigin;
  ops: KernelOp[];
  requires: NonNullable<NetworkPlan['requires']>;
}

/** The links whose presence decides the parent plan: what `requirements` asks the controller about. */
export function parentLinks(parent: ParentSpec | undefined): string[] {
  if (parent === undefined) return [];
  return parent.vlan === undefined ? [parent.name] : [parent.vlan.base, parent.name];
}

export function planParent(spec: NetworkSpec, parent: ParentSpec | undefined, host: HostFacts): ParentPlan {
  if (parent === undefined) return dummyParent(spec);
  const present = new Set(host.presentLinks);
  if (parent.vlan === undefined) {
    if (!present.has(parent.name)) throw parentNotFound(parent.name);
    return { name: parent.name, origin: 'existing', ops: [], requires: [] };
  }
  const { base, id } = parent.vlan;
  if (!present.has(base)) throw parentNotFound(base, ` (the interface under the 802.1q sub-interface ${parent.name})`);
  const madeByWeft = host.networks.some((n) => {
    const data = peerNetworkData(n);
    return data?.parent === parent.name && data.parentOrigin === 'vlan';
  });
  if (present.has(parent.name) && !madeByWeft) return { name: parent.name, origin: 'existing', ops: [], requires: [] };
  return {
    name: parent.name,
    origin: 'vlan',
    ops: [{ op: 'link.add', link: { name: parent.name, kind: 'vlan', up: true, group: WEFT_LINK_GROUP, vlan: { parent: base, id } } }],
    requires: [{ feature: 'vlan', purpose: `macvlan parent ${parent.name} (an 802.1q VLAN sub-interface of ${base})` }],
  };
}

function dummyParent(spec: NetworkSpec): ParentPlan {
  const name = endpointDeviceName(NAME_PREFIX.macvlanDummy, spec.id);
  return {
    name,
    origin: 'dummy',
    ops: [{ op: 'link.add', link: { name, kind: 'dummy', up: true, group: WEFT_LINK_GROUP } }],
    requires: [{ feature: 'dummy', purpose: `macvlan network ${spec.name} without a parent (an internal network on a dummy parent)` }],
  };
}
