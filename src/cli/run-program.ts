/** Runs a program in the foreground for `weft sandbox exec`. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Sent by the terminal to the whole foreground group, so the program gets them itself. */
const TERMINAL_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];
/** Sent to weft alone (a supervisor, a closed terminal): passed on to the program. */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

/**
 * Spawns `program` with inherited stdio and resolves with its exit code
 * (128 + signal number if a signal ended it, as shells report it). While it
 * runs weft does not die of a signal, so that it can report the program's
 * own exit code.
 */
export function runProgram(program: string, args: string[]): Promise<number> {
  const child = spawn(program, args, { stdio: 'inherit' });
  const ignore = (): void => undefined;
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  for (const s of TERMINAL_SIGNALS) process.on(s, ignore);
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  }).finally(() => {
    for (const s of TERMINAL_SIGNALS) process.off(s, ignore);
    for (const s of FORWARDED_SIGNALS) process.off(s, forward);
  });
}
