/**
 * renderFirewall: the whole of weft's nftables state as one script for
 * `nft -f`, which runs it as one transaction. The script first makes sure
 * the tables exist (`table … {}` is a no-op when they do), deletes them, and
 * declares them anew: applying it replaces whatever was there, atomically,
 * and removes rules nobody owns any more. An empty state renders only the
 * removal.
 */
import type { KernelOp } from '../kernel/ops.js';
import { bridgeTable } from './bridge.js';
import { forwardChain } from './filter.js';
import { buildModel, type FirewallModel } from './model.js';
import { natChains } from './nat.js';
import type { FirewallState } from './state.js';
import { ifnameSet, TABLE } from './syntax.js';

const HEADER = '# weft firewall: generated from the daemon\'s state; every apply replaces it whole';

export function renderFirewall(state: FirewallState): string {
  const model = buildModel(state);
  const lines = [
    HEADER,
    `table inet ${TABLE} {}`,
    `delete table inet ${TABLE}`,
    `table bridge ${TABLE} {}`,
    `delete table bridge ${TABLE}`,
  ];
  if (model.networks.length > 0 || model.ports.length > 0) lines.push(...inetTable(model), ...bridgeTable(model));
  return `${lines.join('\n')}\n`;
}

function inetTable(model: FirewallModel): string[] {
  return [
    `table inet ${TABLE} {`,
    ...ifnameSet('all_devices', model.devices, '\t'),
    ...model.networks.flatMap((n) => [`\t# network ${n.id}`, ...ifnameSet(n.set, n.devices, '\t')]),
    ...forwardChain(model, '\t'),
    ...natChains(model, '\t'),
    '}',
  ];
}

/** The op that moves the firewall from `prev` to `next`; its undo restores `prev`. */
export function firewallOp(prev: FirewallState, next: FirewallState): KernelOp {
  return { op: 'nft.apply', script: renderFirewall(next), undo: renderFirewall(prev) };
}
