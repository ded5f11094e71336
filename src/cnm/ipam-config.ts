/**
 * Docker's --subnet/--gateway/--ip-range/--aux-address flags pair up by
 * containment: each gateway, range and aux address belongs to the subnet that
 * contains it. This turns the flat flags into one request per subnet.
 */
import { WeftError } from '../errors/index.js';
import { cidrContains, cidrContainsIp, formatCidr, parseCidr, parseIp, type Cidr } from '../ipam/cidr.js';
import type { NetworkCreateRequest } from './api-types.js';

export interface SubnetRequest {
  /** Absent: auto-chosen by IPAM. */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses: Record<string, string>;
  v6: boolean;
}

export function subnetRequests(req: NetworkCreateRequest, usesIpam: boolean): SubnetRequest[] {
  const subnets = (req.subnets ?? []).map((s) => ({ text: s, cidr: parseCidr(s) }));
  const explicit: (SubnetRequest & { cidr: Cidr })[] = subnets.map(({ cidr }) => ({
    subnet: formatCidr(cidr),
    cidr,
    auxAddresses: {},
    v6: cidr.family === 6,
  }));
  checkNoOverlapBetween(explicit);
  const bad = (what: string, value: string) =>
    new WeftError('WEFT_INVALID_ARGUMENT', 'BadRequest', `no matching subnet for ${what} ${value}`);
  for (const gw of req.gateways ?? []) {
    const ip = parseIp(gw);
    const target = explicit.find((s) => cidrContainsIp(s.cidr, ip));
    if (!target) throw bad('gateway', gw);
    if (target.gateway) throw new WeftError('WEFT_INVALID_ARGUMENT', 'BadRequest', `cannot have multiple gateways for subnet ${target.subnet}`);
    target.gateway = gw;
  }
  for (const range of req.ipRanges ?? []) {
    const cidr = parseCidr(range);
    const target = explicit.find((s) => cidrContains(s.cidr, cidr));
    if (!target) throw bad('range', range);
    if (target.ipRange) throw new WeftError('WEFT_INVALID_ARGUMENT', 'BadRequest', `cannot have multiple ranges for subnet ${target.subnet}`);
    target.ipRange = formatCidr(cidr);
  }
  for (const [name, address] of Object.entries(req.auxAddresses ?? {})) {
    const ip = parseIp(address);
    const target = explicit.find((s) => cidrContainsIp(s.cidr, ip));
    if (!target) throw bad('aux-address', address);
    target.auxAddresses[name] = address;
  }
  if (!usesIpam) {
    if (explicit.length > 0) throw new WeftError('WEFT_INVALID_ARGUMENT', 'BadRequest', `driver ${req.driver} does not take subnets`);
    return [];
  }
  const out: SubnetRequest[] = explicit.map(({ cidr: _cidr, ...rest }) => rest);
  if (!out.some((s) => !s.v6)) out.unshift({ auxAddresses: {}, v6: false });
  if (req.ipv6 && !out.some((s) => s.v6)) out.push({ auxAddresses: {}, v6: true });
  if (!req.ipv6 && out.some((s) => s.v6)) {
    throw new WeftError('WEFT_INVALID_ARGUMENT', 'BadRequest', 'an IPv6 subnet needs --ipv6');
  }
  return out;
}

function checkNoOverlapBetween(subnets: { subnet?: string; cidr: Cidr }[]): void {
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      const a = subnets[i]!;
      const b = subnets[j]!;
      if (cidrContains(a.cidr, b.cidr) || cidrContains(b.cidr, a.cidr)) {
        throw new WeftError('WEFT_POOL_OVERLAP', 'Conflict', `subnets ${a.subnet} and ${b.subnet} overlap`);
      }
    }
  }
}
