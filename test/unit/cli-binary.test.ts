/**
 * The built `weft` binary (dist/src/bin/weft.js, from `npx tsc -p .`) as a
 * child process against an in-process test daemon, addressed by -H and by
 * WEFT_HOST. A missing or stale build fails the test rather than testing old code.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDaemon, type FakeDaemon } from '../helpers/fake-network-api.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEFT = `${ROOT}dist/src/bin/weft.js`;

/** Source files whose compiled form the binary runs. */
function staleOutputs(): string[] {
  const stale: string[] = [];
  for (const dir of ['src/cli', 'src/api/grpc', 'src/bin']) {
    for (const file of readdirSync(`${ROOT}${dir}`, { recursive: true }) as string[]) {
      if (!file.endsWith('.ts')) continue;
      const js = `${ROOT}dist/${dir}/${file.replace(/\.ts$/, '.js')}`;
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(`${ROOT}${dir}/${file}`).mtimeMs) stale.push(`${dir}/${file}`);
    }
  }
  return stale;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runWeft(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEFT, ...args], {
      env: { ...process.env, WEFT_HOST: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let daemon: FakeDaemon;

beforeAll(async () => {
  if (!existsSync(WEFT)) throw new Error(`${WEFT} is missing: run \`npx tsc -p .\` (or npm run build) before these tests`);
  const stale = staleOutputs();
  if (stale.length > 0) throw new Error(`dist/ is older than ${stale.join(', ')}: run \`npx tsc -p .\` before these tests`);
  daemon = await startFakeDaemon('3.2.1');
});

afterAll(async () => {
  await daemon?.stop();
});

describe('the weft binary', () => {
  it('talks to the daemon given by -H (which wins over WEFT_HOST)', async () => {
    const created = await runWeft(['-H', daemon.target, 'network', 'create', '--subnet', '10.8.0.0/24', 'bin-net'], {
      WEFT_HOST: 'unix:///nonexistent/weft.sock',
    });
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe(`${(await daemon.api.inspectNetwork('bin-net')).Id}\n`);
  });

  it('talks to the daemon given by WEFT_HOST', async () => {
    await daemon.api.createNetwork({ name: 'env-net' });
    const ls = await runWeft(['network', 'ls'], { WEFT_HOST: daemon.target });
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toBe('NETWORK ID     NAME      DRIVER    SCOPE');
    expect(ls.stdout).toMatch(/^[0-9a-f]{12} {3}env-net {3}bridge {4}local$/m);
    const inspect = await runWeft(['network', 'inspect', 'env-net'], { WEFT_HOST: daemon.target });
    expect(JSON.parse(inspect.stdout)).toEqual([await daemon.api.inspectNetwork('env-net')]);
    const version = await runWeft(['version'], { WEFT_HOST: daemon.target });
    expect(version.stdout).toMatch(/^Client:\n Version: {2}\S+\n\nServer:\n Version: {2}3\.2\.1\n$/);
  });

  it('exits 1 with one line when no daemon answers, 2 on bad usage', async () => {
    const gone = `unix://${daemon.socketPath}.gone`;
    expect(await runWeft(['network', 'ls'], { WEFT_HOST: gone })).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: cannot connect to the weft daemon at ${gone}: is weftd running?\n`,
    });
    expect(await runWeft(['-H', daemon.target, 'network', 'create', '--nope', 'x'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "Error: unknown flag: --nope (see 'weft network create --help')\n",
    });
  });
});
