/**
 * The one way the controller changes the kernel: record an intent (what to
 * undo if the daemon dies half-way), apply the plan, then commit the records
 * and drop the intent in one store transaction. A failure undoes the kernel
 * side (apply rolls back) and the caller's IPAM allocations.
 */
import { asWeftError } from '../errors/index.js';
import type { KernelOp } from '../kernel/ops.js';
import type { FirewallState } from '../firewall/index.js';
import type { ControllerContext } from './context.js';
import { ipamFor } from './plugins.js';
import { newId } from './ids.js';
import type { IntentRecord } from './records.js';
import type { Change } from './repository.js';

export interface PlannedChange {
  what: string;
  ops: KernelOp[];
  /** The firewall after the change; its op runs last. */
  firewall?: { op: KernelOp; state: FirewallState };
  /** IPAM holdings to release if the change does not commit. */
  addresses: { poolId: string; address: string }[];
  pools: string[];
  /** The IPAM of those holdings (absent: the built-in one). */
  ipamDriver?: string;
  /** Records to write, given the ops as applied (the firewall op excluded). */
  commit: (applied: KernelOp[]) => Change[];
  /**
   * false: the commit needs no fsync of its own (TxnOptions.durable), for
   * records that cannot outlive a reboot: a sandbox and its endpoints die
   * with their namespace, and after a power loss the next start forgets
   * vanished sandboxes and gives back addresses no record holds. Networks
   * stay durable (the default).
   */
  durable?: boolean;
}

export async function runChange(ctx: ControllerContext, change: PlannedChange): Promise<void> {
  const intent: IntentRecord = {
    id: newId(),
    what: change.what,
    ops: change.ops,
    addresses: change.addresses,
    pools: change.pools,
    ...(change.ipamDriver !== undefined && { ipamDriver: change.ipamDriver }),
  };
  // Not power-safe, and need not be: what an intent guards (kernel state) does not survive a
  // reboot either; a crash of the daemon finds it (saves an fsync per change).
  await ctx.repo.commit([{ kind: 'intent', put: intent }], { durable: false });
  const ops = change.firewall ? [...change.ops, change.firewall.op] : change.ops;
  let applied: KernelOp[];
  try {
    applied = await ctx.kernel.apply(ops);
  } catch (err) {
    await dropIntent(ctx, intent, change);
    throw err;
  }
  const own = change.firewall ? applied.slice(0, -1) : applied;
  try {
    await ctx.repo.commit([...change.commit(own), { kind: 'intent', remove: intent.id }], { durable: change.durable !== false });
  } catch (err) {
    await ctx.kernel.teardown(applied).catch((e: unknown) => ctx.log.error({ err: e, what: change.what }, 'undo after failed commit'));
    await dropIntent(ctx, intent, change);
    throw asWeftError(err);
  }
  if (change.firewall) ctx.firewall.committed(change.firewall.state);
}

/**
 * The change did not happen: forget its intent, then give back its holdings.
 * If the intent cannot be removed, the holdings stay taken: a restart's undo
 * of the intent releases them, and releasing them now as well could later
 * free a pool or address someone else got in the meantime.
 */
async function dropIntent(ctx: ControllerContext, intent: IntentRecord, change: PlannedChange): Promise<void> {
  try {
    await ctx.repo.commit([{ kind: 'intent', remove: intent.id }]);
  } catch (err) {
    ctx.log.error({ err, what: change.what }, 'cannot remove the intent of a failed change; a restart undoes it');
    return;
  }
  await releaseHoldings(ctx, change);
}

/** Give back addresses and pools to the IPAM they came from; failures are logged, the caller's error stands. */
export async function releaseHoldings(
  ctx: ControllerContext,
  holdings: { addresses: { poolId: string; address: string }[]; pools: string[]; ipamDriver?: string },
): Promise<void> {
  if (holdings.addresses.length === 0 && holdings.pools.length === 0) return;
  const ipam = await ipamFor(ctx, holdings.ipamDriver).catch((err: unknown) => {
    ctx.log.warn({ err, ipamDriver: holdings.ipamDriver, ...holdings }, 'IPAM unavailable: holdings not released');
    return undefined;
  });
  if (!ipam) return;
  for (const { poolId, address } of holdings.addresses) {
    await ipam.releaseAddress(poolId, address).catch((err: unknown) => ctx.log.warn({ err, poolId, address }, 'release address'));
  }
  for (const poolId of holdings.pools) {
    await ipam.releasePool(poolId).catch((err: unknown) => ctx.log.warn({ err, poolId }, 'release pool'));
  }
}
