/**
 * Address and CIDR math for IPv4 and IPv6 on BigInt. Parsing is strict (no
 * leading zeros in IPv4 octets, no zone ids, no host bits in a subnet) because
 * an ambiguous subnet is worse than a rejected one; `parseRouteCidr` is the
 * lenient variant for kernel routes and interface addresses.
 */
import { badAddress, badCidr } from './errors.js';

export type Family = 4 | 6;

export interface IpAddress {
  family: Family;
  value: bigint;
}

export interface Cidr {
  family: Family;
  /** The network address (host bits clear). */
  network: bigint;
  prefix: number;
}

export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const DIGIT_0 = 48;

/**
 * Parses a plain IPv4 address into its 32-bit value, or undefined. Decimal
 * octets only, no leading zeros (`010` could be read as octal). Hand-rolled:
 * it is on the release hot path.
 */
function parseIpv4Value(text: string): number | undefined {
  let value = 0;
  let octets = 0;
  let i = 0;
  while (i <= text.length) {
    const start = i;
    let octet = 0;
    for (let c = text.charCodeAt(i) - DIGIT_0; c >= 0 && c <= 9; c = text.charCodeAt(++i) - DIGIT_0) {
      octet = octet * 10 + c;
    }
    const digits = i - start;
    const leadingZero = digits > 1 && text.charCodeAt(start) === DIGIT_0;
    if (digits === 0 || digits > 3 || octet > 255 || leadingZero) return undefined;
    value = value * 256 + octet;
    octets++;
    if (i === text.length) break;
    if (text[i] !== '.' || octets === 4) return undefined;
    i++;
  }
  return octets === 4 ? value : undefined;
}

function parseHexGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4Value(part);
      if (v4 === undefined) return undefined;
      groups.push(Math.floor(v4 / 0x10000), v4 % 0x10000);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** Parses a plain IPv6 address (with `::` and an optional dotted IPv4 tail), or undefined. */
function parseIpv6Value(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseHexGroups(halves[0]!);
  const tail = halves.length === 2 ? parseHexGroups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  // a dotted IPv4 part may only end the address
  if (halves.length === 2 && halves[0]!.includes('.')) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}

/** Parses a plain IP address (no prefix); undefined when it is not one. */
export function tryParseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const value = parseIpv6Value(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4Value(text);
  return value === undefined ? undefined : { family: 4, value: BigInt(value) };
}

/** Parses a plain IP address; throws WEFT_BAD_ADDRESS. */
export function parseIp(text: string): IpAddress {
  const ip = tryParseIp(text);
  if (!ip) throw badAddress(text, 'not an IPv4 or IPv6 address');
  return ip;
}

function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

export function formatIp(family: Family, value: bigint): string {
  return family === 4 ? formatIpv4(Number(value)) : formatIpv6(value);
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.family, cidr.network)}/${cidr.prefix}`;
}

/** Splits `ip/prefix`; returns the reason as a string when the text is not one. */
function splitCidr(text: string): { ip: IpAddress; prefix: number } | string {
  const slash = text.indexOf('/');
  if (slash < 0) return 'missing the /prefix length';
  const ip = tryParseIp(text.slice(0, slash));
  if (!ip) return 'not an IPv4 or IPv6 address';
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return 'the prefix length is not a number';
  const prefix = Number(prefixText);
  if (prefix > familyBits(ip.family)) return `the prefix length exceeds ${familyBits(ip.family)}`;
  return { ip, prefix };
}

export function hostMask(family: Family, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n;
}

/**
 * Parses a subnet. Host bits must be clear: `10.0.0.1/24` is rejected (the
 * caller may have meant the subnet or an address in it), naming the subnet
 * it would be.
 */
export function parseCidr(text: string): Cidr {
  const parts = splitCidr(text);
  if (typeof parts === 'string') throw badCidr(text, parts);
  const { ip, prefix } = parts;
  const mask = hostMask(ip.family, prefix);
  if ((ip.value & mask) !== 0n) {
    const network = formatCidr({ family: ip.family, network: ip.value & ~mask, prefix });
    throw badCidr(text, `host bits are set; did you mean ${network}?`);
  }
  return { family: ip.family, network: ip.value, prefix };
}

/**
 * Lenient parse for kernel routes and interface addresses: host bits are
 * cleared, and a plain address means a host route. Undefined if unparsable.
 */
export function parseRouteCidr(text: string): Cidr | undefined {
  if (!text.includes('/')) {
    const ip = tryParseIp(text);
    return ip && { family: ip.family, network: ip.value, prefix: familyBits(ip.family) };
  }
  const parts = splitCidr(text);
  if (typeof parts === 'string') return undefined;
  const { ip, prefix } = parts;
  return { family: ip.family, network: ip.value & ~hostMask(ip.family, prefix), prefix };
}

/** Number of addresses in the subnet. */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(familyBits(cidr.family) - cidr.prefix);
}

/** The last address of the subnet (the IPv4 broadcast address). */
export function cidrLast(cidr: Cidr): bigint {
  return cidr.network + cidrSize(cidr) - 1n;
}

export function cidrContainsIp(cidr: Cidr, ip: IpAddress): boolean {
  return ip.family === cidr.family && ip.value >= cidr.network && ip.value <= cidrLast(cidr);
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && inner.network >= outer.network &&
    cidrLast(inner) <= cidrLast(outer);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.network <= cidrLast(b) && b.network <= cidrLast(a);
}
