/** Plugin directories and timeouts for remote drivers: weftd flags and config file keys. */
import { describe, expect, it } from 'vitest';
import { parseWeftdFlags } from '../../src/bin/weftd-flags.js';
import { resolveConfig } from '../../src/config/config.js';
import { DEFAULT_PLUGIN_DIRS } from '../../src/drivers/remote/index.js';

describe('plugin settings', () => {
  it('takes --plugin-dir (repeatable), --plugin-timeout and --plugin-retry', () => {
    const flags = parseWeftdFlags(['--plugin-dir', '/tmp/a', '--plugin-dir', '/tmp/b', '--plugin-timeout', '2000', '--plugin-retry', '0']);
    expect(resolveConfig(flags.overrides)).toMatchObject({ pluginDirs: ['/tmp/a', '/tmp/b'], pluginRequestTimeoutMs: 2000, pluginRetryWindowMs: 0 });
  });

  it("defaults to dockerd's directories (left to the registry when unset)", () => {
    expect(resolveConfig().pluginDirs).toBeUndefined();
    expect(DEFAULT_PLUGIN_DIRS).toEqual(['/run/docker/plugins', '/etc/docker/plugins', '/usr/lib/docker/plugins']);
  });

  it.each([
    [{ pluginDirs: ['relative/dir'] }, /"pluginDirs" must be a non-empty array of absolute paths/],
    [{ pluginDirs: [] }, /"pluginDirs"/],
    [{ pluginRequestTimeoutMs: 0 }, /"pluginRequestTimeoutMs" must be a whole number/],
    [{ pluginRetryWindowMs: Number.NaN }, /"pluginRetryWindowMs" must be a whole number/],
  ])('refuses %j', (layer, message) => {
    expect(() => resolveConfig(layer as never)).toThrow(message);
  });
});
