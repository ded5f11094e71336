/**
 * Just enough IP and MAC arithmetic for the fake kernel to decide what the
 * real one decides: which connected route covers a gateway, whether a route
 * destination has host bits set, how the kernel prints an address back.
 * Addresses are held as bigints so IPv4 and IPv6 share one code path.
 */
import { isIP } from 'node:net';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** The address as written (host bits kept), as a number. */
  address: bigint;
  prefix: number;
}

export function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** Parse a plain IPv4 or IPv6 address; undefined when it is not one. */
export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) return { family, value: parseV4(text) };
  if (family === 6 && !text.includes('%')) return { family, value: parseV6(text) };
  return undefined;
}

/** Parse 'a.b.c.d/len' or 'x::y/len'; a bare address gets the full prefix length, as the kernel does. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const bits = bitsOf(ip.family);
  if (slash < 0) return { family: ip.family, address: ip.value, prefix: bits };
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return undefined;
  const prefix = Number(lengthText);
  if (prefix > bits) return undefined;
  return { family: ip.family, address: ip.value, prefix };
}

export function maskOf(family: Family, prefix: number): bigint {
  const bits = BigInt(bitsOf(family));
  const all = (1n << bits) - 1n;
  return (all >> BigInt(prefix)) ^ all;
}

export function networkOf(cidr: Cidr): bigint {
  return cidr.address & maskOf(cidr.family, cidr.prefix);
}

export function hasHostBits(cidr: Cidr): boolean {
  return networkOf(cidr) !== cidr.address;
}

export function cidrContains(cidr: Cidr, family: Family, value: bigint): boolean {
  return cidr.family === family && (value & maskOf(family, cidr.prefix)) === networkOf(cidr);
}

export function formatIp(family: Family, value: bigint): string {
  return family === 4 ? formatV4(value) : formatV6(value);
}

/** The CIDR in the kernel's spelling (lower case, IPv6 compressed). */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.family, cidr.address)}/${cidr.prefix}`;
}

/** The same address in the kernel's spelling, or the input when it is not an address. */
export function canonicalIp(text: string): string {
  const ip = parseIp(text);
  return ip ? formatIp(ip.family, ip.value) : text;
}

function parseV4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseV6(text: string): bigint {
  // An embedded IPv4 tail ('::ffff:10.0.0.1') stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  const v4 = last.includes('.') ? Number(parseV4(last)) : undefined;
  const body = v4 === undefined ? text : `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  const [head, rest] = body.includes('::') ? body.split('::') : [body, undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...new Array<string>(zeros).fill('0'), ...restGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as '::'. */
function formatV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Lower-case MAC, or undefined when `text` is not a 48-bit MAC. */
export function normaliseMac(text: string): string | undefined {
  return MAC_PATTERN.test(text) ? text.toLowerCase() : undefined;
}

/** The group bit: the kernel refuses such a MAC as a device address. */
export function isMulticastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}
