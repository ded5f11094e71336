/**
 * Errno names for failures that come back from netlink. The `netlink`
 * package rejects with a bare `Error("Request rejected: EEXIST")` (or a
 * number where libuv has no name for it); we turn that into an error whose
 * `code` is the errno name, which apply.ts puts into its WeftError details.
 */
import { constants } from 'node:os';
import { ErrorCodes, WeftError } from '../../errors/index.js';

/** An operation the kernel refused, with the errno name as `code`. */
export class KernelErrno extends Error {
  override readonly name = 'KernelErrno';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const errnoByNumber = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name] as const).reverse(),
);

/** libuv names 95 ENOTSUP; the kernel and iproute2 call it EOPNOTSUPP. */
const ALIASES: Record<string, string> = { ENOTSUP: 'EOPNOTSUPP' };

/** The errno name carried by an error from the netlink package, fs or the addon; undefined if none. */
export function errnoOf(err: unknown): string | undefined {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return ALIASES[code] ?? code;
    const rejected = /^Request rejected: (-?\w+)$/.exec(err.message);
    if (rejected?.[1]) return normalise(rejected[1]);
  }
  return undefined;
}

function normalise(token: string): string {
  if (/^-?\d+$/.test(token)) {
    const name = errnoByNumber.get(Math.abs(Number(token)));
    return name ? (ALIASES[name] ?? name) : `ERRNO${Math.abs(Number(token))}`;
  }
  return ALIASES[token] ?? token;
}

/** Rethrow anything from a netlink call as a KernelErrno (keeping other errors as they are). */
export function asKernelErrno(err: unknown, what: string): Error {
  const code = errnoOf(err);
  if (code === undefined) return err instanceof Error ? err : new Error(String(err));
  return new KernelErrno(code, `${what}: ${code}`);
}

export function hasErrno(err: unknown, ...codes: string[]): boolean {
  const code = errnoOf(err);
  return code !== undefined && codes.includes(code);
}

/** An op that cannot be carried out as written: the caller's mistake, not the kernel's. */
export function invalidOp(message: string, details: Record<string, unknown> = {}): WeftError {
  return new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', message, { details });
}
