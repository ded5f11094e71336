/**
 * The `weft` command: global flags, then a command tree mirroring
 * `docker network`. main() returns the exit code and never exits itself.
 */
import { connect, type WeftClient } from '../api/grpc/client.js';
import { ErrorCodes, WeftError } from '../errors/index.js';
import { weftVersion } from '../version.js';
import { isSet, lastValue, parseArgs, UsageError, type FlagSpec } from './args.js';
import { groupHelp, HELP_FLAG, runNode, type GroupSpec, type Session } from './command.js';
import { networkGroup } from './commands/network.js';
import { sandboxGroup } from './commands/sandbox.js';
import { version } from './commands/version.js';
import { reportError } from './errors.js';
import type { CliIo } from './io.js';

export type { CliIo } from './io.js';

export const DEFAULT_HOST = 'unix:///run/weft/weft.sock';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'host', short: 'H', type: 'string', value: 'unix:///PATH', description: `Daemon socket (env WEFT_HOST, default ${DEFAULT_HOST})` },
  { name: 'version', short: 'v', type: 'boolean', description: 'Print the client version and exit' },
];

const ROOT: GroupSpec = {
  kind: 'group',
  name: 'weft',
  summary: 'Manage weft networks and sandboxes',
  children: [networkGroup, sandboxGroup, version],
};

/**
 * The daemon address as a gRPC target. weft speaks only over a unix socket:
 * unix:///absolute/path, or the absolute path alone.
 */
export function daemonTarget(host: string): string {
  const path = host.startsWith('unix://') ? host.slice('unix://'.length) : host;
  if (!path.startsWith('/')) {
    // Bad usage (exit 2), but of -H/WEFT_HOST rather than of the command that
    // needed the daemon, so not a UsageError (which would point at the command's help).
    throw new WeftError(
      ErrorCodes.INVALID_ARGUMENT,
      'BadRequest',
      `invalid daemon address "${host}": expected unix:///absolute/path/to/weft.sock (see 'weft --help')`,
    );
  }
  return `unix://${path}`;
}

/** A session whose client is made on first use (after usage checks) and closed at the end. */
function lazySession(io: CliIo, host: () => string): Session & { close(): void } {
  let client: WeftClient | undefined;
  return {
    io,
    api: () => (client ??= connect(daemonTarget(host()))),
    close: () => client?.close(),
  };
}

function parseGlobals(argv: readonly string[]) {
  try {
    return parseArgs(argv, [...GLOBAL_FLAGS, HELP_FLAG], { stopAfter: 1 });
  } catch (err) {
    throw err instanceof UsageError ? new UsageError(`${err.message} (see 'weft --help')`) : err;
  }
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let host = io.env.WEFT_HOST || DEFAULT_HOST;
  const session = lazySession(io, () => host);
  try {
    const globals = parseGlobals(argv);
    if (isSet(globals, 'version')) {
      io.stdout.write(`weft version ${weftVersion()}\n`);
      return 0;
    }
    const [command] = globals.positionals;
    if (command === undefined || isSet(globals, 'help')) {
      io.stdout.write(groupHelp(ROOT, 'weft', GLOBAL_FLAGS));
      return 0;
    }
    host = lastValue(globals, 'host') ?? host;
    return await runNode(ROOT, [command, ...globals.rest], session, 'weft');
  } catch (err) {
    return reportError(io, err);
  } finally {
    session.close();
  }
}
