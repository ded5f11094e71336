/** Runs the built `weft` CLI against a test daemon's socket (asynchronously, so in-process servers keep answering). */
import { execFile } from 'node:child_process';
import { WEFT } from './weftd.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function weftCli(socket: string, args: string[], timeoutMs = 20_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [WEFT, '-H', `unix://${socket}`, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like weftCli, but throws with the CLI's stderr unless it exits 0. */
export async function weftOk(socket: string, args: string[]): Promise<string> {
  const r = await weftCli(socket, args);
  if (r.code !== 0) throw new Error(`weft ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
