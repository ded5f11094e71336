/**
 * The IPAM's errors, one factory per meaning so codes, kinds and message
 * shapes stay consistent. `details` carries the ids for logs.
 */
import { ErrorCodes, WeftError } from '../errors/index.js';

export function badCidr(text: string, reason: string): WeftError {
  return new WeftError(ErrorCodes.BAD_CIDR, 'BadRequest', `invalid subnet ${JSON.stringify(text)}: ${reason}`, {
    details: { cidr: text },
  });
}

export function badAddress(text: string, reason: string, poolId?: string): WeftError {
  return new WeftError(ErrorCodes.BAD_ADDRESS, 'BadRequest', `invalid address ${JSON.stringify(text)}: ${reason}`, {
    details: { address: text, poolId },
  });
}

export function invalidArgument(message: string, details: Record<string, unknown> = {}): WeftError {
  return new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', message, { details });
}

export function unknownAddressSpace(space: string, known: readonly string[]): WeftError {
  return new WeftError(
    ErrorCodes.UNKNOWN_ADDRESS_SPACE,
    'BadRequest',
    `unknown address space ${JSON.stringify(space)} (known: ${known.join(', ')})`,
    { details: { addressSpace: space } },
  );
}

export function poolOverlap(subnet: string, what: string, details: Record<string, unknown>): WeftError {
  return new WeftError(ErrorCodes.POOL_OVERLAP, 'Conflict', `subnet ${subnet} overlaps ${what}`, {
    details: { subnet, ...details },
  });
}

export function poolNotFound(poolId: string): WeftError {
  return new WeftError(ErrorCodes.POOL_NOT_FOUND, 'NotFound', `pool ${poolId} not found`, { details: { poolId } });
}

export function poolExhausted(poolId: string): WeftError {
  return new WeftError(ErrorCodes.POOL_EXHAUSTED, 'Conflict', `no available addresses in pool ${poolId}`, {
    details: { poolId },
  });
}

export function noDefaultPool(space: string, family: 4 | 6, tried: readonly string[]): WeftError {
  const where = tried.length > 0 ? tried.join(', ') : 'none configured';
  return new WeftError(
    ErrorCodes.NO_DEFAULT_POOL,
    'Conflict',
    `no available IPv${family} subnet in the default address pools of ${space} (${where}): ` +
      'every candidate overlaps an existing pool or a route in use; release a network or configure more default pools',
    { details: { addressSpace: space, family } },
  );
}

export function addressInUse(address: string, poolId: string): WeftError {
  return new WeftError(ErrorCodes.ADDRESS_IN_USE, 'Conflict', `address ${address} is already allocated in pool ${poolId}`, {
    details: { address, poolId },
  });
}

export function addressOutOfRange(address: string, poolId: string, reason: string): WeftError {
  return new WeftError(ErrorCodes.ADDRESS_OUT_OF_RANGE, 'BadRequest', `address ${address} ${reason} of pool ${poolId}`, {
    details: { address, poolId },
  });
}

export function addressNotAllocated(address: string, poolId: string): WeftError {
  return new WeftError(
    ErrorCodes.ADDRESS_NOT_ALLOCATED,
    'NotFound',
    `address ${address} is not allocated in pool ${poolId}`,
    { details: { address, poolId } },
  );
}
