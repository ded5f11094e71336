/**
 * Plan execution shared by the real and the fake kernel: ops in order,
 * rollback in reverse on failure, teardown that carries on past errors.
 */
import { ErrorCodes, WeftError } from '../errors/index.js';
import type { OpExecutor } from './executor.js';
import { describeOp, inverseOf, teardownOf, type KernelOp } from './ops.js';

export async function applyPlan(
  executor: OpExecutor,
  ops: readonly KernelOp[],
  defaultNetns: string | undefined,
): Promise<KernelOp[]> {
  const applied: KernelOp[] = [];
  const undo: KernelOp[] = [];
  for (const op of ops) {
    const netns = opNetns(op, defaultNetns);
    try {
      const outcome = await executor.run(op, netns);
      applied.push(outcome.applied);
      if (outcome.changed) undo.push(inverseOf(outcome.applied));
    } catch (err) {
      const failure = contextualise(err, op, netns);
      const rollbackErrors = await runUndo(executor, undo, defaultNetns);
      failure.details.rolledBack = undo.length;
      if (rollbackErrors.length > 0) {
        failure.details.rollbackErrors = rollbackErrors.map((e) => e.toString());
      }
      throw failure;
    }
  }
  return applied;
}

export async function teardownPlan(
  executor: OpExecutor,
  ops: readonly KernelOp[],
  defaultNetns: string | undefined,
): Promise<void> {
  const errors: WeftError[] = [];
  for (const op of teardownOf(ops)) {
    try {
      await executor.run(op, opNetns(op, defaultNetns));
    } catch (err) {
      errors.push(contextualise(err, op, opNetns(op, defaultNetns)));
    }
  }
  if (errors.length > 0) {
    throw new WeftError(
      ErrorCodes.KERNEL_OP_FAILED,
      'Internal',
      `teardown left ${errors.length} error(s): ${errors.map((e) => e.message).join('; ')}`,
      { details: { errors: errors.map((e) => ({ code: e.code, message: e.message, ...e.details })) } },
    );
  }
}

async function runUndo(executor: OpExecutor, undo: KernelOp[], defaultNetns: string | undefined) {
  const errors: WeftError[] = [];
  for (const op of [...undo].reverse()) {
    const netns = opNetns(op, defaultNetns);
    try {
      await executor.run(op, netns);
    } catch (err) {
      errors.push(contextualise(err, op, netns));
    }
  }
  return errors;
}

function opNetns(op: KernelOp, defaultNetns: string | undefined): string | undefined {
  if (op.op === 'netns.add' || op.op === 'netns.del') return undefined;
  return op.ns ?? defaultNetns;
}

/** Turn whatever an executor threw into a WeftError that names op, object, namespace and errno. */
export function contextualise(err: unknown, op: KernelOp, netns: string | undefined): WeftError {
  const where = netns ? ` in netns ${netns}` : '';
  if (err instanceof WeftError) {
    err.details.op ??= op.op;
    err.details.object ??= describeOp(op);
    if (netns) err.details.netns ??= netns;
    return err;
  }
  const errno = errnoName(err);
  const reason = err instanceof Error ? err.message : String(err);
  return new WeftError(
    ErrorCodes.KERNEL_OP_FAILED,
    'Internal',
    `${op.op} ${describeOp(op)}${where} failed: ${errno ?? reason}`,
    { cause: err, details: { op: op.op, object: describeOp(op), netns, errno, reason } },
  );
}

function errnoName(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return undefined;
}
