#!/usr/bin/env node
/** weft: the command-line client. Until the API lands it knows only its version. */
import { weftVersion } from '../version.js';

const USAGE = `Usage: weft COMMAND

Commands:
  version     print the client version

(network and sandbox commands arrive with the gRPC API)`;

function main(argv: string[]): number {
  const [command] = argv;
  if (command === 'version' || command === '--version' || command === '-v') {
    process.stdout.write(`weft ${weftVersion()}\n`);
    return 0;
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 1 : 0;
  }
  process.stderr.write(`Error: unknown command "${command}" (see weft --help)\n`);
  return 1;
}

process.exit(main(process.argv.slice(2)));
