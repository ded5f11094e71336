/**
 * How the CLI reports a failure: one line `Error: message` on stderr (the
 * message without the [CODE] prefix; the code is for programs, not people)
 * and an exit code by kind (docs/errors.md): 2 for bad usage and other bad
 * requests, 1 for everything else.
 */
import { ErrorCodes, isWeftError } from '../errors/index.js';
import type { CliIo } from './io.js';

export function exitCodeOf(err: unknown): number {
  return isWeftError(err) && err.kind === 'BadRequest' ? 2 : 1;
}

export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // One line, whatever the message holds.
  return `Error: ${message.replace(/\s*\n\s*/g, ' ')}\n`;
}

/** Prints the error and returns the exit code. */
export function reportError(io: CliIo, err: unknown): number {
  io.stderr.write(errorLine(err));
  return exitCodeOf(err);
}

/**
 * Docker semantics for commands over several names (rm, inspect): act on
 * each, report each failure on its own line, and fail if any failed: exit 1,
 * or 2 if one of the failures was a bad request (an ambiguous id prefix), as
 * for a single name. An unreachable daemon ends the loop at once: every name
 * would fail alike.
 */
export async function forEachName<T>(io: CliIo, names: string[], act: (name: string) => Promise<T>): Promise<{ results: T[]; exitCode: number }> {
  const results: T[] = [];
  let exitCode = 0;
  for (const name of names) {
    try {
      results.push(await act(name));
    } catch (err) {
      if (isWeftError(err, ErrorCodes.DAEMON_UNREACHABLE)) throw err;
      io.stderr.write(errorLine(err));
      exitCode = Math.max(exitCode, exitCodeOf(err));
    }
  }
  return { results, exitCode };
}
