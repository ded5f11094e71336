/**
 * `npm run bench`: every benchmark in turn, each printing its numbers side by
 * side with its reference measured in the same run. `npm run bench -- ipam`
 * runs only the named ones.
 */
import { run as runChurn } from './churn.js';
import { run as runCli } from './cli.js';
import { run as runDns } from './dns.js';
import { run as runDocker } from './docker.js';
import { run as runIpam } from './ipam.js';
import { run as runKernel } from './kernel.js';

const BENCHES: Record<string, () => Promise<void>> = {
  ipam: runIpam,
  kernel: runKernel,
  cli: runCli,
  churn: runChurn,
  docker: runDocker,
  dns: runDns,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  for (const [name, run] of Object.entries(BENCHES)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    process.stdout.write(`\n=== bench: ${name} ===\n`);
    await run();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
