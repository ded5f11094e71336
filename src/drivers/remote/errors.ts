/** Errors of the remote-plugin client; every one names the plugin. */
import { ErrorCodes, WeftError } from '../../errors/index.js';

export function pluginNotFound(name: string, dirs: readonly string[], why?: string): WeftError {
  const reason = why ?? `no ${name}.sock, ${name}.spec or ${name}.json in ${dirs.join(', ')}`;
  return new WeftError(ErrorCodes.PLUGIN_NOT_FOUND, 'NotFound', `plugin "${name}" not found: ${reason}`, { details: { plugin: name, dirs } });
}

export function pluginUnavailable(name: string, method: string, reason: 'connect' | 'timeout', message: string, cause?: unknown): WeftError {
  return new WeftError(ErrorCodes.PLUGIN_UNAVAILABLE, 'Unavailable', `plugin "${name}": ${method}: ${message}`, {
    cause,
    details: { plugin: name, method, reason },
  });
}

export function pluginError(name: string, method: string, message: string, status: number): WeftError {
  return new WeftError(ErrorCodes.PLUGIN_ERROR, 'Internal', `plugin "${name}": ${method}: ${message}`, { details: { plugin: name, method, status } });
}

export function pluginUnsupported(name: string, message: string): WeftError {
  return new WeftError(ErrorCodes.PLUGIN_UNSUPPORTED, 'BadRequest', `plugin "${name}": ${message}`, { details: { plugin: name } });
}

export function badResponse(name: string, method: string, message: string): WeftError {
  return new WeftError(ErrorCodes.PLUGIN_BAD_RESPONSE, 'Internal', `plugin "${name}": ${method}: ${message}`, { details: { plugin: name, method } });
}

/** A plugin error carrying this HTTP status (404: the plugin lacks the method). */
export function hasStatus(err: unknown, status: number): boolean {
  return err instanceof WeftError && err.code === ErrorCodes.PLUGIN_ERROR && err.details.status === status;
}
