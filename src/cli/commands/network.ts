/** `weft network create | inspect | rm | prune | connect | disconnect` (ls: network-ls.ts). */
import type { NetworkCreateRequest } from '../../cnm/api-types.js';
import { allValues, isSet, keyValues, lastValue, UsageError, type ParsedArgs } from '../args.js';
import type { CommandSpec, GroupSpec, Session } from '../command.js';
import { forEachName } from '../errors.js';
import { inspectCommand } from './per-name.js';
import type { CliIo } from '../io.js';
import { networkLs } from './network-ls.js';

function createRequest(name: string, a: ParsedArgs): NetworkCreateRequest {
  return {
    name,
    driver: lastValue(a, 'driver'),
    subnets: allValues(a, 'subnet'),
    gateways: allValues(a, 'gateway'),
    ipRanges: allValues(a, 'ip-range'),
    auxAddresses: keyValues(a, 'aux-address'),
    ipamDriver: lastValue(a, 'ipam-driver'),
    ipamOptions: keyValues(a, 'ipam-opt'),
    options: keyValues(a, 'opt'),
    labels: keyValues(a, 'label', true),
    internal: isSet(a, 'internal') || undefined,
    attachable: isSet(a, 'attachable') || undefined,
    ipv6: isSet(a, 'ipv6') || undefined,
  };
}

const create: CommandSpec = {
  kind: 'command',
  name: 'create',
  usage: '[OPTIONS] NETWORK',
  summary: 'Create a network',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'driver', short: 'd', type: 'string', value: 'DRIVER', description: 'Driver to manage the network (default "bridge")' },
    { name: 'subnet', type: 'string', value: 'CIDR', multiple: true, description: 'Subnet in CIDR format' },
    { name: 'gateway', type: 'string', value: 'IP', multiple: true, description: 'Gateway for the subnet it falls in' },
    { name: 'ip-range', type: 'string', value: 'CIDR', multiple: true, description: 'Allocate addresses from a sub-range of a subnet' },
    { name: 'aux-address', type: 'string', value: 'NAME=IP', multiple: true, description: 'Address the IPAM driver must not hand out' },
    { name: 'ipam-driver', type: 'string', value: 'NAME', description: 'IP address management driver (default "default")' },
    { name: 'ipam-opt', type: 'string', value: 'K=V', multiple: true, description: 'IPAM driver option' },
    { name: 'opt', short: 'o', type: 'string', value: 'K=V', multiple: true, description: 'Driver option' },
    { name: 'internal', type: 'boolean', description: 'Restrict external access to the network' },
    { name: 'attachable', type: 'boolean', description: 'Allow manual attachment' },
    { name: 'ipv6', type: 'boolean', description: 'Enable IPv6 networking' },
    { name: 'label', type: 'string', value: 'K=V', multiple: true, description: 'Metadata on the network' },
  ],
  async run(session, a) {
    const request = createRequest(a.positionals[0] as string, a);
    const created = await session.api().createNetwork(request);
    session.io.stdout.write(`${created.Id}\n`);
    return 0;
  },
};

const inspect = inspectCommand('NETWORK [NETWORK...]', 'Display detailed information on one or more networks', (api, name) => api.inspectNetwork(name));

const rm: CommandSpec = {
  kind: 'command',
  name: 'rm',
  aliases: ['remove'],
  usage: 'NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  args: { min: 1 },
  flags: [],
  async run(session, a) {
    const api = session.api();
    const { exitCode } = await forEachName(session.io, a.positionals, async (name) => {
      await api.removeNetwork(name);
      session.io.stdout.write(`${name}\n`);
    });
    return exitCode;
  },
};

/** Reads one line of answer; anything but y/yes (including end of input) is no. */
async function confirm(io: CliIo, question: string): Promise<boolean> {
  io.stdout.write(`${question} [y/N] `);
  // Loaded here: only prune asks, and every other command starts faster without it.
  const { createInterface } = await import('node:readline');
  const lines = createInterface({ input: io.stdin ?? process.stdin, terminal: false });
  try {
    for await (const line of lines) return /^\s*y(es)?\s*$/i.test(line);
    return false;
  } finally {
    lines.close();
  }
}

const prune: CommandSpec = {
  kind: 'command',
  name: 'prune',
  usage: '[OPTIONS]',
  summary: 'Remove all networks without endpoints',
  args: { min: 0, max: 0 },
  flags: [{ name: 'force', short: 'f', type: 'boolean', description: 'Do not prompt for confirmation' }],
  async run(session, a) {
    const { io } = session;
    if (!isSet(a, 'force')) {
      // Without a terminal nobody can answer; deleting unasked would be worse.
      if (!io.isTTY) throw new UsageError('stdin is not a terminal: pass -f/--force to prune without confirmation');
      const question = 'WARNING! This will remove all custom networks without endpoints.\nAre you sure you want to continue?';
      if (!(await confirm(io, question))) return 0;
    }
    const removed = await session.api().pruneNetworks();
    if (removed.length > 0) io.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`);
    return 0;
  },
};

const connect: CommandSpec = {
  kind: 'command',
  name: 'connect',
  usage: '[OPTIONS] NETWORK SANDBOX',
  summary: 'Connect a sandbox to a network',
  args: { min: 2, max: 2 },
  flags: [
    { name: 'ip', type: 'string', value: 'IP', description: 'IPv4 address' },
    { name: 'ip6', type: 'string', value: 'IP', description: 'IPv6 address' },
    { name: 'alias', type: 'string', value: 'NAME', multiple: true, description: 'Network-scoped alias for the sandbox' },
  ],
  async run(session, a) {
    const [network, sandbox] = a.positionals as [string, string];
    const request = { network, sandbox, ipv4: lastValue(a, 'ip'), ipv6: lastValue(a, 'ip6'), aliases: allValues(a, 'alias') };
    await session.api().connect(request);
    return 0;
  },
};

const disconnect: CommandSpec = {
  kind: 'command',
  name: 'disconnect',
  usage: '[OPTIONS] NETWORK SANDBOX',
  summary: 'Disconnect a sandbox from a network',
  args: { min: 2, max: 2 },
  flags: [{ name: 'force', short: 'f', type: 'boolean', description: 'Force the sandbox to disconnect from a network' }],
  async run(session: Session, a) {
    const [network, sandbox] = a.positionals as [string, string];
    await session.api().disconnect(network, sandbox, isSet(a, 'force'));
    return 0;
  },
};

export const networkGroup: GroupSpec = {
  kind: 'group',
  name: 'network',
  summary: 'Manage networks',
  children: [connect, create, disconnect, inspect, networkLs, prune, rm],
};
