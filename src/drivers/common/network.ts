/**
 * Validation both local drivers apply to a network spec before planning.
 */
import type { NetworkSpec } from '../driver.js';
import { invalidArgument } from './errors.js';

/**
 * One subnet per address family, as Docker's bridge driver requires: an
 * endpoint's gateway is then unambiguous without CIDR containment checks.
 */
export function checkSubnets(driver: string, spec: NetworkSpec): void {
  if (spec.v4.length > 1) {
    throw invalidArgument(`the ${driver} driver supports one IPv4 subnet per network, not ${spec.v4.length}`, { network: spec.id });
  }
  if (spec.v6.length > 1) {
    throw invalidArgument(`the ${driver} driver supports one IPv6 subnet per network, not ${spec.v6.length}`, { network: spec.id });
  }
}
