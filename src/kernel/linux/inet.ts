/**
 * Addresses in the byte forms netlink wants, and back: IPv4/IPv6 addresses,
 * CIDRs and MAC addresses.
 */
import { isIP, isIPv4 } from 'node:net';
import { invalidOp } from './errno.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_BRIDGE = 7;

const invalid = (what: string, value: string) => invalidOp(`not ${what}: ${JSON.stringify(value)}`, { value });

export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

export function familyOf(ip: string): 4 | 6 {
  const v = isIP(ip);
  if (v === 0) throw invalid('an IP address', ip);
  return v as 4 | 6;
}

export const afOf = (family: 4 | 6): number => (family === 4 ? AF_INET : AF_INET6);

export function parseCidr(cidr: string): Cidr {
  const [address = '', prefixText, extra] = cidr.split('/');
  const family = familyOf(address);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '') {
    throw invalid('a CIDR', cidr);
  }
  return { address, prefix, family };
}

/** Network-order bytes of an IPv4 or IPv6 address. */
export function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  familyOf(ip);
  return ipv6Bytes(ip);
}

function ipv6Bytes(ip: string): Buffer {
  let text = ip.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const [a, b, c, d] = v4[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Text form of an address from netlink bytes (4 or 16 of them), as `ip` prints it. */
export function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  return compressV6(groups);
}

/** RFC 5952: the longest run (length ≥ 2) of zero groups becomes "::". */
function compressV6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of an address (so "fd00:0::1" and "fd00::1" compare equal). */
export const canonicalIp = (ip: string): string => ipText(ipBytes(ip));

export function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw invalid('a MAC address', mac);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function macText(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export const canonicalMac = (mac: string): string => macText(macBytes(mac));
