/**
 * Names as the record tables hold them: the wire form (length-prefixed
 * labels) lower-cased, as a latin1 string, which is exactly what the query
 * parser produces for a question, so a lookup is one Map.get.
 */
import { type IpAddress, tryParseIp } from '../ipam/cidr.js';

/** Printable ASCII without space and dot: what a label of a container name, alias or network name may hold. */
const LABEL = /^[\x21-\x2d\x2f-\x7e]{1,63}$/;

/** Wire labels of a dotted name (a trailing dot is allowed), lower-cased; undefined if it cannot be a DNS name. */
export function nameKey(name: string): string | undefined {
  const labels = name.replace(/\.$/, '').toLowerCase().split('.');
  let key = '';
  for (const label of labels) {
    if (!LABEL.test(label)) return undefined;
    key += String.fromCharCode(label.length) + label;
  }
  return key.length > 0 && key.length <= 254 ? key : undefined;
}

/** The wire form of a name key: the labels and the final zero byte. */
export function keyToWire(key: string): Buffer {
  const out = Buffer.allocUnsafe(key.length + 1);
  out.write(key, 0, 'latin1');
  out[key.length] = 0;
  return out;
}

/** The labels of a name key. */
export function keyLabels(key: string): string[] {
  const labels: string[] = [];
  for (let i = 0; i < key.length; ) {
    const len = key.charCodeAt(i);
    labels.push(key.slice(i + 1, i + 1 + len));
    i += len + 1;
  }
  return labels;
}

/** The dotted text of a name key (for logs and tests). */
export function keyToName(key: string): string {
  return keyLabels(key).join('.');
}

/** Every suffix of a key that starts at a label boundary, longest first (the key itself included). */
export function keySuffixes(key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < key.length; i += key.charCodeAt(i) + 1) out.push(key.slice(i));
  return out;
}

export function addressBytes(ip: IpAddress): Buffer {
  const size = ip.family === 4 ? 4 : 16;
  const out = Buffer.alloc(size);
  let v = ip.value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The PTR name of an address: d.c.b.a.in-addr.arpa or the nibbles under ip6.arpa. */
export function reverseName(ip: IpAddress): string {
  const bytes = addressBytes(ip);
  if (ip.family === 4) return `${[...bytes].reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (let i = bytes.length - 1; i >= 0; i--) nibbles.push((bytes[i]! & 0xf).toString(16), (bytes[i]! >> 4).toString(16));
  return `${nibbles.join('.')}.ip6.arpa`;
}

const V4_SUFFIX = nameKey('in-addr.arpa')!;
const V6_SUFFIX = nameKey('ip6.arpa')!;

/** The address a full PTR name stands for, or undefined (partial names, zones, anything else). */
export function addressOfReverseKey(key: string): IpAddress | undefined {
  if (key.endsWith(V4_SUFFIX)) {
    const octets = keyLabels(key.slice(0, -V4_SUFFIX.length));
    return octets.length === 4 ? tryParseIp(octets.reverse().join('.')) : undefined;
  }
  if (key.endsWith(V6_SUFFIX)) {
    const nibbles = keyLabels(key.slice(0, -V6_SUFFIX.length));
    if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return tryParseIp(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}

/** An address as text without a prefix length ('10.0.0.2/24' → parsed 10.0.0.2). */
export function parseAddress(text: string | undefined): IpAddress | undefined {
  return text ? tryParseIp(text.split('/')[0]!) : undefined;
}
