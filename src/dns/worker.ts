/**
 * A DNS worker thread: its own engine (a copy of the record store, fed the
 * same ops as the main thread's) serving its own SO_REUSEPORT UDP socket in
 * each sandbox, so two cores answer queries. Before each query it catches up
 * with the ops the main thread has posted (a shared counter says how many),
 * so a change is visible to the next query here too. Queries that need an
 * upstream go to the main thread's forwarder; their answers are cached here.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { DnsEngine, type Reply, type Transport } from './engine.js';
import { HostResolvers } from './host-resolvers.js';
import { UdpListener } from './listeners.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

class WorkerServer {
  private readonly counter: Int32Array;
  private readonly engine: DnsEngine;
  private readonly listeners = new Map<string, UdpListener>();
  /** Replies waiting for the main thread's answer, by request id. */
  private readonly waiting = new Map<number, Reply>();
  private applied = 0;
  private nextId = 0;
  private readonly log = {
    debug: (obj: object, msg: string) => this.post({ type: 'log', level: 'debug', obj: { ...obj }, msg }),
    warn: (obj: object, msg: string) => this.post({ type: 'log', level: 'warn', obj: { ...obj }, msg }),
  };

  constructor(
    private readonly port: MessagePort,
    init: WorkerInit,
  ) {
    this.counter = new Int32Array(init.counter);
    this.engine = new DnsEngine({
      hostResolvers: new HostResolvers(init.resolvConf),
      log: this.log,
      timeoutMs: init.timeoutMs,
      beforeQuery: () => {
        if (Atomics.load(this.counter, 0) !== this.applied) this.catchUp();
      },
      delegate: (sandboxId, query, transport, reply) => this.delegate(sandboxId, query, transport, reply),
    });
    port.on('message', (m: ToWorker) => this.handle(m));
    this.post({ type: 'ready' });
  }

  /** Applies every message already posted, synchronously, in order. */
  private catchUp(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) this.handle(m.message as ToWorker);
  }

  private delegate(sandboxId: string, query: Buffer, transport: Transport, reply: Reply): void {
    const id = this.nextId++;
    this.waiting.set(id, reply);
    // A copy of just these bytes: a Buffer may view a larger pooled ArrayBuffer, which would be cloned whole.
    this.post({ type: 'forward', id, sandboxId, query: new Uint8Array(query), transport });
  }

  private handle(message: ToWorker): void {
    switch (message.type) {
      case 'op':
        this.engine.apply(message.op);
        this.applied++;
        break;
      case 'listen':
        this.listen(message.sandboxId, message.fd);
        break;
      case 'close':
        this.listeners.get(message.sandboxId)?.close();
        this.listeners.delete(message.sandboxId);
        break;
      case 'forwarded': {
        const reply = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        reply?.(Buffer.from(message.response.buffer, message.response.byteOffset, message.response.byteLength));
        break;
      }
      case 'stop':
        for (const l of this.listeners.values()) l.close();
        this.listeners.clear();
        this.post({ type: 'stopped' });
        this.port.close();
        break;
    }
  }

  private listen(sandboxId: string, fd: number): void {
    const ctx = this.engine.context(sandboxId);
    const onError = (err: Error) => this.log.warn({ sandbox: sandboxId, err: err.message }, 'dns worker socket error');
    this.listeners.get(sandboxId)?.close();
    this.listeners.set(sandboxId, new UdpListener(fd, 4, (query, reply) => this.engine.handle(ctx, query, 'udp', reply), onError));
  }

  private post(message: FromWorker): void {
    this.port.postMessage(message);
  }
}

if (parentPort) {
  const { port, ...init } = workerData as WorkerInit & { port: MessagePort };
  new WorkerServer(port, init);
}
