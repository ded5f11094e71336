/** `weft sandbox create | ls | inspect | rm | exec`. */
import { basename } from 'node:path';
import type { SandboxInspect } from '../../cnm/api-types.js';
import { allValues, isSet, lastValue, UsageError } from '../args.js';
import type { CommandSpec, GroupSpec } from '../command.js';
import { forEachName } from '../errors.js';
import { inspectCommand } from './per-name.js';
import { jsonLines, shortId, table } from '../format.js';

const create: CommandSpec = {
  kind: 'command',
  name: 'create',
  usage: '[OPTIONS] NAME',
  summary: 'Create a sandbox (a network namespace) and connect it to networks',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'network', type: 'string', value: 'NETWORK', multiple: true, description: 'Connect to a network (the first gives the default route)' },
    { name: 'ip', type: 'string', value: 'IP', description: 'IPv4 address on the first network' },
    { name: 'ip6', type: 'string', value: 'IP', description: 'IPv6 address on the first network' },
    { name: 'alias', type: 'string', value: 'NAME', multiple: true, description: 'Network-scoped alias on the first network' },
    { name: 'publish', short: 'p', type: 'string', value: 'SPEC', multiple: true, description: 'Publish a port: [hostIP:]hostPort[-range]:port[/proto] or port' },
    { name: 'dns', type: 'string', value: 'IP', multiple: true, description: 'Custom DNS server' },
    { name: 'dns-search', type: 'string', value: 'DOMAIN', multiple: true, description: 'Custom DNS search domain' },
    { name: 'dns-option', type: 'string', value: 'OPT', multiple: true, description: 'DNS resolver option' },
    { name: 'hostname', type: 'string', value: 'NAME', description: 'Host name' },
  ],
  async run(session, a) {
    const created = await session.api().createSandbox({
      name: a.positionals[0] as string,
      networks: allValues(a, 'network'),
      ipv4: lastValue(a, 'ip'),
      ipv6: lastValue(a, 'ip6'),
      aliases: allValues(a, 'alias'),
      publish: allValues(a, 'publish'),
      dns: allValues(a, 'dns'),
      dnsSearch: allValues(a, 'dns-search'),
      dnsOptions: allValues(a, 'dns-option'),
      hostname: lastValue(a, 'hostname'),
    });
    session.io.stdout.write(`${created.Id}\n`);
    return 0;
  },
};

/** Published ports as `docker ps` shows them: 0.0.0.0:8080->80/tcp, ... */
function portList(s: SandboxInspect): string {
  return Object.entries(s.Ports)
    .flatMap(([port, bindings]) => bindings.map((b) => `${b.HostIp}:${b.HostPort}->${port}`))
    .join(', ');
}

function lsRow(s: SandboxInspect) {
  return { ID: shortId(s.Id), Name: s.Name, Networks: Object.keys(s.Networks).join(','), Ports: portList(s) };
}

const ls: CommandSpec = {
  kind: 'command',
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  summary: 'List sandboxes',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'quiet', short: 'q', type: 'boolean', description: 'Only display sandbox IDs' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'Output format: "table" (default) or "json" (one object per line)' },
  ],
  async run(session, a) {
    const format = lastValue(a, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`unsupported --format "${format}": use table or json`);
    const rows = (await session.api().listSandboxes()).map(lsRow);
    rows.sort((x, y) => (x.Name < y.Name ? -1 : x.Name > y.Name ? 1 : 0));
    const { stdout } = session.io;
    if (isSet(a, 'quiet')) stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
    else if (format === 'json') stdout.write(jsonLines(rows));
    else stdout.write(table(['SANDBOX ID', 'NAME', 'NETWORKS', 'PORTS'], rows.map((r) => [r.ID, r.Name, r.Networks, r.Ports])));
    return 0;
  },
};

const inspect = inspectCommand('NAME [NAME...]', 'Display detailed information on one or more sandboxes', (api, name) => api.inspectSandbox(name));

const rm: CommandSpec = {
  kind: 'command',
  name: 'rm',
  aliases: ['remove'],
  usage: '[OPTIONS] NAME [NAME...]',
  summary: 'Remove one or more sandboxes, disconnecting them from their networks',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', type: 'boolean', description: 'Remove even if tearing down its endpoints fails' }],
  async run(session, a) {
    const api = session.api();
    const force = isSet(a, 'force');
    const { exitCode } = await forEachName(session.io, a.positionals, async (name) => {
      await api.removeSandbox(name, force);
      session.io.stdout.write(`${name}\n`);
    });
    return exitCode;
  },
};

const exec: CommandSpec = {
  kind: 'command',
  name: 'exec',
  usage: 'NAME [--] COMMAND [ARG...]',
  summary: "Run a command in a sandbox's network namespace (ip netns exec)",
  args: { min: 1, max: 1 },
  stopAfter: 1,
  flags: [],
  async run(session, a) {
    const command = a.rest[0] === '--' ? a.rest.slice(1) : a.rest;
    if (command.length === 0) throw new UsageError('"weft sandbox exec" requires a command to run');
    const sandbox = await session.api().inspectSandbox(a.positionals[0] as string);
    // Loaded here: only exec runs a program (child_process), and every other command starts faster without it.
    const run = session.io.run ?? (await import('../run-program.js')).runProgram;
    return run('ip', ['netns', 'exec', basename(sandbox.SandboxKey), ...command]);
  },
};

export const sandboxGroup: GroupSpec = {
  kind: 'group',
  name: 'sandbox',
  summary: 'Manage sandboxes (network namespaces with endpoints)',
  children: [create, exec, inspect, ls, rm],
};
