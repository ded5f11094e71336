/**
 * One persistent rtnetlink socket per namespace. A socket acts in the
 * namespace it was created in, so sockets for named namespaces are created
 * inside them (addon.inNetns); we never use IFLA_TARGET_NETNSID to reach
 * across. The `netlink` package provides the transport (sequence numbers,
 * ACKs, multipart replies); message bodies are ours (messages.ts).
 *
 * Every failure comes out as a KernelErrno whose `code` is the errno name
 * (EEXIST, ENODEV, …). Requests pipeline, with two limits: a dump runs alone
 * on its socket (the package reassembles one multipart reply at a time, and
 * the kernel would interleave other replies with its parts), and at most
 * MAX_IN_FLIGHT requests are outstanding, so replies never overflow the
 * socket's receive buffer (which the package cannot recover from).
 */
import { createNetlink, type NetlinkSocket, Protocol } from 'netlink';
import type { NetnsAddon } from './addon.js';
import { attr, strAttr, u32 } from './attrs.js';
import { asKernelErrno, hasErrno, KernelErrno } from './errno.js';
import type { KernelLogger } from './logger.js';
import {
  type AddrMsg,
  decodeAddress,
  decodeLink,
  decodeNeigh,
  decodeRoute,
  IFLA,
  ifaddrmsg,
  type IfInfoHeader,
  ifinfomsg,
  type LinkMsg,
  type NeighMsg,
  ndmsg,
  NLM_F,
  type RouteMsg,
  RTEXT_FILTER_SKIP_STATS,
  RTM,
  rtmsg,
} from './messages.js';
import type { NetnsRegistry } from './netns.js';

export const CREATE_EXCL = NLM_F.CREATE | NLM_F.EXCL;
export const CREATE_APPEND = NLM_F.CREATE | NLM_F.APPEND;

const MAX_IN_FLIGHT = 64;
/** A reply that never comes (lost to an overrun) must not hang an apply forever. */
const REQUEST_TIMEOUT_MS = 10_000;
const RECV_BUFFER_BYTES = 4 << 20;
/** Links are asked for without their statistics: less to send, less to parse. */
const SKIP_STATS = attr(IFLA.EXT_MASK, u32(RTEXT_FILTER_SKIP_STATS));

/** Admits requests in order: plain ones up to a limit together, a dump only alone. */
class RequestGate {
  private inFlight = 0;
  private dumping = false;
  private readonly waiting: Array<{ dump: boolean; go: () => void }> = [];

  run<T>(dump: boolean, start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        this.inFlight++;
        if (dump) this.dumping = true;
        const request = startSafely(start);
        request.then(resolve, reject);
        request.then(this.finish, this.finish);
      };
      this.waiting.push({ dump, go });
      this.admit();
    });
  }

  private readonly finish = (): void => {
    this.inFlight--;
    this.dumping = false;
    this.admit();
  };

  /** `go` sends synchronously, so the order of sends is the order of admission. */
  private admit(): void {
    for (;;) {
      const next = this.waiting[0];
      if (!next || this.dumping || this.inFlight >= MAX_IN_FLIGHT || (next.dump && this.inFlight > 0)) return;
      this.waiting.shift();
      next.go();
    }
  }
}

function startSafely<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (err) {
    return Promise.reject(err);
  }
}

export class Rtnl {
  private readonly gate = new RequestGate();
  private broken = false;

  constructor(
    private readonly sock: NetlinkSocket,
    /** For error messages only. */
    readonly netns: string | undefined,
    logger?: KernelLogger,
  ) {
    // Without a listener an 'error' event would be thrown inside the addon's callback and abort the process.
    sock.on('error', (err) => {
      this.broken = true;
      logger?.warn({ netns, err: err.message }, 'rtnetlink socket failed; it will be replaced');
    });
  }

  /** A socket that reported an error is replaced by the pool on next use. */
  get usable(): boolean {
    return !this.broken;
  }

  async links(): Promise<LinkMsg[]> {
    return (await this.dump('dump links', RTM.GETLINK, [ifinfomsg(), SKIP_STATS])).map(decodeLink);
  }

  /** The link called `name`, or undefined. */
  linkByName(name: string): Promise<LinkMsg | undefined> {
    return this.getLink(`get link ${name}`, [ifinfomsg(), SKIP_STATS, strAttr(IFLA.IFNAME, name)]);
  }

  linkByIndex(index: number): Promise<LinkMsg | undefined> {
    return this.getLink(`get link #${index}`, [ifinfomsg({ index }), SKIP_STATS]);
  }

  /** ifindex of `name`; ENODEV with a clear message when there is none. */
  async indexOf(name: string): Promise<number> {
    const link = await this.linkByName(name);
    if (!link) throw new KernelErrno('ENODEV', `no link ${name}${this.where()}`);
    return link.index;
  }

  newLink(header: IfInfoHeader, attrs: Buffer[], flags: number): Promise<unknown> {
    return this.request('create link', RTM.NEWLINK, [ifinfomsg(header), ...attrs], flags);
  }

  setLink(header: IfInfoHeader, attrs: Buffer[]): Promise<unknown> {
    return this.request(header.index ? `set link #${header.index}` : 'set link', RTM.NEWLINK, [ifinfomsg(header), ...attrs]);
  }

  deleteLink(name: string): Promise<unknown> {
    return this.request(`delete link ${name}`, RTM.DELLINK, [ifinfomsg(), strAttr(IFLA.IFNAME, name)]);
  }

  /** Deletes every link of `group` in this namespace in one request (ENODEV when there is none). */
  deleteGroup(group: number): Promise<unknown> {
    return this.request(`delete link group ${group}`, RTM.DELLINK, deleteGroupBody(group));
  }

  async addresses(): Promise<AddrMsg[]> {
    return (await this.dump('dump addresses', RTM.GETADDR, [ifaddrmsg({ family: 0 })])).map(decodeAddress);
  }

  newAddress(header: Buffer, attrs: Buffer[]): Promise<unknown> {
    return this.request('add address', RTM.NEWADDR, [header, ...attrs], CREATE_EXCL);
  }

  deleteAddress(header: Buffer, attrs: Buffer[]): Promise<unknown> {
    return this.request('delete address', RTM.DELADDR, [header, ...attrs]);
  }

  async routes(family: number): Promise<RouteMsg[]> {
    return (await this.dump('dump routes', RTM.GETROUTE, [rtmsg({ family })])).map(decodeRoute);
  }

  newRoute(header: Buffer, attrs: Buffer[]): Promise<unknown> {
    return this.request('add route', RTM.NEWROUTE, [header, ...attrs], CREATE_EXCL);
  }

  deleteRoute(header: Buffer, attrs: Buffer[]): Promise<unknown> {
    return this.request('delete route', RTM.DELROUTE, [header, ...attrs]);
  }

  /**
   * Neighbours of one family (AF_INET, AF_INET6, or AF_BRIDGE for the FDB).
   * A dump whose ndm_flags are exactly NTF_PROXY returns the proxy entries instead.
   */
  async neighbours(family: number, flags = 0): Promise<NeighMsg[]> {
    return (await this.dump('dump neighbours', RTM.GETNEIGH, [ndmsg({ family, flags })])).map(decodeNeigh);
  }

  newNeighbour(header: Buffer, attrs: Buffer[], flags: number): Promise<unknown> {
    return this.request('add neighbour', RTM.NEWNEIGH, [header, ...attrs], flags);
  }

  deleteNeighbour(header: Buffer, attrs: Buffer[]): Promise<unknown> {
    return this.request('delete neighbour', RTM.DELNEIGH, [header, ...attrs]);
  }

  close(): void {
    this.sock.close();
  }

  private async getLink(what: string, body: Buffer[]): Promise<LinkMsg | undefined> {
    try {
      const [reply] = await this.request(what, RTM.GETLINK, body);
      return reply ? decodeLink(reply) : undefined;
    } catch (err) {
      if (hasErrno(err, 'ENODEV')) return undefined;
      throw err;
    }
  }

  /** Send one request; resolves with the payloads of its reply messages (none for a bare ACK). */
  private request(what: string, type: number, body: Buffer[], flags = 0): Promise<Buffer[]> {
    return this.guard(what, this.gate.run(false, () => this.send(type, body, flags)));
  }

  private dump(what: string, type: number, body: Buffer[]): Promise<Buffer[]> {
    return this.guard(what, this.gate.run(true, () => this.send(type, body, NLM_F.DUMP)));
  }

  private async send(type: number, body: Buffer[], flags: number): Promise<Buffer[]> {
    const [messages] = await this.sock.request(type, body, { flags, timeout: REQUEST_TIMEOUT_MS });
    return messages.map((m) => m.data);
  }

  private async guard<T>(what: string, reply: Promise<T>): Promise<T> {
    try {
      return await reply;
    } catch (err) {
      throw asKernelErrno(err, `${what}${this.where()}`);
    }
  }

  private where(): string {
    return this.netns ? ` in netns ${this.netns}` : '';
  }
}

/** The RTM_DELLINK body that deletes a whole link group (no index, no name). */
export function deleteGroupBody(group: number): Buffer[] {
  return [ifinfomsg(), attr(IFLA.GROUP, u32(group))];
}

function openRtnetlink(): NetlinkSocket {
  const sock = createNetlink(Protocol.ROUTE);
  sock.setRecvBufferSize(RECV_BUFFER_BYTES);
  return sock;
}

/** Sockets by namespace name; '' is the daemon's own namespace. */
export class RtnlPool {
  private readonly sockets = new Map<string, Rtnl>();

  constructor(
    private readonly addon: NetnsAddon,
    private readonly registry: NetnsRegistry,
    private readonly logger?: KernelLogger,
  ) {
    // A socket pins its namespace just like an fd does: close it with the fd.
    registry.onRelease((name) => this.drop(name));
  }

  /** The socket for `netns` (undefined: our own), created on first use. Throws WEFT_NETNS_NOT_FOUND. */
  get(netns: string | undefined): Rtnl {
    const key = netns ?? '';
    // handle() revalidates the name and releases (→ drop) a stale socket first.
    const fd = netns === undefined ? undefined : this.registry.handle(netns).fd;
    const cached = this.sockets.get(key);
    if (cached?.usable) return cached;
    if (cached) this.drop(key);
    const sock = fd === undefined ? openRtnetlink() : this.addon.inNetns(fd, openRtnetlink);
    const rtnl = new Rtnl(sock, netns, this.logger);
    this.sockets.set(key, rtnl);
    return rtnl;
  }

  drop(key: string): void {
    this.sockets.get(key)?.close();
    this.sockets.delete(key);
  }

  close(): void {
    for (const key of [...this.sockets.keys()]) this.drop(key);
  }
}
