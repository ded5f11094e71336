/**
 * The embedded DNS as the daemon runs it: a resolver at 127.0.0.11:53 (UDP
 * and TCP) inside every sandbox weft serves, on sockets the kernel layer
 * opens inside the sandbox's namespace. The record store is loaded from the
 * controller's repository at start and then fed, synchronously, from its
 * events, so a change is visible to the next query. With workers, each
 * sandbox also gets one SO_REUSEPORT UDP socket per worker thread, and the
 * kernel spreads queries over the threads.
 */
import type { ControllerEvent, ControllerEvents } from '../cnm/events.js';
import type { Repository } from '../cnm/repository.js';
import type { SandboxRecord } from '../cnm/records.js';
import { ErrorCodes, WeftError } from '../errors/index.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Logger } from '../log/logger.js';
import { DnsEngine, type SandboxContext, type Transport } from './engine.js';
import { HostResolvers } from './host-resolvers.js';
import { TcpListener, UdpListener } from './listeners.js';
import type { StoreOp } from './record-store.js';
import { opsOfEvent, opsOfRecords, served } from './record-ops.js';
import { DnsWorker } from './worker-link.js';

export const RESOLVER_ADDRESS = '127.0.0.11';

export interface DnsServiceOptions {
  kernel: Pick<Kernel, 'openSocket'>;
  controller: { events: ControllerEvents; repository: Repository };
  /** The daemon's resolv.conf: its nameservers are the upstreams of sandboxes without --dns. */
  resolvConf: string;
  log: Logger;
  /** Worker threads sharing the UDP load; 0 (default) answers on the main thread only. */
  workers?: number;
  /** Per-upstream timeout. */
  timeoutMs?: number;
  /** For tests: another port than 53. */
  port?: number;
}

interface SandboxSockets {
  ctx: SandboxContext;
  netns: string;
  udp?: UdpListener;
  tcp?: TcpListener;
}

export class DnsService {
  private readonly engine: DnsEngine;
  private readonly sockets = new Map<string, SandboxSockets>();
  private readonly workers: DnsWorker[] = [];
  /** Workers join when their thread is up; until then the main thread answers alone. */
  private workersStarting: Promise<void> = Promise.resolve();
  private stopped = false;
  private unsubscribe: () => void = () => undefined;

  private constructor(private readonly options: DnsServiceOptions) {
    this.engine = new DnsEngine({ hostResolvers: new HostResolvers(options.resolvConf), log: options.log, timeoutMs: options.timeoutMs });
  }

  /**
   * Loads the records, opens every served sandbox's sockets and follows the
   * controller's events, synchronously; worker threads are started in the
   * background (a thread takes ~100 ms to boot) and join when ready.
   */
  static async start(options: DnsServiceOptions): Promise<DnsService> {
    const service = new DnsService(options);
    const repo = options.controller.repository;
    for (const op of opsOfRecords({ networks: repo.networks.values(), sandboxes: repo.sandboxes.values(), endpoints: repo.endpoints.values() })) {
      service.apply(op);
    }
    for (const sb of repo.sandboxes.values()) if (served(sb)) service.open(sb);
    service.unsubscribe = options.controller.events.on((event) => service.onEvent(event));
    service.workersStarting = Promise.all(Array.from({ length: options.workers ?? 0 }, () => service.startWorker())).then(() => undefined);
    options.log.info({ sandboxes: service.sockets.size, workers: options.workers ?? 0 }, 'dns started');
    return service;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    for (const id of [...this.sockets.keys()]) this.close(id);
    await this.workersStarting;
    await Promise.all(this.workers.splice(0).map((w) => w.stop()));
  }

  /** Starts a worker; once it is up it gets the whole store, then every op, and a socket in each open sandbox. */
  private async startWorker(): Promise<void> {
    const { resolvConf, timeoutMs, log } = this.options;
    const forward = (sandboxId: string, query: Buffer, transport: Transport, reply: (response: Buffer) => void) =>
      this.engine.handle(this.contextOf(sandboxId), query, transport, reply);
    let worker: DnsWorker;
    try {
      worker = await DnsWorker.start({ resolvConf, timeoutMs }, forward, log);
    } catch (err) {
      log.warn({ err }, 'dns worker did not start; the main thread answers alone');
      return;
    }
    if (this.stopped) return worker.stop();
    for (const op of this.engine.store.snapshot()) worker.apply(op);
    this.workers.push(worker);
    for (const [id, sockets] of this.sockets) this.listenInWorker(worker, id, sockets.netns);
    log.debug({ sandboxes: this.sockets.size }, 'dns worker joined');
  }

  private listenInWorker(worker: DnsWorker, sandboxId: string, netns: string): void {
    const { kernel, port = 53 } = this.options;
    try {
      worker.listen(sandboxId, kernel.openSocket(netns, 4, 'udp', RESOLVER_ADDRESS, port, { reusePort: true }));
    } catch (err) {
      this.options.log.warn({ err, sandbox: sandboxId, netns }, 'dns worker cannot listen in sandbox; the main thread answers it');
    }
  }

  private onEvent(event: ControllerEvent): void {
    for (const op of opsOfEvent(event)) this.apply(op);
    if ((event.type === 'endpoint.joined' || event.type === 'sandbox.created') && served(event.sandbox)) this.open(event.sandbox);
    else if (event.type === 'sandbox.removed') this.close(event.sandbox.id);
  }

  private apply(op: StoreOp): void {
    this.engine.apply(op);
    for (const w of this.workers) w.apply(op);
  }

  /** Opens the sandbox's sockets (once); a failure is logged and leaves the sandbox without resolver. */
  private open(sb: SandboxRecord): void {
    if (this.sockets.has(sb.id)) return;
    const ctx = this.engine.context(sb.id);
    const sockets: SandboxSockets = { ctx, netns: sb.netns };
    this.sockets.set(sb.id, sockets);
    const onError = (err: Error) => this.options.log.warn({ err, sandbox: sb.id }, 'dns socket error');
    const { kernel, port = 53 } = this.options;
    // Set from the start when workers may join: every socket sharing the address must have it.
    const reusePort = (this.options.workers ?? 0) > 0;
    try {
      sockets.udp = new UdpListener(kernel.openSocket(sb.netns, 4, 'udp', RESOLVER_ADDRESS, port, { reusePort }), 4, this.handler(ctx, 'udp'), onError);
      sockets.tcp = new TcpListener(kernel.openSocket(sb.netns, 4, 'tcp', RESOLVER_ADDRESS, port), this.handler(ctx, 'tcp'), onError);
      for (const w of this.workers) this.listenInWorker(w, sb.id, sb.netns);
    } catch (err) {
      this.close(sb.id);
      const error = new WeftError(ErrorCodes.DNS_LISTEN_FAILED, 'Unavailable', `cannot serve DNS in sandbox ${sb.name}: ${(err as Error).message}`, {
        cause: err,
        details: { sandbox: sb.id, netns: sb.netns },
      });
      this.options.log.warn({ err: error, code: error.code, sandbox: sb.id, netns: sb.netns }, 'dns cannot listen in sandbox');
    }
  }

  private contextOf(sandboxId: string): SandboxContext {
    return this.sockets.get(sandboxId)?.ctx ?? this.engine.context(sandboxId);
  }

  private handler(ctx: SandboxContext, transport: Transport) {
    return (query: Buffer, reply: (response: Buffer) => void) => this.engine.handle(ctx, query, transport, reply);
  }

  private close(sandboxId: string): void {
    const sockets = this.sockets.get(sandboxId);
    if (!sockets) return;
    this.sockets.delete(sandboxId);
    sockets.udp?.close();
    sockets.tcp?.close();
    for (const w of this.workers) w.close(sandboxId);
  }
}
