/**
 * The fake's OpExecutor: runs one op against the model, after giving the
 * fault injector its chance, and records the call. apply.ts drives it, so
 * ordering and rollback are exactly the real kernel's.
 *
 * Like the Linux executor, undo ops (rollback and teardown) treat a target
 * that has vanished as already undone: anything in a namespace that is gone,
 * a link.set or link.move whose link is gone (ENODEV), a per-device sysctl whose device is
 * gone (ENOENT). Forward ops on a missing target fail. An injected fault
 * always fails its op, so tests keep a reliable lever.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { OpExecutor, OpOutcome } from '../executor.js';
import type { KernelFeatures } from '../kernel.js';
import type { KernelOp } from '../ops.js';
import { addAddress, deleteAddress } from './addresses.js';
import { errno } from './errno.js';
import { unsupported } from './features.js';
import type { CallPhase, FaultInjector } from './faults.js';
import { addLink } from './link-add.js';
import { moveLink } from './link-move.js';
import { removeLink } from './link-rules.js';
import { deleteLink, setLink } from './links.js';
import type { FakeWorld } from './model.js';
import { addFdbEntry, addNeighbour, deleteFdbEntry, deleteNeighbour } from './neighbours.js';
import { applyNftScript } from './nft.js';
import { addRoute, deleteRoute } from './routes.js';
import { writeSysctl } from './sysctl.js';

export type CallOutcome = 'applied' | 'noop' | 'failed';

/** One op the fake ran: forward in an apply, undoing a failed apply, or tearing down. */
export interface FakeCall {
  /** 1, 2, … over the fake's lifetime (not reset by clearCalls), so calls from separate applies order. */
  seq: number;
  phase: CallPhase;
  op: KernelOp;
  /** The namespace the op ran in; undefined for the daemon's own (and for netns.add/del). */
  netns: string | undefined;
  outcome: CallOutcome;
  /** For 'failed': the errno name or WEFT_ code, and the message. */
  error?: { code: string; message: string };
}

export interface FakeCore {
  readonly world: FakeWorld;
  readonly features: KernelFeatures;
  readonly faults: FaultInjector;
  record(call: Omit<FakeCall, 'seq'>): void;
}

export class FakeExecutor implements OpExecutor {
  /** 'apply' turns into 'rollback' at the first failure: apply.ts runs only undo ops after one. */
  private phase: CallPhase;

  constructor(
    private readonly core: FakeCore,
    phase: 'apply' | 'teardown',
  ) {
    this.phase = phase;
  }

  async run(op: KernelOp, netns: string | undefined): Promise<OpOutcome> {
    const phase = this.phase;
    const recorded = structuredClone(op);
    try {
      const fault = this.core.faults.check(recorded, netns, phase);
      if (fault) throw fault;
      const outcome = phase === 'apply' ? runOp(this.core, structuredClone(op), netns) : this.undo(op, netns);
      this.core.record({ phase, op: recorded, netns, outcome: outcome.changed ? 'applied' : 'noop' });
      return outcome;
    } catch (err) {
      this.core.record({ phase, op: recorded, netns, outcome: 'failed', error: describeError(err) });
      if (this.phase === 'apply') this.phase = 'rollback';
      throw err;
    }
  }

  private undo(op: KernelOp, netns: string | undefined): OpOutcome {
    const vanished: OpOutcome = { changed: false, applied: structuredClone(op) };
    if (netns !== undefined && !this.core.world.has(netns)) return vanished;
    try {
      return runOp(this.core, structuredClone(op), netns);
    } catch (err) {
      if (vanishedTarget(op, err)) return vanished;
      throw err;
    }
  }
}

/** What an undo op may find gone: the link to restore, or the per-device sysctl that went with its device. */
function vanishedTarget(op: KernelOp, err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return ((op.op === 'link.set' || op.op === 'link.move') && code === 'ENODEV') || (op.op === 'sysctl.set' && code === 'ENOENT');
}

function describeError(err: unknown): { code: string; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'UNKNOWN';
  return { code, message };
}

/** One op against the model. `op` is the fake's own copy, so it may be returned as `applied`. */
function runOp(core: FakeCore, op: KernelOp, netns: string | undefined): OpOutcome {
  const { world } = core;
  const done = (changed: boolean, applied: KernelOp = op): OpOutcome => ({ changed, applied });
  switch (op.op) {
    case 'netns.add':
      checkNetnsName(op.name);
      if (world.has(op.name)) return done(false);
      if (op.pinDaemon) world.alias(op.name);
      else world.add(op.name);
      return done(true);
    case 'netns.del':
      return done(deleteNamespace(world, op.name));
    case 'link.add':
      return done(addLink(world, core.features, netns, op.link));
    case 'link.del': {
      if (isGone(world, netns)) return done(false);
      const result = deleteLink(world, netns, op.name, op.link);
      return done(result.changed, { ...op, ...(result.spec && { link: result.spec }) });
    }
    case 'link.set': {
      const result = setLink(world, netns, op.name, op.set);
      return done(result.changed, { ...op, prev: result.prev });
    }
    case 'link.move':
      return done(moveLink(world, netns, op.name, op.toNs, op.newName ?? op.name));
    case 'sysctl.set': {
      const result = writeSysctl(world.get(netns), op.key, op.value);
      return done(result.changed, { ...op, prev: result.prev });
    }
    case 'nft.apply':
      if (!core.features.nftables) throw unsupported('nftables', 'an nftables batch');
      if (op.script.trim() === '') return done(false);
      applyNftScript(world.get(netns).nft, op.script);
      // Like `nft -f`, a script counts as applied even when it changed nothing: its undo still runs.
      return done(true);
    default:
      return done(runEntryOp(world, op, netns));
  }
}

/** Ops on table entries (addresses, routes, neighbours, FDB): the answer is only "changed or not". */
function runEntryOp(world: FakeWorld, op: KernelOp, netns: string | undefined): boolean {
  if (op.op.endsWith('.del') && isGone(world, netns)) return false;
  const ns = world.get(netns);
  switch (op.op) {
    case 'addr.add':
      return addAddress(ns, op.dev, op.cidr);
    case 'addr.del':
      return deleteAddress(ns, op.dev, op.cidr);
    case 'route.add':
      return addRoute(ns, op.route);
    case 'route.del':
      return deleteRoute(ns, op.route);
    case 'neigh.add':
      return addNeighbour(ns, op);
    case 'neigh.del':
      return deleteNeighbour(ns, op);
    case 'fdb.add':
      return addFdbEntry(ns, op);
    case 'fdb.del':
      return deleteFdbEntry(ns, op);
    default:
      throw new WeftError(ErrorCodes.INTERNAL, 'Internal', `fake kernel: unhandled op ${op.op}`);
  }
}

/** A delete in a namespace that is gone finds its object gone with it (as the Linux executor does). */
function isGone(world: FakeWorld, netns: string | undefined): boolean {
  return netns !== undefined && !world.has(netns);
}

/** Names under /run/netns are file names. */
function checkNetnsName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.length > 255) {
    throw errno('EINVAL', `invalid network namespace name '${name}'`);
  }
}

/** Deleting a namespace destroys its links; a veth end elsewhere goes with its peer. */
function deleteNamespace(world: FakeWorld, name: string): boolean {
  if (!world.has(name)) return false;
  if (world.isAlias(name)) {
    world.remove(name);
    return true;
  }
  for (const linkName of [...world.get(name).links.keys()]) removeLink(world, name, linkName);
  world.remove(name);
  return true;
}
