/**
 * One persistent rtnetlink socket per namespace. A socket acts in the
 * namespace it was created in, so sockets for named namespaces are created
 * inside them (addon.inNetns); we never use IFLA_TARGET_NETNSID to reach
 * across. Requests on one socket are pipelined by sequence number.
 *
 * `Rtnl` is a thin typed wrapper: every failure comes out as a KernelErrno
 * whose `code` is the errno name (EEXIST, ENODEV, …).
 *
 * Dumps are the exception to pipelining: the netlink package reassembles
 * only one multipart reply at a time, and the kernel interleaves other
 * replies with the parts of a dump in progress. So a dump runs alone on its
 * socket (see DumpGate); plain requests still pipeline freely.
 */
import { createRtNetlink, FlagsNew, type ifla, type RtNetlinkSocket, type rt } from 'netlink';
import type { NetnsAddon } from './addon.js';
import { asKernelErrno, hasErrno, KernelErrno } from './errno.js';
import type { NetnsRegistry } from './netns.js';

export type LinkMessage = rt.LinkMessage;
export type AddressMessage = rt.AddressMessage;
export type RouteMessage = rt.RouteMessage;
export type NeighborMessage = rt.NeighborMessage;

/** Create, failing if it exists: the EEXIST tells idempotent adds what they found. */
export const CREATE_EXCL = FlagsNew.CREATE | FlagsNew.EXCL;
export const CREATE_APPEND = FlagsNew.CREATE | FlagsNew.APPEND;

/**
 * Lets any number of plain requests be in flight together, but nothing at
 * all while a dump is. `start` is called synchronously when admitted, so the
 * order of sends is the order of admission.
 */
class DumpGate {
  private dumping = false;
  private readonly waiting: Array<{ dump: boolean; go: () => void }> = [];

  run<T>(dump: boolean, start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        const request = startSafely(start);
        request.then(resolve, reject);
        if (dump) request.then(this.finishDump, this.finishDump);
      };
      this.waiting.push({ dump, go });
      this.admit();
    });
  }

  private readonly finishDump = (): void => {
    this.dumping = false;
    this.admit();
  };

  private admit(): void {
    while (!this.dumping && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      if (next.dump) this.dumping = true;
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
  private readonly gate = new DumpGate();

  constructor(
    private readonly sock: RtNetlinkSocket,
    /** For error messages only. */
    readonly netns: string | undefined,
  ) {}

  links(): Promise<LinkMessage[]> {
    return this.dump('dump links', () => this.sock.getLinks());
  }

  /** The link called `name`, or undefined. */
  async linkByName(name: string): Promise<LinkMessage | undefined> {
    try {
      const [msg] = await this.request(`get link ${name}`, () => this.sock.getLink({}, { ifname: name }));
      return msg;
    } catch (err) {
      if (hasErrno(err, 'ENODEV')) return undefined;
      throw err;
    }
  }

  async linkByIndex(index: number): Promise<LinkMessage | undefined> {
    try {
      const [msg] = await this.request(`get link #${index}`, () => this.sock.getLink({ index }));
      return msg;
    } catch (err) {
      if (hasErrno(err, 'ENODEV')) return undefined;
      throw err;
    }
  }

  /** ifindex of `name`; ENODEV with a clear message when there is none. */
  async indexOf(name: string): Promise<number> {
    const link = await this.linkByName(name);
    if (!link?.data.index) throw new KernelErrno('ENODEV', `no link ${name}${this.where()}`);
    return link.data.index;
  }

  newLink(data: rt.Link, attrs: ifla.LinkAttrs, flags: number): Promise<unknown> {
    return this.request(`create link ${attrs.ifname ?? ''}`, () => this.sock.newLink(data, attrs, { flags }));
  }

  setLink(data: rt.Link, attrs: ifla.LinkAttrs): Promise<unknown> {
    return this.request(`set link ${data.index}`, () => this.sock.setLink(data, attrs));
  }

  deleteLink(name: string): Promise<unknown> {
    return this.request(`delete link ${name}`, () => this.sock.delLink({}, { ifname: name }));
  }

  addresses(): Promise<AddressMessage[]> {
    return this.dump('dump addresses', () => this.sock.getAddresses());
  }

  newAddress(data: rt.Address, attrs: rt.AddressAttrs): Promise<unknown> {
    return this.request('add address', () => this.sock.newAddress(data, attrs, { flags: CREATE_EXCL }));
  }

  deleteAddress(data: rt.Address, attrs: rt.AddressAttrs): Promise<unknown> {
    return this.request('delete address', () => this.sock.delAddress(data, attrs));
  }

  routes(family: number): Promise<RouteMessage[]> {
    return this.dump('dump routes', () => this.sock.getRoutes({ family }));
  }

  newRoute(data: rt.Route, attrs: rt.RouteAttrs): Promise<unknown> {
    return this.request('add route', () => this.sock.newRoute(data, attrs, { flags: CREATE_EXCL }));
  }

  deleteRoute(data: rt.Route, attrs: rt.RouteAttrs): Promise<unknown> {
    return this.request('delete route', () => this.sock.delRoute(data, attrs));
  }

  /**
   * Neighbours of one family (AF_INET, AF_INET6, or AF_BRIDGE for the FDB).
   * A dump whose ndm_flags are exactly NTF_PROXY returns the proxy entries instead.
   */
  neighbours(family: number, proxy = false): Promise<NeighborMessage[]> {
    const data: rt.Neighbor = { family, ...(proxy ? { flags: { proxy: true } } : {}) };
    return this.dump('dump neighbours', () => this.sock.getNeighbors(data));
  }

  newNeighbour(data: rt.Neighbor, attrs: rt.NeighborAttrs, flags: number): Promise<unknown> {
    return this.request('add neighbour', () => this.sock.newNeighbor(data, attrs, { flags }));
  }

  deleteNeighbour(data: rt.Neighbor, attrs: rt.NeighborAttrs): Promise<unknown> {
    return this.request('delete neighbour', () => this.sock.delNeighbor(data, attrs));
  }

  close(): void {
    this.sock.socket.close();
  }

  private request<T>(what: string, send: () => Promise<T>): Promise<T> {
    return this.guard(what, this.gate.run(false, send));
  }

  private dump<T>(what: string, send: () => Promise<T>): Promise<T> {
    return this.guard(what, this.gate.run(true, send));
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

/** Sockets by namespace name; '' is the daemon's own namespace. */
export class RtnlPool {
  private readonly sockets = new Map<string, Rtnl>();

  constructor(
    private readonly addon: NetnsAddon,
    private readonly registry: NetnsRegistry,
  ) {
    // A socket pins its namespace just like an fd does: close it with the fd.
    registry.onRelease((name) => this.drop(name));
  }

  /** The socket for `netns` (undefined: our own), created on first use. Throws WEFT_NETNS_NOT_FOUND. */
  get(netns: string | undefined): Rtnl {
    if (netns === undefined) return this.own();
    // handle() revalidates the name and releases (→ drop) a stale socket first.
    const { fd } = this.registry.handle(netns);
    let rtnl = this.sockets.get(netns);
    if (!rtnl) {
      rtnl = new Rtnl(this.addon.inNetns(fd, () => createRtNetlink()), netns);
      this.sockets.set(netns, rtnl);
    }
    return rtnl;
  }

  drop(netns: string): void {
    this.sockets.get(netns)?.close();
    this.sockets.delete(netns);
  }

  close(): void {
    for (const name of [...this.sockets.keys()]) this.drop(name);
  }

  private own(): Rtnl {
    let rtnl = this.sockets.get('');
    if (!rtnl) {
      rtnl = new Rtnl(createRtNetlink(), undefined);
      this.sockets.set('', rtnl);
    }
    return rtnl;
  }
}
