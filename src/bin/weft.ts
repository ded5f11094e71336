#!/usr/bin/env node
/** weft: the command-line client of weftd (see src/cli). */
import { main } from '../cli/main.js';

// `weft network ls | head -1`: the reader went away, which is not an error
// worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isTTY: process.stdin.isTTY === true,
});
// Exit once stdout has drained: a paused stdin or a closing channel must
// not keep the process alive, and a pipe must still get all the output.
process.stdout.write('', () => process.exit(code));
