/**
 * Asking a driver for a network plan, with what a pure driver cannot find
 * out itself: the host links it asked about and its other networks
 * (HostFacts, for drivers with `requirements`), then the kernel features the
 * plan needs, checked before anything is applied. And on removal, which of a
 * network's ops to undo: a link another network's plan also adds is shared
 * (a VLAN sub-interface under several macvlan networks) and stays for the last.
 */
import type { Driver, HostFacts, NetworkPlan, NetworkSpec } from '../drivers/driver.js';
import type { KernelOp } from '../kernel/ops.js';
import type { ControllerContext } from './context.js';
import type { NetworkRecord } from './records.js';
import { networkInfo } from './views.js';

/** The driver's plan for `spec`; throws (WEFT_KERNEL_UNSUPPORTED among others) before anything changed. */
export async function planNetwork(ctx: ControllerContext, driver: Driver, spec: NetworkSpec): Promise<NetworkPlan> {
  const plan = await driver.createNetwork(spec, await hostFacts(ctx, driver, spec));
  for (const need of plan.requires ?? []) await ctx.kernel.require(need.feature, need.purpose);
  return plan;
}

async function hostFacts(ctx: ControllerContext, driver: Driver, spec: NetworkSpec): Promise<HostFacts | undefined> {
  if (!driver.requirements) return undefined;
  const wanted = driver.requirements(spec).links;
  const present = new Set(wanted.length === 0 ? [] : (await ctx.kernel.links()).map((l) => l.name));
  return {
    presentLinks: wanted.filter((name) => present.has(name)),
    networks: [...ctx.repo.networks.values()].filter((n) => n.driver === driver.name).map(networkInfo),
  };
}

/** What removing `net` undoes: its ops, except the daemon-namespace links other networks' ops also add. */
export function networkTeardownOps(ctx: ControllerContext, net: NetworkRecord): KernelOp[] {
  const shared = new Set<string>();
  for (const other of ctx.repo.networks.values()) {
    if (other.id === net.id) continue;
    for (const op of other.ops) if (op.op === 'link.add' && op.ns === undefined) shared.add(op.link.name);
  }
  return net.ops.filter((op) => !(op.op === 'link.add' && op.ns === undefined && shared.has(op.link.name)));
}
