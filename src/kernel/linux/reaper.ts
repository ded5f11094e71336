/**
 * Deferred veth deletion. Deleting a veth pair costs the kernel an RCU grace
 * period (~16–25 ms here) inside the sendmsg that asks for it, and the
 * `netlink` package sends synchronously, so every delete on the main thread
 * stalled the whole daemon. A batch delete by link group costs about the same
 * as one delete, whatever its size.
 *
 * So a veth whose peer is in a sandbox is retired instead (retireVeth): the
 * host end moves into RETIRED_LINK_GROUP, then the sandbox end (down, its
 * addresses and routes gone with the teardown's earlier ops) is renamed out
 * of the way. From the sandbox's point of view the interface is gone
 * at once: no address, no route, no name to collide with the next connect.
 * The pair itself is freed by one RTM_DELLINK for the whole group, sent from
 * a worker thread (which blocks instead of the daemon), batching whatever
 * retired meanwhile. settle() waits for that; after a crash the next start
 * finds the group again (Kernel.settle at reconcile) and deletes it.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { hasErrno } from './errno.js';
import type { KernelLogger } from './logger.js';
import { IFF_UP, IFLA, RTM } from './messages.js';
import { attr, strAttr, u32 } from './attrs.js';
import { deleteGroupBody, type Rtnl } from './rtnl.js';

/** Link group of retired links waiting to be deleted (weft's live links use 30565). */
export const RETIRED_LINK_GROUP = 30566;

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The worker: one rtnetlink socket in the daemon's namespace (a thread starts
 * in its creator's namespace), one request per message, its body encoded by
 * the main thread (deleteGroupBody). Plain CommonJS
 * in a string so it runs the same from dist/ and from the TypeScript sources
 * under test; the netlink package is required by its resolved path.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createNetlink, Protocol } = require(workerData.netlink);
const sock = createNetlink(Protocol.ROUTE);
sock.on('error', (err) => parentPort.postMessage({ id: -1, error: String(err && err.message) }));
parentPort.on('message', async ({ id, body }) => {
  try {
    await sock.request(${RTM.DELLINK}, [Buffer.from(body)], { timeout: ${REQUEST_TIMEOUT_MS} });
    parentPort.postMessage({ id, deleted: true });
  } catch (err) {
    const message = String(err && err.message);
    parentPort.postMessage(/rejected: (ENODEV|-?19)$/.test(message) ? { id, deleted: false } : { id, error: message });
  }
});
`;

interface Reply {
  id: number;
  deleted?: boolean;
  error?: string;
}

/**
 * Take a veth pair out of use now and leave its deletion to the reaper: the
 * peer (in `peerRtnl`'s namespace, normally down already: the teardown's
 * earlier ops undid its `up`) renamed `weftrm<ifindex>`, the host end moved
 * into RETIRED_LINK_GROUP. false when the host end is already gone.
 */
export async function retireVeth(hostRtnl: Rtnl, hostName: string, peerRtnl: Rtnl, peerName: string): Promise<boolean> {
  // The host end first: once it is in the group, a crash at any later point leaves a pair the
  // next start deletes whole (settle) before it restores the endpoint, if its record is still
  // there. The other way round, a renamed peer behind a live host end would not be restorable.
  if (!(await moveToRetiredGroup(hostRtnl, hostName))) return false;
  await renamePeer(peerRtnl, peerName);
  return true;
}

async function renamePeer(rtnl: Rtnl, name: string): Promise<void> {
  const peer = await rtnl.linkByName(name).catch((err: unknown) => {
    // The sandbox's namespace went away under us: its end went with it.
    if (hasErrno(err, 'ENODEV', 'ENOENT', 'EBADF')) return undefined;
    throw err;
  });
  if (!peer) return;
  if ((peer.flags & IFF_UP) !== 0) await rtnl.setLink({ index: peer.index, flags: 0, change: IFF_UP }, []);
  await rtnl.setLink({ index: peer.index }, [strAttr(IFLA.IFNAME, `weftrm${peer.index}`)]);
}

async function moveToRetiredGroup(rtnl: Rtnl, name: string): Promise<boolean> {
  try {
    await rtnl.setLink({}, [strAttr(IFLA.IFNAME, name), attr(IFLA.GROUP, u32(RETIRED_LINK_GROUP))]);
    return true;
  } catch (err) {
    if (hasErrno(err, 'ENODEV')) return false;
    throw err;
  }
}

function spawnReaperWorker(): Worker {
  const netlink = createRequire(import.meta.url).resolve('netlink');
  return new Worker(WORKER_SOURCE, { eval: true, workerData: { netlink } });
}

/** Deletes RETIRED_LINK_GROUP in the daemon's namespace from a worker thread, in batches. */
export class LinkReaper {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly replies = new Map<number, (reply: Reply) => void>();
  /** The pass running now, if any. */
  private running: Promise<void> | undefined;
  /** Links retired after the running pass began: another pass follows it. */
  private again = false;
  /** This process retired something: passes go to the worker from then on. */
  private retiring = false;
  private closed = false;

  constructor(
    /** Main-thread fallback when the worker cannot run (slow, but the links still go). */
    private readonly deleteGroupHere: (group: number) => Promise<boolean>,
    private readonly logger?: KernelLogger,
    /** Starts the worker (tests substitute one that fails). */
    private readonly spawnWorker: () => Worker = spawnReaperWorker,
  ) {}

  /** Something was retired: a pass starts now, or right after the running one. */
  schedule(): void {
    if (this.closed) return;
    this.retiring = true;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  /**
   * Resolves when every link retired before the call has been deleted. Before
   * this process retired anything (a start after a crash) the group is
   * deleted on the main thread: usually there is nothing (one quick ENODEV),
   * and no worker is started for it.
   */
  async settle(): Promise<void> {
    if (!this.retiring) {
      await this.deleteHere();
      return;
    }
    this.schedule();
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again);
    } finally {
      this.running = undefined;
    }
  }

  private async pass(): Promise<void> {
    try {
      const reply = await this.ask(RETIRED_LINK_GROUP);
      if (reply.error === undefined) return;
      this.logger?.warn({ err: reply.error }, 'reaper worker could not delete retired links; deleting them on the main thread');
    } catch (err) {
      this.logger?.warn({ err }, 'reaper worker unavailable; deleting retired links on the main thread');
    }
    await this.deleteHere();
  }

  private async deleteHere(): Promise<void> {
    await this.deleteGroupHere(RETIRED_LINK_GROUP).catch((err: unknown) => this.logger?.warn({ err }, 'retired links not deleted; the next start deletes them'));
  }

  private ask(group: number): Promise<Reply> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<Reply>((resolve) => {
      this.replies.set(id, resolve);
      worker.postMessage({ id, body: new Uint8Array(Buffer.concat(deleteGroupBody(group))) });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = this.spawnWorker();
    worker.unref();
    worker.on('message', (reply: Reply) => {
      if (reply.id === -1) {
        this.logger?.warn({ err: reply.error }, 'reaper worker socket failed');
        return;
      }
      this.replies.get(reply.id)?.(reply);
      this.replies.delete(reply.id);
    });
    const fail = (err: unknown) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, resolve] of this.replies) resolve({ id, error: `reaper worker stopped: ${String(err)}` });
      this.replies.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(`exit ${code}`));
    this.worker = worker;
    return worker;
  }
}
