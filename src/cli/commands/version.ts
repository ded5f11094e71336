/** `weft version`: the client's version, then the daemon's if it answers. */
import { weftVersion } from '../../version.js';
import type { CommandSpec } from '../command.js';

export const version: CommandSpec = {
  kind: 'command',
  name: 'version',
  usage: '',
  summary: 'Show the weft version of the client and the daemon',
  args: { min: 0, max: 0 },
  flags: [],
  async run(session) {
    // The client part is printed first so that it shows even without a daemon.
    session.io.stdout.write(`Client:\n Version:  ${weftVersion()}\n`);
    const daemonVersion = await session.api().version();
    session.io.stdout.write(`\nServer:\n Version:  ${daemonVersion}\n`);
    return 0;
  },
};
