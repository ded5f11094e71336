/** Command-line flags of weftd, turned into a config layer. */
import { parseArgs } from 'node:util';
import { ErrorCodes, WeftError } from '../errors/index.js';
import type { WeftConfig } from '../config/config.js';
import type { LogLevel } from '../log/logger.js';

export interface WeftdFlags {
  configFile?: string;
  overrides: Partial<WeftConfig>;
  help: boolean;
  version: boolean;
}

export const WEFTD_USAGE = `Usage: weftd [options]

Options:
  --config FILE         JSON config file (root, socket, pluginSocket, pluginSweepIntervalMs, logLevel,
                        resolvConf, defaultAddressPools, defaultAddressPoolsV6)
  --root DIR            state directory (default /var/lib/weft)
  --socket PATH         gRPC API socket (default /run/weft/weft.sock)
  --plugin-socket PATH  Docker plugin socket (default /run/docker/plugins/weft.sock)
  --resolv-conf PATH    resolv.conf whose nameservers the embedded DNS forwards to
  --plugin-dir DIR      where remote drivers (third-party Docker plugins: NAME.sock, NAME.spec,
                        NAME.json) are looked for; repeatable (default /run/docker/plugins,
                        /etc/docker/plugins, /usr/lib/docker/plugins)
  --plugin-timeout MS   timeout of one request to a remote driver (default 30000)
  --plugin-retry MS     how long a remote driver lookup or connection is retried (default 15000)
  --log-level LEVEL     trace|debug|info|warn|error|fatal (default info)
  --version             print the version and exit
  -h, --help            print this help and exit`;

export function parseWeftdFlags(argv: string[]): WeftdFlags {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        root: { type: 'string' },
        socket: { type: 'string' },
        'plugin-socket': { type: 'string' },
        'resolv-conf': { type: 'string' },
        'plugin-dir': { type: 'string', multiple: true },
        'plugin-timeout': { type: 'string' },
        'plugin-retry': { type: 'string' },
        'log-level': { type: 'string' },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', (err as Error).message);
  }
  const v = parsed.values;
  return {
    configFile: v.config,
    help: v.help ?? false,
    version: v.version ?? false,
    overrides: {
      root: v.root,
      socket: v.socket,
      pluginSocket: v['plugin-socket'],
      resolvConf: v['resolv-conf'],
      pluginDirs: v['plugin-dir'],
      // Checked by the config layer ("must be a whole number of milliseconds").
      pluginRequestTimeoutMs: v['plugin-timeout'] === undefined ? undefined : Number(v['plugin-timeout']),
      pluginRetryWindowMs: v['plugin-retry'] === undefined ? undefined : Number(v['plugin-retry']),
      logLevel: v['log-level'] as LogLevel | undefined,
    },
  };
}
