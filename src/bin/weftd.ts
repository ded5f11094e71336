#!/usr/bin/env node
/** weftd: the weft daemon, in the foreground. */
import { loadConfigFile, resolveConfig } from '../config/config.js';
import { startDaemon } from '../daemon.js';
import { isWeftError } from '../errors/index.js';
import { createLogger } from '../log/logger.js';
import { weftVersion } from '../version.js';
import { parseWeftdFlags, WEFTD_USAGE } from './weftd-flags.js';

async function main(): Promise<number> {
  const flags = parseWeftdFlags(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`${WEFTD_USAGE}\n`);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`weftd ${weftVersion()}\n`);
    return 0;
  }
  const fileLayer = flags.configFile ? loadConfigFile(flags.configFile) : {};
  const config = resolveConfig(fileLayer, flags.overrides);
  const log = createLogger({ level: config.logLevel });
  const daemon = await startDaemon(config, log);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'signal received');
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await daemon.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = isWeftError(err) ? err.toString() : err instanceof Error ? err.message : String(err);
    process.stderr.write(`weftd: ${message}\n`);
    process.exit(isWeftError(err) && err.kind === 'BadRequest' ? 2 : 1);
  },
);
