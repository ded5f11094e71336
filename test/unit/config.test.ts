import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWeftdFlags } from '../../src/bin/weftd-flags.js';
import { DEFAULT_CONFIG, loadConfigFile, resolveConfig } from '../../src/config/config.js';

const dirs: string[] = [];
function configFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-config-'));
  dirs.push(dir);
  const path = join(dir, 'weft.json');
  writeFileSync(path, content);
  return path;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('configuration', () => {
  it('has embedded defaults', () => {
    expect(resolveConfig()).toEqual({ ...DEFAULT_CONFIG });
    expect(DEFAULT_CONFIG.socket).toBe('/run/weft/weft.sock');
    expect(DEFAULT_CONFIG.pluginSocket).toBe('/run/docker/plugins/weft.sock');
  });

  it('layers file then flags, later wins', () => {
    const file = loadConfigFile(
      configFile(JSON.stringify({ root: '/tmp/weft-a', logLevel: 'debug', defaultAddressPools: [{ base: '10.99.0.0/16', size: 24 }] })),
    );
    const flags = parseWeftdFlags(['--root', '/tmp/weft-b', '--plugin-socket', '/tmp/p.sock']);
    const config = resolveConfig(file, flags.overrides);
    expect(config.root).toBe('/tmp/weft-b');
    expect(config.logLevel).toBe('debug');
    expect(config.pluginSocket).toBe('/tmp/p.sock');
    expect(config.socket).toBe(DEFAULT_CONFIG.socket);
    expect(config.defaultAddressPools).toEqual([{ base: '10.99.0.0/16', size: 24 }]);
  });

  it.each([
    ['not JSON', '{root:', /not valid JSON/],
    ['not an object', '[1]', /must hold a JSON object/],
    ['unknown key', '{"rooot": "/x"}', /unknown setting "rooot"/],
    ['relative path', '{"root": "var/lib"}', /"root" must be an absolute path/],
    ['bad level', '{"logLevel": "loud"}', /"logLevel" must be one of/],
    ['bad pools', '{"defaultAddressPools": [{"base": "10.0.0.0/8"}]}', /each pool needs/],
    ['empty pools', '{"defaultAddressPools": []}', /non-empty array/],
  ])('rejects a config file with %s', (_what, content, message) => {
    const path = configFile(content);
    expect(() => loadConfigFile(path)).toThrow(message);
    try {
      loadConfigFile(path);
    } catch (err) {
      expect(err).toMatchObject({ code: 'WEFT_CONFIG_INVALID', kind: 'BadRequest' });
    }
  });

  it('rejects a missing config file with its path', () => {
    expect(() => loadConfigFile('/nonexistent/weft.json')).toThrow(/cannot read config file \/nonexistent\/weft.json/);
  });

  it('rejects unknown flags and bad flag values', () => {
    expect(() => parseWeftdFlags(['--bogus'])).toThrow(/bogus/);
    expect(() => resolveConfig(parseWeftdFlags(['--log-level', 'chatty']).overrides)).toThrow(/logLevel/);
  });
});
