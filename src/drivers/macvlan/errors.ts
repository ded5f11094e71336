/**
 * Errors of the macvlan driver that are not about one option's value: the
 * parent is missing, or another network uses it in a way that cannot coexist.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';

export function parentNotFound(parent: string, why = ''): WeftError {
  return new WeftError(ErrorCodes.PARENT_NOT_FOUND, 'NotFound', `parent interface ${parent} not found${why}`, { details: { parent } });
}

export function parentInUse(message: string, details: { parent: string; network: string }): WeftError {
  return new WeftError(ErrorCodes.PARENT_IN_USE, 'Conflict', message, { details });
}
