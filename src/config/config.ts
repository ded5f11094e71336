/**
 * Daemon configuration: embedded defaults, then the JSON config file, then
 * command-line flags. Everything is validated here so that the rest of the
 * daemon gets typed, checked values.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ErrorCodes, WeftError } from '../errors/index.js';
import { LOG_LEVELS, type LogLevel } from '../log/logger.js';

export interface AddressPoolConfig {
  base: string;
  size: number;
}

export interface WeftConfig {
  /** State directory (the embedded store lives here). */
  root: string;
  /** gRPC API socket. */
  socket: string;
  /** Docker plugin protocol socket. */
  pluginSocket: string;
  /** How often engine endpoints a dockerd crash left behind are swept (ms; 0: never); default 60000. */
  pluginSweepIntervalMs?: number;
  logLevel: LogLevel;
  /** The resolv.conf whose nameservers the embedded DNS forwards to. */
  resolvConf: string;
  /** Pools that auto-chosen IPv4 subnets come from (like daemon.json default-address-pools). */
  defaultAddressPools?: AddressPoolConfig[];
  defaultAddressPoolsV6?: AddressPoolConfig[];
  /** Where third-party Docker plugins (remote drivers, -d/--ipam-driver NAME) are looked for; default dockerd's. */
  pluginDirs?: string[];
  /** Timeout of one request to such a plugin (ms); default 30000. */
  pluginRequestTimeoutMs?: number;
  /** How long a plugin lookup or a refused connection is retried (ms, dockerd's 1-2-4-8 backoff scaled into it); default 15000. */
  pluginRetryWindowMs?: number;
}

export const DEFAULT_CONFIG: Readonly<WeftConfig> = Object.freeze({
  root: '/var/lib/weft',
  socket: '/run/weft/weft.sock',
  pluginSocket: '/run/docker/plugins/weft.sock',
  logLevel: 'info',
  resolvConf: '/etc/resolv.conf',
});

const KEYS: ReadonlySet<string> = new Set([
  'root',
  'socket',
  'pluginSocket',
  'pluginSweepIntervalMs',
  'logLevel',
  'resolvConf',
  'defaultAddressPools',
  'defaultAddressPoolsV6',
  'pluginDirs',
  'pluginRequestTimeoutMs',
  'pluginRetryWindowMs',
]);

export function loadConfigFile(path: string): Partial<WeftConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw configError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw configError(`config file ${path} must hold a JSON object`);
  }
  return validatePartial(parsed as Record<string, unknown>, `config file ${path}`);
}

/** Merge layers (later wins) and check the result. */
export function resolveConfig(...layers: Partial<WeftConfig>[]): WeftConfig {
  const merged: WeftConfig = { ...DEFAULT_CONFIG };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
    }
  }
  validatePartial(merged as unknown as Record<string, unknown>, 'configuration');
  return merged;
}

function validatePartial(raw: Record<string, unknown>, where: string): Partial<WeftConfig> {
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw configError(`${where}: unknown setting "${key}"`);
  }
  for (const key of ['root', 'socket', 'pluginSocket', 'resolvConf'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !isAbsolute(value)) {
      throw configError(`${where}: "${key}" must be an absolute path`);
    }
  }
  const sweep = raw.pluginSweepIntervalMs;
  if (sweep !== undefined && (typeof sweep !== 'number' || !Number.isInteger(sweep) || sweep < 0)) {
    throw configError(`${where}: "pluginSweepIntervalMs" must be a non-negative integer`);
  }
  if (raw.logLevel !== undefined && !LOG_LEVELS.includes(raw.logLevel as LogLevel)) {
    throw configError(`${where}: "logLevel" must be one of ${LOG_LEVELS.join('|')}`);
  }
  if (raw.pluginDirs !== undefined) checkDirs(raw.pluginDirs, `${where}: "pluginDirs"`);
  for (const [key, min] of [['pluginRequestTimeoutMs', 1], ['pluginRetryWindowMs', 0]] as const) {
    const value = raw[key];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min && (value as number) <= 3_600_000)) {
      throw configError(`${where}: "${key}" must be a whole number of milliseconds from ${min} to 3600000`);
    }
  }
  for (const key of ['defaultAddressPools', 'defaultAddressPoolsV6'] as const) {
    if (raw[key] !== undefined) checkPools(raw[key], `${where}: "${key}"`);
  }
  return raw as Partial<WeftConfig>;
}

function checkDirs(value: unknown, where: string): void {
  if (!Array.isArray(value) || value.length === 0 || value.some((d) => typeof d !== 'string' || !isAbsolute(d))) {
    throw configError(`${where} must be a non-empty array of absolute paths`);
  }
}

function checkPools(value: unknown, where: string): void {
  if (!Array.isArray(value) || value.length === 0) throw configError(`${where} must be a non-empty array`);
  for (const pool of value) {
    const ok =
      typeof pool === 'object' &&
      pool !== null &&
      typeof (pool as AddressPoolConfig).base === 'string' &&
      Number.isInteger((pool as AddressPoolConfig).size) &&
      (pool as AddressPoolConfig).size > 0 &&
      (pool as AddressPoolConfig).size <= 128;
    if (!ok) throw configError(`${where}: each pool needs {"base": "CIDR", "size": prefix length}`);
  }
}

function configError(message: string): WeftError {
  return new WeftError(ErrorCodes.CONFIG_INVALID, 'BadRequest', message);
}
