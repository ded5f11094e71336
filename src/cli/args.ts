/**
 * A small command-line parser with docker's (pflag's) conventions: long
 * flags `--name value` / `--name=value`, short flags `-n value` / `-nvalue`,
 * grouped booleans `-qf`, flags and arguments in any order, `--` ends the
 * flags, and a repeated flag accumulates its values. Written here rather than
 * node:util parseArgs for exact one-line messages and positional stops.
 */
import { ErrorCodes, WeftError } from '../errors/index.js';

export interface FlagSpec {
  name: string;
  short?: string;
  /** A boolean takes no value (`--internal`, or `--internal=false`). */
  type: 'string' | 'boolean';
  /** Placeholder shown in help, e.g. CIDR. */
  value?: string;
  /** A repeated flag accumulates (shown as "..." in help); otherwise the last one wins. */
  multiple?: boolean;
  description: string;
}

export interface ParsedArgs {
  /** String flags as lists of every value given; booleans as true/false. */
  strings: Map<string, string[]>;
  booleans: Map<string, boolean>;
  positionals: string[];
  /** Arguments after `--`, or after the stopAfter-th positional, left unparsed. */
  rest: string[];
}

export interface ParseOptions {
  /** Stop parsing after this many positionals: what follows belongs to someone else. */
  stopAfter?: number;
}

/** Bad usage: exit code 2 (docs/errors.md), found before anything is sent to the daemon. */
export class UsageError extends WeftError {
  constructor(message: string) {
    super(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', message);
  }
}

function setFlag(parsed: ParsedArgs, spec: FlagSpec, value: string | undefined): void {
  if (spec.type === 'boolean') {
    if (value !== undefined && !['true', 'false', '1', '0'].includes(value)) {
      throw new UsageError(`invalid value "${value}" for --${spec.name}: expected true or false`);
    }
    parsed.booleans.set(spec.name, value === undefined || value === 'true' || value === '1');
    return;
  }
  if (value === undefined) throw new UsageError(`flag needs an argument: --${spec.name}`);
  parsed.strings.set(spec.name, [...(parsed.strings.get(spec.name) ?? []), value]);
}

/** `-abc`: booleans a and b, or a string flag taking the rest (`-dbridge`) or the next argument. Returns how many argv items were used. */
function parseShortGroup(parsed: ParsedArgs, specs: FlagSpec[], arg: string, next: string | undefined): number {
  for (let i = 1; i < arg.length; i++) {
    const spec = specs.find((s) => s.short === arg[i]);
    if (!spec) throw new UsageError(`unknown shorthand flag: '${arg[i]}' in ${arg}`);
    if (spec.type === 'boolean') {
      setFlag(parsed, spec, undefined);
      continue;
    }
    const inline = arg.slice(i + 1).replace(/^=/, '');
    if (inline !== '') {
      setFlag(parsed, spec, inline);
      return 1;
    }
    setFlag(parsed, spec, next);
    return 2;
  }
  return 1;
}

function parseLong(parsed: ParsedArgs, specs: FlagSpec[], arg: string, next: string | undefined): number {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
  const spec = specs.find((s) => s.name === name);
  if (!spec) throw new UsageError(`unknown flag: --${name}`);
  if (eq >= 0) {
    setFlag(parsed, spec, arg.slice(eq + 1));
    return 1;
  }
  if (spec.type === 'boolean') {
    setFlag(parsed, spec, undefined);
    return 1;
  }
  setFlag(parsed, spec, next);
  return 2;
}

export function parseArgs(argv: readonly string[], specs: FlagSpec[], options: ParseOptions = {}): ParsedArgs {
  const parsed: ParsedArgs = { strings: new Map(), booleans: new Map(), positionals: [], rest: [] };
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] as string;
    if (arg === '--') {
      parsed.rest = argv.slice(i + 1);
      break;
    }
    if (arg.startsWith('--')) {
      i += parseLong(parsed, specs, arg, argv[i + 1]);
    } else if (arg.startsWith('-') && arg !== '-') {
      i += parseShortGroup(parsed, specs, arg, argv[i + 1]);
    } else {
      parsed.positionals.push(arg);
      i++;
      if (parsed.positionals.length === options.stopAfter) {
        parsed.rest = argv.slice(i);
        break;
      }
    }
  }
  return parsed;
}

/** The last value of a string flag. */
export function lastValue(parsed: ParsedArgs, name: string): string | undefined {
  return parsed.strings.get(name)?.at(-1);
}

/** Every value of a repeated string flag; undefined when not given. */
export function allValues(parsed: ParsedArgs, name: string): string[] | undefined {
  return parsed.strings.get(name);
}

export function isSet(parsed: ParsedArgs, name: string): boolean {
  return parsed.booleans.get(name) === true;
}

/**
 * KEY=VALUE values of a repeated flag as a map. With `bareKey`, a lone KEY
 * means an empty value (docker's --label); otherwise it is bad usage.
 */
export function keyValues(parsed: ParsedArgs, name: string, bareKey = false): Record<string, string> | undefined {
  const values = parsed.strings.get(name);
  if (!values) return undefined;
  const map: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    if (item === '' || eq === 0 || (eq < 0 && !bareKey)) throw new UsageError(`invalid value "${item}" for --${name}: expected KEY=VALUE`);
    if (eq < 0) map[item] = '';
    else map[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return map;
}
