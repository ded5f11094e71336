/**
 * Names of the kernel objects the local drivers create, derived from ids so
 * that a restarted daemon (or a reconcile) can find them from the store
 * alone, and the link group that marks every host-side link weft creates.
 *
 *   bridge of a network   weft-<first 10 hex of the network id>   (15 chars: IFNAMSIZ-1)
 *   bridge endpoint veth  wv<first 12 hex of the endpoint id>      host side, bridge port
 *   nat endpoint veth     wn<first 12 hex of the endpoint id>      host side, routed p2p
 *   sandbox end (Docker)  wc<first 12 hex of the endpoint id>      until the engine moves it
 *   macvlan end (Docker)  wm<first 12 hex of the endpoint id>      until the engine moves it
 *   macvlan host shim     wh<first 12 hex of the network id>       in the daemon's namespace
 *   macvlan dummy parent  wd<first 12 hex of the network id>       parent of an internal network
 *
 * Ids that are not hexadecimal (tests, hand-made ids) are hashed first, so
 * the names stay short, valid and deterministic.
 */
import { createHash } from 'node:crypto';
import { invalidOption } from './errors.js';

/** IFLA_GROUP of every host-side link weft creates: `ip link show group 30565` lists them all. */
export const WEFT_LINK_GROUP = 0x7765;

/** Linux interface names: IFNAMSIZ is 16 including the terminating NUL. */
export const IFNAME_MAX = 15;

export const NAME_PREFIX = {
  bridge: 'weft-',
  bridgeVeth: 'wv',
  natVeth: 'wn',
  container: 'wc',
  macvlan: 'wm',
  macvlanShim: 'wh',
  macvlanDummy: 'wd',
} as const;

/** The first `length` hex digits naming `id`: the id itself when it is hex, else its SHA-256. */
export function idHex(id: string, length: number): string {
  const lower = id.toLowerCase();
  if (new RegExp(`^[0-9a-f]{${length},}$`).test(lower)) return lower.slice(0, length);
  return createHash('sha256').update(id).digest('hex').slice(0, length);
}

export function defaultBridgeName(networkId: string): string {
  return `${NAME_PREFIX.bridge}${idHex(networkId, IFNAME_MAX - NAME_PREFIX.bridge.length)}`;
}

export function endpointDeviceName(prefix: string, endpointId: string): string {
  return `${prefix}${idHex(endpointId, 12)}`;
}

/**
 * A user-chosen device name. Stricter than the kernel (which takes almost
 * any byte): the name ends up in sysctl paths and nftables strings, so only
 * letters, digits, '_' and '-' are accepted.
 */
export function checkDeviceName(option: string, name: string): string {
  if (name.length === 0 || name.length > IFNAME_MAX) {
    throw invalidOption(option, name, `an interface name has 1 to ${IFNAME_MAX} characters`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw invalidOption(option, name, 'an interface name may only contain letters, digits, "_" and "-"');
  }
  return name;
}
