/** Commands that act on each of several names, Docker-style (errors per name, exit code of the worst). */
import type { NetworkApi } from '../../cnm/api-types.js';
import type { CommandSpec } from '../command.js';
import { forEachName } from '../errors.js';
import { inspectJson } from '../format.js';

/** `inspect NAME...`: one JSON array of what `fetch` returned for the names that exist. */
export function inspectCommand(usage: string, summary: string, fetch: (api: NetworkApi, name: string) => Promise<unknown>): CommandSpec {
  return {
    kind: 'command',
    name: 'inspect',
    usage,
    summary,
    args: { min: 1 },
    flags: [],
    async run(session, a) {
      const api = session.api();
      const { results, exitCode } = await forEachName(session.io, a.positionals, (name) => fetch(api, name));
      session.io.stdout.write(inspectJson(results));
      return exitCode;
    },
  };
}
