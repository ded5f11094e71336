import type { KernelOp } from './ops.js';

export interface OpOutcome {
  /** False when the op found its work already done ("exists" on add, "gone" on delete). */
  changed: boolean;
  /** The op as applied, with `prev` values filled in where it has them. */
  applied: KernelOp;
}

/** One op at a time against some kernel (real or fake); `apply.ts` adds ordering and rollback. */
export interface OpExecutor {
  run(op: KernelOp, netns: string | undefined): Promise<OpOutcome>;
}
