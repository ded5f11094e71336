/** `weft network ls`: docker's table, -q, --filter and --format json. */
import type { NetworkFilter, NetworkInspect } from '../../cnm/api-types.js';
import { allValues, isSet, lastValue, UsageError, type ParsedArgs } from '../args.js';
import type { CommandSpec } from '../command.js';
import { goTime, jsonLines, labelList, shortId, table } from '../format.js';

const FILTER_KEYS = ['driver', 'name', 'label', 'id'] as const;

/** --filter KEY=VALUE values as a NetworkFilter; values of one key accumulate. */
export function parseFilters(values: string[] | undefined): NetworkFilter | undefined {
  if (!values) return undefined;
  const filter: NetworkFilter = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    const key = FILTER_KEYS.find((k) => k === item.slice(0, eq));
    if (eq < 0 || key === undefined || eq === item.length - 1) {
      throw new UsageError(`invalid filter "${item}": expected driver=, name=, label= or id= with a value`);
    }
    (filter[key] ??= []).push(item.slice(eq + 1));
  }
  return filter;
}

/** The fields of docker's `network ls --format json` lines. */
function jsonRow(n: NetworkInspect, trunc: boolean) {
  return {
    CreatedAt: goTime(n.Created),
    Driver: n.Driver,
    ID: trunc ? shortId(n.Id) : n.Id,
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: labelList(n.Labels),
    Name: n.Name,
    Scope: n.Scope,
  };
}

function render(networks: NetworkInspect[], a: ParsedArgs): string {
  const trunc = !isSet(a, 'no-trunc');
  const id = (n: NetworkInspect) => (trunc ? shortId(n.Id) : n.Id);
  if (isSet(a, 'quiet')) return networks.map((n) => `${id(n)}\n`).join('');
  if (lastValue(a, 'format') === 'json') return jsonLines(networks.map((n) => jsonRow(n, trunc)));
  const rows = networks.map((n) => [id(n), n.Name, n.Driver, n.Scope]);
  return table(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], rows);
}

export const networkLs: CommandSpec = {
  kind: 'command',
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  summary: 'List networks',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'quiet', short: 'q', type: 'boolean', description: 'Only display network IDs' },
    { name: 'filter', short: 'f', type: 'string', value: 'KEY=VALUE', multiple: true, description: 'Filter output (driver=, name=, label=, id=)' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'Output format: "table" (default) or "json" (one object per line)' },
    { name: 'no-trunc', type: 'boolean', description: 'Do not truncate the output' },
  ],
  async run(session, a) {
    const format = lastValue(a, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`unsupported --format "${format}": use table or json`);
    const filter = parseFilters(allValues(a, 'filter'));
    const networks = await session.api().listNetworks(filter);
    // docker lists networks sorted by name
    networks.sort((x, y) => (x.Name < y.Name ? -1 : x.Name > y.Name ? 1 : 0));
    session.io.stdout.write(render(networks, a));
    return 0;
  },
};
