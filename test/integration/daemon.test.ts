import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NetnsPool, requireRoot } from '../helpers/netns.js';
import { WEFT, WEFTD, requireBuilt, startWeftd, type RunningWeftd } from '../helpers/weftd.js';

const pool = new NetnsPool();
const daemons: RunningWeftd[] = [];

beforeAll(() => {
  requireRoot();
  requireBuilt();
});
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop('SIGKILL');
  pool.cleanup();
});

describe('weftd', () => {
  it('starts with embedded defaults in a host namespace, reports kernel features, and stops cleanly on SIGTERM', async () => {
    const host = pool.create('h');
    const weftd = startWeftd(host);
    daemons.push(weftd);
    const ready = await weftd.waitForLog('weftd ready');
    expect(ready.level).toBe(30);
    const features = (await weftd.waitForLog('kernel features probed')).features as Record<string, boolean>;
    expect(features.veth).toBe(true);
    expect(features.bridge).toBe(true);
    // the store was created in the configured root, not in /var/lib/weft
    expect(existsSync(join(weftd.root, 'state', 'weft.db'))).toBe(true);
    // the API answers on the configured socket, which only root may use
    const version = execFileSync(process.execPath, [WEFT, '-H', `unix://${weftd.socket}`, 'version'], { encoding: 'utf8' });
    expect(version).toMatch(/Client:\n Version: +\d+\.\d+\.\d+/);
    expect(version).toMatch(/Server:\n Version: +\d+\.\d+\.\d+/);
    expect(statSync(weftd.socket).mode & 0o777).toBe(0o600);
    daemons.pop();
    const root = weftd.root;
    expect(await weftd.stop('SIGTERM')).toBe(0);
    expect(existsSync(root)).toBe(false);
  });

  it('refuses a bad config with a one-line message and exit code 2', () => {
    const result = spawnSync(process.execPath, [WEFTD, '--log-level', 'chatty'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^weftd: \[WEFT_CONFIG_INVALID\] .*logLevel/);
    const missing = spawnSync(process.execPath, [WEFTD, '--config', '/nonexistent/weft.json'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read config file \/nonexistent\/weft.json/);
    const unknown = spawnSync(process.execPath, [WEFTD, '--frobnicate'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/frobnicate/);
  });

  it('prints versions', () => {
    const pkg = JSON.parse(execFileSync('cat', [new URL('../../package.json', import.meta.url).pathname], { encoding: 'utf8' }));
    expect(execFileSync(process.execPath, [WEFTD, '--version'], { encoding: 'utf8' }).trim()).toBe(`weftd ${pkg.version}`);
    const noDaemon = spawnSync(process.execPath, [WEFT, '-H', 'unix:///nonexistent/weft.sock', 'version'], { encoding: 'utf8' });
    expect(noDaemon.stdout).toContain(`Version:  ${pkg.version}`);
    expect(noDaemon.status).toBe(1);
    expect(noDaemon.stderr.trim()).toBe('Error: cannot connect to the weft daemon at unix:///nonexistent/weft.sock: is weftd running?');
    const bad = spawnSync(process.execPath, [WEFT, 'frob'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('Error: unknown command "frob" for "weft" (see \'weft --help\')');
  });
});
