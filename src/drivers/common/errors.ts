/**
 * Error factories shared by the local drivers. Option errors are the
 * client's fault (BadRequest) and name the option and the value, so that
 * `docker network create -o …` users see what to fix.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';

export function invalidOption(option: string, value: string, why: string): WeftError {
  return new WeftError(ErrorCodes.INVALID_OPTION, 'BadRequest', `invalid value ${JSON.stringify(value)} for option ${option}: ${why}`, {
    details: { option, value },
  });
}

export function invalidArgument(message: string, details: Record<string, unknown> = {}): WeftError {
  return new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', message, { details });
}

/** driverData that createNetwork/createEndpoint did not write: a store or controller bug, not the client's. */
export function corruptDriverData(what: string, details: Record<string, unknown> = {}): WeftError {
  return new WeftError(ErrorCodes.INTERNAL, 'Internal', `driver data of ${what} is missing or malformed`, { details });
}
