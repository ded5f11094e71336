/**
 * MAC addresses of endpoints. Like Docker, an endpoint with an IPv4 address
 * gets 02:42:<the four address bytes>: stable across restarts and unique
 * per network because the address is. Without IPv4 the MAC comes from the
 * endpoint id. Both are locally administered unicast addresses.
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { ipOf } from './addresses.js';
import { invalidArgument } from './errors.js';

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');

export function macFromIpv4(ip: string): string {
  if (!isIPv4(ip)) throw invalidArgument(`cannot derive a MAC address from ${JSON.stringify(ip)}: not an IPv4 address`);
  return hex([0x02, 0x42, ...ip.split('.').map(Number)]);
}

/** 06:… rather than 02:42:… so that an id-derived MAC never equals an address-derived one. */
export function macFromId(id: string): string {
  const digest = createHash('sha256').update(id).digest();
  return hex([0x06, ...digest.subarray(0, 5)]);
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** A MAC asked for by the client: six colon-separated bytes, unicast; lower-cased. */
export function checkMac(mac: string): string {
  const lower = mac.toLowerCase();
  if (!MAC.test(lower) || (parseInt(lower.slice(0, 2), 16) & 1) === 1) {
    throw invalidArgument(`invalid MAC address ${JSON.stringify(mac)}: expected a unicast address like 02:42:0a:00:00:02`, { mac });
  }
  return lower;
}

/** The endpoint's MAC: the one asked for, else from its IPv4 address, else from its id. */
export function endpointMac(endpoint: { id: string; mac?: string; addressV4?: string }): string {
  if (endpoint.mac !== undefined && endpoint.mac !== '') return checkMac(endpoint.mac);
  if (endpoint.addressV4 !== undefined) return macFromIpv4(ipOf(endpoint.addressV4));
  return macFromId(endpoint.id);
}
