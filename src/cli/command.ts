/**
 * Commands as data (name, usage, flags, argument count, run) and the runner
 * that parses, prints help, checks usage and dispatches. Usage is checked in
 * full before a command runs, so bad usage never reaches the daemon.
 */
import type { WeftClient } from '../api/grpc/client.js';
import { parseArgs, UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import type { CliIo } from './io.js';

export interface Session {
  io: CliIo;
  /** The client, connected on first use. */
  api(): WeftClient;
}

export interface CommandSpec {
  kind: 'command';
  name: string;
  aliases?: string[];
  /** What follows the command path in the usage line, e.g. "[OPTIONS] NETWORK". */
  usage: string;
  summary: string;
  flags: FlagSpec[];
  /** How many positional arguments it takes. */
  args: { min: number; max?: number };
  /** Arguments after this many positionals are not parsed (sandbox exec's command line). */
  stopAfter?: number;
  run(session: Session, args: ParsedArgs): Promise<number>;
}

export interface GroupSpec {
  kind: 'group';
  name: string;
  summary: string;
  children: (CommandSpec | GroupSpec)[];
}

export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', type: 'boolean', description: 'Print usage' };

function flagHelp(flags: FlagSpec[]): string {
  const left = flags.map((f) => {
    const short = f.short ? `-${f.short}, ` : '    ';
    const value = f.type === 'string' ? ` ${f.value ?? 'string'}${f.multiple ? '...' : ''}` : '';
    return `  ${short}--${f.name}${value}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 3;
  return left.map((l, i) => `${l.padEnd(width)}${flags[i]?.description ?? ''}`).join('\n');
}

export function commandHelp(spec: CommandSpec, path: string): string {
  const options = [...spec.flags, HELP_FLAG];
  const aliases = spec.aliases?.length ? `\n\nAliases:\n  ${[spec.name, ...spec.aliases].join(', ')}` : '';
  return `\nUsage:  ${path} ${spec.usage}\n\n${spec.summary}${aliases}\n\nOptions:\n${flagHelp(options)}\n`;
}

export function groupHelp(group: GroupSpec, path: string, globalFlags: FlagSpec[] = []): string {
  const width = Math.max(...group.children.map((c) => c.name.length)) + 4;
  const commands = group.children.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n');
  const options = globalFlags.length > 0 ? `\n\nOptions:\n${flagHelp([...globalFlags, HELP_FLAG])}` : '';
  return (
    `\nUsage:  ${path} ${globalFlags.length > 0 ? '[OPTIONS] ' : ''}COMMAND\n\n${group.summary}${options}\n\n` +
    `Commands:\n${commands}\n\nRun '${path} COMMAND --help' for more information on a command.\n`
  );
}

function countError(spec: CommandSpec, path: string, got: number): UsageError | undefined {
  const { min, max } = spec.args;
  const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`;
  if (max === 0 && got > 0) return new UsageError(`"${path}" accepts no arguments`);
  if (min === max && got !== min) return new UsageError(`"${path}" requires exactly ${plural(min)}`);
  if (got < min) return new UsageError(`"${path}" requires at least ${plural(min)}`);
  if (max !== undefined && got > max) return new UsageError(`"${path}" accepts at most ${plural(max)}`);
  return undefined;
}

function withHint(err: unknown, path: string): unknown {
  return err instanceof UsageError ? new UsageError(`${err.message} (see '${path} --help')`) : err;
}

async function runCommand(spec: CommandSpec, argv: readonly string[], session: Session, path: string): Promise<number> {
  try {
    const parsed = parseArgs(argv, [...spec.flags, HELP_FLAG], { stopAfter: spec.stopAfter });
    if (parsed.booleans.get('help')) {
      session.io.stdout.write(commandHelp(spec, path));
      return 0;
    }
    const countProblem = countError(spec, path, parsed.positionals.length);
    if (countProblem) throw countProblem;
    return await spec.run(session, parsed);
  } catch (err) {
    throw withHint(err, path);
  }
}

/** Runs `node` (a command, or a group whose first argument names a child) with its arguments. */
export async function runNode(node: CommandSpec | GroupSpec, argv: readonly string[], session: Session, path: string): Promise<number> {
  if (node.kind === 'command') return runCommand(node, argv, session, path);
  let child: CommandSpec | GroupSpec | undefined;
  let rest: string[];
  try {
    const parsed = parseArgs(argv, [HELP_FLAG], { stopAfter: 1 });
    const [name] = parsed.positionals;
    if (name === undefined || parsed.booleans.get('help')) {
      session.io.stdout.write(groupHelp(node, path));
      return 0;
    }
    child = node.children.find((c) => c.name === name || (c.kind === 'command' && c.aliases?.includes(name)));
    if (!child) throw new UsageError(`unknown command "${name}" for "${path}"`);
    rest = parsed.rest;
  } catch (err) {
    throw withHint(err, path);
  }
  return runNode(child, rest, session, `${path} ${child.name}`);
}
