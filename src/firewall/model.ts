/**
 * FirewallState checked and put in a canonical order, so that rendering is
 * deterministic (same state, same text) and cannot emit a string that
 * breaks the script (every name and address is validated here).
 */
import { isIP, isIPv4 } from 'node:net';
import { ErrorCodes, WeftError } from '../errors/index.js';
import type { FirewallState, PublishedPort } from './state.js';

export interface NetworkModel {
  id: string;
  /** Name of the nft set holding the network's devices. */
  set: string;
  /** Where the network's traffic enters and leaves the host's IP stack: its bridge, or its nat veths. */
  devices: string[];
  /** Ports of the network's bridge (its endpoints' veths), for enable_icc=false at L2. */
  ports: string[];
  v4: string[];
  v6: string[];
  icc: boolean;
  internal: boolean;
  masquerade: boolean;
  bridge?: string;
}

export interface PortModel {
  family: 4 | 6;
  proto: PublishedPort['proto'];
  /** '' for every local address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export interface FirewallModel {
  networks: NetworkModel[];
  /** Every device of every network, sorted. */
  devices: string[];
  ports: PortModel[];
}

const DEVICE = /^[A-Za-z0-9_.@:+-]{1,15}$/;
const PROTOS = new Set(['tcp', 'udp', 'sctp']);

function invalid(message: string, details: Record<string, unknown>): WeftError {
  return new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', `firewall: ${message}`, { details });
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedUnique = (items: Iterable<string>) => [...new Set(items)].sort(compare);

export function buildModel(state: FirewallState): FirewallModel {
  const networks = [...state.networks].sort((a, b) => compare(a.id, b.id)).map(networkModel);
  nameSets(networks);
  const hostBinding = new Map(state.networks.map((n) => [n.id, n.fw.hostBindingIpv4]));
  const ports = state.ports.map((p) => portModel(p, hostBinding.get(p.networkId))).sort(comparePorts);
  return { networks, devices: sortedUnique(networks.flatMap((n) => n.devices)), ports };
}

function networkModel(network: FirewallState['networks'][number]): NetworkModel {
  const { fw } = network;
  // On a bridge network the endpoints' devices are bridge ports, which the inet hooks never see as in/out device.
  const ports = fw.bridge === undefined ? [] : sortedUnique(network.endpointDevices);
  const devices = sortedUnique([...fw.devices, ...(fw.bridge === undefined ? network.endpointDevices : [])]);
  for (const dev of [...devices, ...ports, ...(fw.bridge === undefined ? [] : [fw.bridge])]) {
    if (!DEVICE.test(dev)) throw invalid(`invalid device name ${JSON.stringify(dev)} in network ${network.id}`, { network: network.id, dev });
  }
  for (const subnet of fw.subnets) checkCidr(subnet, network.id);
  return {
    id: network.id,
    set: '',
    devices,
    ports,
    v4: sortedUnique(fw.subnets.filter((s) => !s.includes(':'))),
    v6: sortedUnique(fw.subnets.filter((s) => s.includes(':'))),
    icc: fw.icc,
    internal: fw.internal,
    masquerade: fw.masquerade && !fw.internal,
    ...(fw.bridge !== undefined && { bridge: fw.bridge }),
  };
}

/** net_<first 12 id characters>, made unique; sets are local to the table, so only stability matters. */
function nameSets(networks: NetworkModel[]): void {
  const used = new Set<string>();
  for (const network of networks) {
    const base = `net_${network.id.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12) || 'x'}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    network.set = name;
  }
}

function checkCidr(cidr: string, networkId: string): void {
  const [ip, prefix, extra] = cidr.split('/');
  const family = isIP(ip ?? '');
  const bits = Number(prefix);
  const ok = family !== 0 && extra === undefined && /^\d{1,3}$/.test(prefix ?? '') && bits <= (family === 4 ? 32 : 128);
  if (!ok) throw invalid(`invalid subnet ${JSON.stringify(cidr)} in network ${networkId}`, { network: networkId, subnet: cidr });
}

function portModel(port: PublishedPort, hostBindingIpv4: string | undefined): PortModel {
  const details = { port };
  const family = isIP(port.containerIp);
  if (family === 0) throw invalid(`invalid container address ${JSON.stringify(port.containerIp)} of a published port`, details);
  if (!PROTOS.has(port.proto)) throw invalid(`invalid protocol ${JSON.stringify(port.proto)} of a published port`, details);
  for (const n of [port.hostPort, port.containerPort]) {
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw invalid(`invalid port number ${n} of a published port`, details);
  }
  let hostIp = port.hostIp === '0.0.0.0' || port.hostIp === '::' ? '' : port.hostIp;
  if (hostIp === '' && family === 4 && hostBindingIpv4 !== undefined && isIPv4(hostBindingIpv4)) hostIp = hostBindingIpv4;
  if (hostIp !== '' && isIP(hostIp) !== family) {
    throw invalid(`host address ${JSON.stringify(port.hostIp)} and container address ${port.containerIp} of a published port differ in family`, details);
  }
  return { family: family as 4 | 6, proto: port.proto, hostIp, hostPort: port.hostPort, containerIp: port.containerIp, containerPort: port.containerPort };
}

function comparePorts(a: PortModel, b: PortModel): number {
  return (
    a.family - b.family ||
    compare(a.proto, b.proto) ||
    a.hostPort - b.hostPort ||
    compare(a.hostIp, b.hostIp) ||
    compare(a.containerIp, b.containerIp) ||
    a.containerPort - b.containerPort
  );
}
