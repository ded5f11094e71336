/**
 * Errors the fake raises where the real kernel answers with an errno. They
 * look like what the netlink wrapper throws (an Error with an errno `code`),
 * so `contextualise` in apply.ts turns both into the same WeftError.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';

export class KernelErrno extends Error {
  override readonly name = 'KernelErrno';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function errno(code: string, message: string): KernelErrno {
  return new KernelErrno(code, message);
}

export function netnsNotFound(name: string): WeftError {
  return new WeftError(ErrorCodes.NETNS_NOT_FOUND, 'NotFound', `network namespace ${name} does not exist`, {
    details: { netns: name, errno: 'ENOENT' },
  });
}
