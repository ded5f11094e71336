import type { Kernel } from './kernel.js';

/**
 * Routes and interface addresses of a namespace, as "CIDR description" lines:
 * what IPAM's route-awareness must not overlap. Default routes are left out
 * (every subnet is inside them).
 */
export async function cidrsInUse(kernel: Kernel, netns?: string): Promise<string[]> {
  const [routes, addresses] = await Promise.all([kernel.routes(netns), kernel.addresses(netns)]);
  return [
    ...routes.filter((r) => r.dst !== 'default').map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ''} (route)`),
    ...addresses.map((a) => `${a.cidr} on ${a.dev} (address)`),
  ];
}
