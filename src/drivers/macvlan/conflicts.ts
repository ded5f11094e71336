/**
 * Two macvlan networks on one parent share one L2 segment, so they must not
 * overlap in addresses; and a passthru macvlan takes the parent to itself,
 * so a passthru network shares its parent with no other. Networks on
 * different parents (eth0 and eth0.10 are different segments) never conflict.
 */
import type { MacvlanMode } from '../../kernel/ops.js';
import { cidrsOverlap, parseCidr } from '../../ipam/cidr.js';
import type { NetworkInfo, NetworkSpec } from '../driver.js';
import { peerNetworkData } from './data.js';
import { parentInUse } from './errors.js';

export function checkParentConflicts(spec: NetworkSpec, parent: string, mode: MacvlanMode, others: readonly NetworkInfo[]): void {
  for (const other of others) {
    const data = peerNetworkData(other);
    if (other.id === spec.id || data?.parent !== parent) continue;
    const details = { parent, network: other.name };
    if (mode === 'passthru') {
      throw parentInUse(`parent interface ${parent} is already used by macvlan network ${other.name}: macvlan_mode=passthru needs the parent to itself`, details);
    }
    if (data.mode === 'passthru') {
      throw parentInUse(`parent interface ${parent} is used by macvlan network ${other.name} in passthru mode, which leaves it to no other network`, details);
    }
    const overlap = overlappingSubnets(spec, other);
    if (overlap) {
      throw parentInUse(
        `subnet ${overlap.mine} overlaps subnet ${overlap.theirs} of macvlan network ${other.name} on the same parent interface ${parent}`,
        details,
      );
    }
  }
}

function overlappingSubnets(spec: NetworkSpec, other: NetworkInfo): { mine: string; theirs: string } | undefined {
  for (const mine of [...spec.v4, ...spec.v6]) {
    for (const theirs of [...other.v4, ...other.v6]) {
      const a = parseCidr(mine.subnet);
      const b = parseCidr(theirs.subnet);
      if (cidrsOverlap(a, b)) return { mine: mine.subnet, theirs: theirs.subnet };
    }
  }
  return undefined;
}
