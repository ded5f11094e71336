/**
 * Parsing of the `-o` options the local drivers share. Every parser throws
 * WEFT_INVALID_OPTION naming the option and the value; nothing is planned
 * before all options have been parsed.
 */
import { isIPv4 } from 'node:net';
import { invalidOption } from './errors.js';

export const OPTION = {
  bridgeName: 'com.docker.network.bridge.name',
  enableIcc: 'com.docker.network.bridge.enable_icc',
  enableMasquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  hostBindingIpv4: 'com.docker.network.bridge.host_binding_ipv4',
  mtu: 'com.docker.network.driver.mtu',
} as const;

export const DEFAULT_MTU = 1500;
const MIN_MTU = 68;
const MAX_MTU = 65535;

// The spellings Go's strconv.ParseBool accepts, which is what Docker uses for these options.
const TRUE_WORDS = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** The option as a boolean, `fallback` when absent. */
export function boolOption(options: Record<string, string>, name: string, fallback: boolean): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw invalidOption(name, value, 'expected a boolean (true, false, 1 or 0)');
}

/** com.docker.network.driver.mtu: an integer 68..65535, DEFAULT_MTU when absent. */
export function mtuOption(options: Record<string, string>): number {
  const value = options[OPTION.mtu];
  if (value === undefined) return DEFAULT_MTU;
  const mtu = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) {
    throw invalidOption(OPTION.mtu, value, `expected an integer from ${MIN_MTU} to ${MAX_MTU}`);
  }
  return mtu;
}

/**
 * com.docker.network.bridge.host_binding_ipv4: the default host address of
 * published ports. 0.0.0.0 means every address, the same as absent.
 */
export function hostBindingOption(options: Record<string, string>): string | undefined {
  const value = options[OPTION.hostBindingIpv4];
  if (value === undefined || value === '') return undefined;
  if (!isIPv4(value)) throw invalidOption(OPTION.hostBindingIpv4, value, 'expected an IPv4 address');
  return value === '0.0.0.0' ? undefined : value;
}

/** What bridge and nat networks both take from their options. */
export interface CommonNetworkOptions {
  mtu: number;
  icc: boolean;
  masquerade: boolean;
  hostBindingIpv4?: string;
}

export function commonNetworkOptions(options: Record<string, string>): CommonNetworkOptions {
  const hostBindingIpv4 = hostBindingOption(options);
  return {
    mtu: mtuOption(options),
    icc: boolOption(options, OPTION.enableIcc, true),
    masquerade: boolOption(options, OPTION.enableMasquerade, true),
    ...(hostBindingIpv4 !== undefined && { hostBindingIpv4 }),
  };
}
