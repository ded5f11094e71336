/**
 * One error class for the whole daemon. `code` is stable (clients and tests
 * compare by it) and listed in docs/errors.md; `kind` says how an API adapter
 * renders it (HTTP status, gRPC status, CLI exit code).
 */
export type ErrorKind =
  | 'BadRequest'
  | 'NotFound'
  | 'Conflict'
  | 'Forbidden'
  | 'Unavailable'
  | 'NotImplemented'
  | 'Internal';

export interface WeftErrorOptions {
  cause?: unknown;
  /** Structured context (ids, op, object, errno name); logged, never interpolated. */
  details?: Record<string, unknown>;
}

export class WeftError extends Error {
  override readonly name = 'WeftError';
  readonly details: Record<string, unknown>;

  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    options: WeftErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }

  /** `[CODE] message`, the form used in plugin `{"Err": ...}` bodies and CLI output. */
  override toString(): string {
    return `[${this.code}] ${this.message}`;
  }
}

export function isWeftError(err: unknown, code?: string): err is WeftError {
  return err instanceof WeftError && (code === undefined || err.code === code);
}

/** Wrap anything thrown into a WeftError, keeping WeftErrors as they are. */
export function asWeftError(err: unknown, code = 'WEFT_INTERNAL'): WeftError {
  if (err instanceof WeftError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new WeftError(code, 'Internal', message, { cause: err });
}
