/**
 * Error kinds ↔ gRPC status codes (docs/errors.md). The server turns every
 * error into a status whose message is "[CODE] message" and whose trailing
 * metadata carries the code; the client turns such a status back into the
 * same WeftError, so callers on both sides compare by code.
 */
import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ErrorCodes, WeftError, type ErrorKind } from '../../errors/index.js';

export const ERROR_CODE_METADATA = 'weft-error-code';

/**
 * Conflict splits in two, decided by the code alone so the rule needs no list:
 * a code ending in `_EXISTS` (the thing to create is already there) is
 * ALREADY_EXISTS; any other conflict (in use, exhausted, overlapping, ...) is
 * FAILED_PRECONDITION.
 */
export function statusOfError(err: WeftError): status {
  switch (err.kind) {
    case 'BadRequest':
      return status.INVALID_ARGUMENT;
    case 'NotFound':
      return status.NOT_FOUND;
    case 'Conflict':
      return err.code.endsWith('_EXISTS') ? status.ALREADY_EXISTS : status.FAILED_PRECONDITION;
    case 'Forbidden':
      return status.PERMISSION_DENIED;
    case 'Unavailable':
      return status.UNAVAILABLE;
    case 'NotImplemented':
      return status.UNIMPLEMENTED;
    case 'Internal':
      return status.INTERNAL;
  }
}

/** The inverse of statusOfError; statuses weft never sends count as Internal. */
export function kindOfStatus(code: status): ErrorKind {
  switch (code) {
    case status.INVALID_ARGUMENT:
      return 'BadRequest';
    case status.NOT_FOUND:
      return 'NotFound';
    case status.ALREADY_EXISTS:
    case status.FAILED_PRECONDITION:
      return 'Conflict';
    case status.PERMISSION_DENIED:
      return 'Forbidden';
    case status.UNAVAILABLE:
      return 'Unavailable';
    case status.UNIMPLEMENTED:
      return 'NotImplemented';
    default:
      return 'Internal';
  }
}

/** Anything thrown by a handler, as the status sent to the client. */
export function statusFromError(thrown: unknown): StatusObject {
  const err =
    thrown instanceof WeftError
      ? thrown
      : new WeftError(ErrorCodes.INTERNAL, 'Internal', thrown instanceof Error ? thrown.message : String(thrown));
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA, err.code);
  return { code: statusOfError(err), details: err.toString(), metadata };
}

/**
 * A failed call, as a WeftError. `target` names the daemon in the message
 * when it could not be reached at all (UNAVAILABLE without a weft code: the
 * daemon never answered).
 */
export function errorFromStatus(err: ServiceError, target: string): WeftError {
  const [code] = err.metadata?.get(ERROR_CODE_METADATA) ?? [];
  if (typeof code === 'string' && code !== '') {
    const message = err.details.startsWith(`[${code}] `) ? err.details.slice(code.length + 3) : err.details;
    return new WeftError(code, kindOfStatus(err.code), message, { cause: err });
  }
  if (err.code === status.UNAVAILABLE) {
    return new WeftError(
      ErrorCodes.DAEMON_UNREACHABLE,
      'Unavailable',
      `cannot connect to the weft daemon at ${target}: is weftd running?`,
      { cause: err, details: { grpc: err.details } },
    );
  }
  return new WeftError(ErrorCodes.RPC_FAILED, 'Internal', `${status[err.code] ?? err.code}: ${err.details}`, { cause: err });
}
