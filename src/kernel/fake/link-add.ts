/**
 * link.add: validate everything the kernel would refuse before creating
 * anything, so a failed add leaves no half-made pair behind; then create.
 * "Exists" is success only when the existing link is the one asked for.
 */
import type { KernelFeatures } from '../kernel.js';
import type { LinkSpec } from '../ops.js';
import { errno } from './errno.js';
import { unsupported } from './features.js';
import { isMulticastMac, normaliseMac } from './ip.js';
import { checkMaster, macvlanParentKey, macvlansOn } from './link-rules.js';
import { insertLink, nsLabel, requireLink, type FakeNamespace, type FakeVxlan, type FakeWorld, type NsKey } from './model.js';

const VXLAN_PORT = 4789;
/** VXLAN header overhead the kernel subtracts from the underlay MTU. */
const VXLAN_OVERHEAD = 50;

interface PeerPlan {
  ns: FakeNamespace;
  name: string;
  mtu: number;
  mac?: string;
}

interface LinkPlan {
  mtu: number;
  mac?: string;
  vxlan?: FakeVxlan;
  peer?: PeerPlan;
}

/** Create the link; false when an identical one is already there. */
export function addLink(world: FakeWorld, features: KernelFeatures, netns: NsKey, spec: LinkSpec): boolean {
  const ns = world.get(netns);
  if (!features[spec.kind]) throw unsupported(spec.kind, `link ${spec.name} (kind ${spec.kind})`, { kind: spec.kind });
  checkIfname(spec.name);
  const existing = ns.links.get(spec.name);
  if (existing) {
    const differences = differencesFrom(world, netns, spec);
    if (differences.length === 0) return false;
    throw errno('EEXIST', `link ${spec.name} already exists in netns ${nsLabel(netns)} (differs in ${differences.join(', ')})`);
  }
  const plan = planLink(world, ns, spec);
  if (spec.master !== undefined) checkMaster(ns, spec.name, spec.master);
  // The kernel registers the veth peer first, so in one namespace it gets the lower ifindex.
  const peer = plan.peer && insertLink(plan.peer.ns, {
    name: plan.peer.name,
    kind: 'veth',
    mtu: plan.peer.mtu,
    mac: plan.peer.mac ?? world.nextMac(),
    up: false,
    group: 0,
  });
  const link = insertLink(ns, {
    name: spec.name,
    kind: spec.kind,
    mtu: plan.mtu,
    mac: plan.mac ?? world.nextMac(),
    up: spec.up ?? false,
    group: spec.group ?? 0,
    ...(spec.master !== undefined && { master: spec.master }),
    ...(plan.vxlan && { vxlan: plan.vxlan }),
    ...(spec.macvlan && { macvlan: { ...spec.macvlan } }),
    ...(spec.vlan && { vlan: { ...spec.vlan } }),
  });
  if (peer) {
    peer.peer = { netns, name: link.name };
    link.peer = { netns: plan.peer!.ns.name, name: peer.name };
  }
  return true;
}

/** dev_valid_name(): 1–15 bytes, not '.' or '..', no '/', ':' or whitespace. */
export function checkIfname(name: string): void {
  const valid = name.length > 0 && Buffer.byteLength(name) <= 15 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
  if (!valid) throw errno('EINVAL', `invalid interface name '${name}'`);
}

export function checkMtu(mtu: number, what: string, max = 65535): void {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > max) throw errno('EINVAL', `mtu ${mtu} out of range for ${what} (68–${max})`);
}

export function checkMac(mac: string, what: string): string {
  const normalised = normaliseMac(mac);
  if (!normalised) throw errno('EINVAL', `invalid MAC address ${mac} for ${what}`);
  if (isMulticastMac(normalised)) throw errno('EADDRNOTAVAIL', `MAC address ${mac} for ${what} is a multicast address`);
  return normalised;
}

function planLink(world: FakeWorld, ns: FakeNamespace, spec: LinkSpec): LinkPlan {
  const mac = spec.mac === undefined ? undefined : checkMac(spec.mac, `link ${spec.name}`);
  const base = kindPlan(world, ns, spec);
  const mtu = spec.mtu ?? base.defaultMtu;
  checkMtu(mtu, `link ${spec.name}`, base.maxMtu);
  return { mtu, ...(mac && { mac }), ...(base.vxlan && { vxlan: base.vxlan }), ...(base.peer && { peer: base.peer }) };
}

interface KindPlan {
  defaultMtu: number;
  maxMtu?: number;
  vxlan?: FakeVxlan;
  peer?: PeerPlan;
}

function kindPlan(world: FakeWorld, ns: FakeNamespace, spec: LinkSpec): KindPlan {
  switch (spec.kind) {
    case 'veth':
      return { defaultMtu: 1500, peer: planPeer(world, ns, spec) };
    case 'vxlan':
      return planVxlan(ns, spec);
    case 'macvlan':
      return planMacvlan(world, ns, spec);
    case 'vlan': {
      if (!spec.vlan) throw errno('EINVAL', `vlan ${spec.name} needs a parent and an id`);
      const parent = requireLink(ns, spec.vlan.parent);
      if (!Number.isInteger(spec.vlan.id) || spec.vlan.id < 1 || spec.vlan.id > 4094) {
        throw errno('ERANGE', `vlan id ${spec.vlan.id} out of range`);
      }
      const clash = [...ns.links.values()].find((l) => l.vlan?.parent === parent.name && l.vlan.id === spec.vlan!.id);
      if (clash) throw errno('EEXIST', `vlan ${spec.vlan.id} on ${parent.name} already exists (${clash.name})`);
      return { defaultMtu: parent.mtu, maxMtu: parent.mtu };
    }
    case 'bridge':
    case 'dummy':
      return { defaultMtu: 1500 };
  }
}

/** The parent may be in another namespace (parentNs); passthru takes a parent to itself, as the kernel's macvlan port does. */
function planMacvlan(world: FakeWorld, ns: FakeNamespace, spec: LinkSpec): KindPlan {
  if (!spec.macvlan) throw errno('EINVAL', `macvlan ${spec.name} needs a parent`);
  const parentKey = macvlanParentKey(ns.name, spec.macvlan.parentNs);
  if (ns.name === undefined && parentKey !== undefined) {
    throw errno('EINVAL', `macvlan ${spec.name}: a link in the daemon's namespace takes its parent from there`);
  }
  const parentNs = world.get(parentKey);
  const parent = requireLink(parentNs, spec.macvlan.parent);
  if (parent.loopback) throw errno('EINVAL', `macvlan ${spec.name} cannot sit on a loopback device`);
  const siblings = macvlansOn(world, parentNs, parent.name);
  if (siblings.some((s) => s.link.macvlan?.mode === 'passthru') || (spec.macvlan.mode === 'passthru' && siblings.length > 0)) {
    throw errno('EINVAL', `macvlan ${spec.name}: a passthru macvlan must be the only one on ${parent.name}`);
  }
  return { defaultMtu: parent.mtu, maxMtu: parent.mtu };
}

function planPeer(world: FakeWorld, ns: FakeNamespace, spec: LinkSpec): PeerPlan {
  if (!spec.veth) throw errno('EINVAL', `veth ${spec.name} needs a peer`);
  const peerNs = spec.veth.ns === undefined ? ns : world.get(spec.veth.ns);
  checkIfname(spec.veth.name);
  if (peerNs.links.has(spec.veth.name) || (peerNs === ns && spec.veth.name === spec.name)) {
    throw errno('EEXIST', `veth peer ${spec.veth.name} already exists in netns ${nsLabel(peerNs.name)}`);
  }
  const mtu = spec.veth.mtu ?? spec.mtu ?? 1500;
  checkMtu(mtu, `veth peer ${spec.veth.name}`);
  const mac = spec.veth.mac === undefined ? undefined : checkMac(spec.veth.mac, `veth peer ${spec.veth.name}`);
  return { ns: peerNs, name: spec.veth.name, mtu, ...(mac && { mac }) };
}

function planVxlan(ns: FakeNamespace, spec: LinkSpec): KindPlan {
  const options = spec.vxlan;
  if (!options) throw errno('EINVAL', `vxlan ${spec.name} needs a VNI`);
  if (!Number.isInteger(options.vni) || options.vni < 0 || options.vni >= 1 << 24) {
    throw errno('ERANGE', `VXLAN ID ${options.vni} must be lower than 16777216`);
  }
  const underlay = options.dev === undefined ? undefined : requireLink(ns, options.dev);
  const vxlan: FakeVxlan = {
    vni: options.vni,
    port: options.port ?? VXLAN_PORT,
    learning: options.learning ?? false,
    ...(options.local !== undefined && { local: options.local }),
    ...(options.dev !== undefined && { dev: options.dev }),
  };
  const clash = [...ns.links.values()].find(
    (l) => l.vxlan && l.vxlan.vni === vxlan.vni && l.vxlan.port === vxlan.port && l.vxlan.dev === vxlan.dev,
  );
  if (clash) throw errno('EEXIST', `a VXLAN device with VNI ${vxlan.vni} already exists (${clash.name})`);
  return { defaultMtu: underlay ? underlay.mtu - VXLAN_OVERHEAD : 1500, vxlan };
}

/** What about an existing link differs from `spec`; only what the spec states is compared. */
function differencesFrom(world: FakeWorld, netns: NsKey, spec: LinkSpec): string[] {
  const link = world.get(netns).links.get(spec.name)!;
  const differs: string[] = [];
  const check = (what: string, wanted: unknown, actual: unknown) => {
    if (wanted !== undefined && wanted !== actual) differs.push(`${what} (${String(actual)}, not ${String(wanted)})`);
  };
  check('kind', spec.kind, link.kind);
  check('mtu', spec.mtu, link.mtu);
  check('mac', spec.mac?.toLowerCase(), link.mac);
  check('master', spec.master, link.master);
  check('group', spec.group, link.group);
  if (spec.up !== undefined) check('state', spec.up ? 'up' : 'down', link.up ? 'up' : 'down');
  if (spec.veth) {
    check('veth peer', spec.veth.name, link.peer?.name);
    check('veth peer netns', nsLabel(spec.veth.ns ?? netns), link.peer && nsLabel(link.peer.netns));
  }
  if (spec.vxlan) {
    check('vni', spec.vxlan.vni, link.vxlan?.vni);
    check('vxlan port', spec.vxlan.port ?? VXLAN_PORT, link.vxlan?.port);
    check('vxlan local', spec.vxlan.local, link.vxlan?.local);
    check('vxlan dev', spec.vxlan.dev, link.vxlan?.dev);
  }
  if (spec.macvlan) {
    check('macvlan parent', spec.macvlan.parent, link.macvlan?.parent);
    check('macvlan mode', spec.macvlan.mode, link.macvlan?.mode);
    check('macvlan parent netns', spec.macvlan.parentNs, link.macvlan?.parentNs);
  }
  if (spec.vlan) {
    check('vlan parent', spec.vlan.parent, link.vlan?.parent);
    check('vlan id', spec.vlan.id, link.vlan?.id);
  }
  return differs;
}
