/**
 * The OpExecutor of the real kernel: one op at a time, idempotent. An add
 * that finds an identical object, or a delete that finds nothing (not even
 * the namespace), reports changed:false so apply.ts will not undo it.
 * link.set and sysctl.set record the values they replace in `prev`.
 *
 * One executor serves one apply or one teardown. Once an apply has failed,
 * apply.ts only runs undo ops through it; undo ops (and every teardown op)
 * treat a target that has vanished — its namespace, the link to restore, the
 * per-device sysctl — as already undone, since whatever they would restore
 * went away with it. A forward op on a missing target still fails.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { OpExecutor, OpOutcome } from '../executor.js';
import { describeOp, type KernelOp, type LinkSpec } from '../ops.js';
import { addAddress, deleteAddress } from './addresses.js';
import { hasErrno, invalidOp } from './errno.js';
import { moveLink } from './link-move.js';
import { addLink, deleteLink, setLink, specOfLink, type AddLinkContext } from './links.js';
import type { KernelLogger } from './logger.js';
import { addFdb, addNeighbour, deleteFdb, deleteNeighbour } from './neigh.js';
import type { NetnsRegistry } from './netns.js';
import type { Nft } from './nft.js';
import { addRoute, deleteRoute } from './routes.js';
import type { Rtnl, RtnlPool } from './rtnl.js';
import { normaliseSysctl, type Sysctls } from './sysctl.js';

export interface LinuxExecutorDeps {
  registry: NetnsRegistry;
  rtnl: RtnlPool;
  sysctl: Sysctls;
  nft: Nft;
  logger?: KernelLogger;
  /**
   * Deferred deletion of a veth whose peer is in another namespace (reaper.ts):
   * used for deletes that undo (teardown, rollback), never for a forward
   * link.del, which must stay exactly undoable. Absent: delete at once.
   */
  retireVeth?: (hostName: string, peerNs: string, peerName: string) => Promise<boolean>;
}

type DeleteOp = Extract<KernelOp, { op: 'link.del' | 'addr.del' | 'route.del' | 'neigh.del' | 'fdb.del' }>;

export type ExecutorPhase = 'apply' | 'teardown';

export class LinuxExecutor implements OpExecutor {
  private undoing: boolean;

  constructor(
    private readonly deps: LinuxExecutorDeps,
    phase: ExecutorPhase,
  ) {
    this.undoing = phase === 'teardown';
  }

  async run(op: KernelOp, netns: string | undefined): Promise<OpOutcome> {
    try {
      const outcome = await this.runOne(op, netns);
      this.deps.logger?.debug({ op: op.op, object: describeOp(op), netns, changed: outcome.changed, undo: this.undoing }, 'kernel op');
      return outcome;
    } catch (err) {
      // apply.ts runs nothing but the rollback after a failure.
      this.undoing = true;
      throw err;
    }
  }

  private async runOne(op: KernelOp, netns: string | undefined): Promise<OpOutcome> {
    if (!this.undoing) return this.dispatch(op, netns);
    if (netns !== undefined && !this.deps.registry.exists(netns)) return { changed: false, applied: op };
    try {
      return await this.dispatch(op, netns);
    } catch (err) {
      if (vanishedTarget(op, err)) return { changed: false, applied: op };
      throw err;
    }
  }

  private async dispatch(op: KernelOp, netns: string | undefined): Promise<OpOutcome> {
    switch (op.op) {
      case 'netns.add':
        return { changed: this.deps.registry.create(op.name, op.pinDaemon), applied: op };
      case 'netns.del':
        return { changed: this.deps.registry.delete(op.name), applied: op };
      case 'link.add': {
        const peerNs = op.link.veth?.ns;
        const peerNsFd = peerNs === undefined ? undefined : this.deps.registry.handle(peerNs).fd;
        return { changed: await addLink(this.rtnl(netns), op.link, { peerNsFd, across: this.lowerAcross(op.link, netns) }), applied: op };
      }
      case 'link.set': {
        const { changed, prev } = await setLink(this.rtnl(netns), op.name, op.set);
        return { changed, applied: { ...op, prev } };
      }
      case 'link.move':
        return { changed: await this.moveLink(op, netns), applied: op };
      case 'addr.add':
        return { changed: await addAddress(this.rtnl(netns), op.dev, op.cidr), applied: op };
      case 'route.add':
        return { changed: await addRoute(this.rtnl(netns), op.route), applied: op };
      case 'neigh.add':
        return { changed: await addNeighbour(this.rtnl(netns), op), applied: op };
      case 'fdb.add':
        return { changed: await addFdb(this.rtnl(netns), op), applied: op };
      case 'sysctl.set':
        return this.setSysctl(op, netns);
      case 'nft.apply':
        // An empty batch changes nothing: no need to start nft for it.
        if (op.script.trim() === '') return { changed: false, applied: op };
        await this.deps.nft.apply(op.script, netns);
        return { changed: true, applied: op };
      case 'link.del':
      case 'addr.del':
      case 'route.del':
      case 'neigh.del':
      case 'fdb.del':
        return this.runDelete(op, netns);
    }
  }

  /** Deletes in a namespace that is gone found their object gone with it. */
  private async runDelete(op: DeleteOp, netns: string | undefined): Promise<OpOutcome> {
    if (netns !== undefined && !this.deps.registry.exists(netns)) return { changed: false, applied: op };
    const rtnl = this.rtnl(netns);
    switch (op.op) {
      case 'link.del':
        return this.deleteLink(rtnl, op);
      case 'addr.del':
        return { changed: await deleteAddress(rtnl, op.dev, op.cidr), applied: op };
      case 'route.del':
        return { changed: await deleteRoute(rtnl, op.route), applied: op };
      case 'neigh.del':
        return { changed: await deleteNeighbour(rtnl, op), applied: op };
      case 'fdb.del':
        return { changed: await deleteFdb(rtnl, op), applied: op };
    }
  }

  /**
   * A link.del must be undoable: without a spec, describe the link before
   * deleting it. A veth whose peer is in another namespace cannot be
   * described from here, so that case is refused before anything changes.
   */
  private async deleteLink(rtnl: Rtnl, op: Extract<KernelOp, { op: 'link.del' }>): Promise<OpOutcome> {
    let applied = op;
    if (!op.link) {
      const spec = await specOfLink(rtnl, op.name);
      if (!spec) return { changed: false, applied: op };
      if (spec.kind === 'veth' && !spec.veth) {
        throw new WeftError(
          ErrorCodes.INVALID_ARGUMENT,
          'BadRequest',
          `link.del ${op.name}: its veth peer is in another namespace, so it could not be recreated on rollback; pass the link spec`,
          { details: { link: op.name } },
        );
      }
      applied = { ...op, link: spec };
    }
    const peer = applied.link?.kind === 'veth' ? applied.link.veth : undefined;
    const retire = this.deps.retireVeth;
    if (retire && this.undoing && rtnl.netns === undefined && peer?.ns !== undefined && this.deps.registry.exists(peer.ns)) {
      return { changed: await retire(op.name, peer.ns, peer.name), applied };
    }
    return { changed: await deleteLink(rtnl, op.name), applied };
  }

  /** Both namespaces by fd: the source's to restore a half-done move, the target's to move to. */
  private moveLink(op: Extract<KernelOp, { op: 'link.move' }>, netns: string | undefined): Promise<boolean> {
    const { registry } = this.deps;
    const fdOf = (ns: string | undefined) => (ns === undefined ? registry.ownFd() : registry.handle(ns).fd);
    const from = { rtnl: this.rtnl(netns), fd: fdOf(netns) };
    const to = { rtnl: this.rtnl(op.toNs), fd: fdOf(op.toNs) };
    return moveLink(from, to, op.name, op.newName ?? op.name);
  }

  private setSysctl(op: Extract<KernelOp, { op: 'sysctl.set' }>, netns: string | undefined): OpOutcome {
    const prev = this.deps.sysctl.read(op.key, netns);
    if (normaliseSysctl(prev) === normaliseSysctl(op.value)) return { changed: false, applied: { ...op, prev } };
    this.deps.sysctl.write(op.key, op.value, netns);
    return { changed: true, applied: { ...op, prev } };
  }

  /** A macvlan whose parent is in another namespace is made through that namespace's socket. */
  private lowerAcross(link: LinkSpec, netns: string | undefined): AddLinkContext['across'] {
    const parentNs = link.macvlan?.parentNs;
    if (parentNs === undefined || (parentNs ?? undefined) === netns) return undefined;
    if (netns === undefined) throw invalidOp(`macvlan ${link.name}: a link in the daemon's namespace takes its parent from there`);
    return { lower: this.rtnl(parentNs ?? undefined), linkNsFd: this.deps.registry.handle(netns).fd };
  }

  private rtnl(netns: string | undefined): Rtnl {
    return this.deps.rtnl.get(netns);
  }
}

/** The link to restore or move back is gone (ENODEV), or the per-device sysctl went with its device (ENOENT). */
function vanishedTarget(op: KernelOp, err: unknown): boolean {
  if (op.op === 'link.set' || op.op === 'link.move') return hasErrno(err, 'ENODEV');
  if (op.op === 'sysctl.set') return hasErrno(err, 'ENOENT');
  return false;
}
