/**
 * Default address pools (like daemon.json `default-address-pools`) and the
 * chooser that picks the first free subnet from them.
 *
 * weft's defaults split the private ranges Docker uses into /24s, so 4096
 * IPv4 networks fit where Docker's defaults (/16s and /20s) fit 31:
 *   172.17.0.0/16 → 256, 172.18.0.0/15 → 512, 172.20.0.0/14, 172.24.0.0/14,
 *   172.28.0.0/14 → 1024 each, 192.168.0.0/16 → 256.
 * IPv6: fd00:7765:6674::/48 ("weft" in hex) as /64s → 65536 networks.
 * The global space (multi-host networks) gets its own ranges, Swarm-style:
 * 10.0.0.0/8 as /24s (65536) and fd01:7765:6674::/48 as /64s.
 */
import { ErrorCodes, WeftError } from '../errors/index.js';
import { type Cidr, type Family, cidrLast, familyBits, formatCidr, parseCidr } from './cidr.js';

export interface DefaultPoolConfig {
  /** A CIDR the networks are carved from. */
  base: string;
  /** Prefix length of each network. */
  size: number;
}

export const WEFT_DEFAULT_POOLS: readonly DefaultPoolConfig[] = [
  { base: '172.17.0.0/16', size: 24 },
  { base: '172.18.0.0/15', size: 24 },
  { base: '172.20.0.0/14', size: 24 },
  { base: '172.24.0.0/14', size: 24 },
  { base: '172.28.0.0/14', size: 24 },
  { base: '192.168.0.0/16', size: 24 },
];
export const WEFT_DEFAULT_POOLS_V6: readonly DefaultPoolConfig[] = [{ base: 'fd00:7765:6674::/48', size: 64 }];
export const WEFT_GLOBAL_DEFAULT_POOLS: readonly DefaultPoolConfig[] = [{ base: '10.0.0.0/8', size: 24 }];
export const WEFT_GLOBAL_DEFAULT_POOLS_V6: readonly DefaultPoolConfig[] = [{ base: 'fd01:7765:6674::/48', size: 64 }];

/** Docker's built-in local default-address-pools (for comparison): 15 /16s + 16 /20s = 31 networks. */
export const DOCKER_DEFAULT_POOLS: readonly DefaultPoolConfig[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
  { base: '192.168.0.0/16', size: 20 },
];

export interface DefaultPool {
  base: Cidr;
  size: number;
}

/** Validates a configuration (IPv4 and IPv6 entries may be mixed); throws WEFT_CONFIG_INVALID. */
export function parseDefaultPools(configs: readonly DefaultPoolConfig[], label: string): DefaultPool[] {
  return configs.map((config, i) => {
    const where = `${label}[${i}]`;
    let base: Cidr;
    try {
      base = parseCidr(config.base);
    } catch (err) {
      throw configInvalid(`${where}.base: ${(err as Error).message}`, err);
    }
    const bits = familyBits(base.family);
    if (!Number.isInteger(config.size) || config.size < base.prefix || config.size > bits) {
      throw configInvalid(`${where}.size ${config.size} must be an integer between ${base.prefix} and ${bits}`);
    }
    return { base, size: config.size };
  });
}

function configInvalid(message: string, cause?: unknown): WeftError {
  return new WeftError(ErrorCodes.CONFIG_INVALID, 'BadRequest', `default address pools: ${message}`, { cause });
}

/** How many networks the pools of one family hold in total. */
export function countDefaultSubnets(pools: readonly DefaultPool[], family: Family): bigint {
  return pools
    .filter((p) => p.base.family === family)
    .reduce((sum, p) => sum + (1n << BigInt(p.size - p.base.prefix)), 0n);
}

export function describeDefaultPools(pools: readonly DefaultPool[], family: Family): string[] {
  return pools.filter((p) => p.base.family === family).map((p) => `${formatCidr(p.base)} as /${p.size}`);
}

/**
 * The first subnet from the pools that `blockedUntil` does not block.
 * `blockedUntil` returns the last address of something overlapping the
 * candidate (or undefined); the search jumps past it, so the cost follows the
 * number of obstacles, not the number of candidates.
 */
export function chooseSubnet(
  pools: readonly DefaultPool[],
  family: Family,
  blockedUntil: (candidate: Cidr) => bigint | undefined,
): Cidr | undefined {
  for (const { base, size } of pools) {
    if (base.family !== family) continue;
    const step = 1n << BigInt(familyBits(family) - size);
    const end = cidrLast(base);
    let network = base.network;
    while (network + step - 1n <= end) {
      const candidate: Cidr = { family, network, prefix: size };
      const blockedTo = blockedUntil(candidate);
      if (blockedTo === undefined) return candidate;
      const past = blockedTo + 1n - base.network;
      network = base.network + ((past + step - 1n) / step) * step;
    }
  }
  return undefined;
}
