/**
 * A DNS worker thread: its own engine (a copy of the record store, fed the
 * same ops as the main thread's) serving its own SO_REUSEPORT UDP socket in
 * each sandbox, so two cores answer queries. Before each query it catches up
 * with the ops the main thread has posted (a shared counter says how many),
 * so a change is visible to the next query here too.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { DnsEngine } from './engine.js';
import { HostResolvers } from './host-resolvers.js';
import { UdpListener } from './listeners.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

function serve(port: MessagePort, init: WorkerInit): void {
  const counter = new Int32Array(init.counter);
  const post = (m: FromWorker) => port.postMessage(m);
  const log = {
    debug: (obj: object, msg: string) => post({ type: 'log', level: 'debug', obj: { ...obj }, msg }),
    warn: (obj: object, msg: string) => post({ type: 'log', level: 'warn', obj: { ...obj }, msg }),
  };
  const listeners = new Map<string, UdpListener>();
  const waiting = new Map<number, (response: Buffer) => void>();
  let applied = 0;
  let nextId = 0;
  const catchUp = () => {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) handle(m.message as ToWorker);
  };
  const engine = new DnsEngine({
    hostResolvers: new HostResolvers(init.resolvConf),
    log,
    timeoutMs: init.timeoutMs,
    beforeQuery: () => {
      if (Atomics.load(counter, 0) !== applied) catchUp();
    },
    delegate: (sandboxId, query, transport, reply) => {
      const id = nextId++;
      waiting.set(id, reply);
      // A copy of just these bytes: a Buffer may view a larger pooled ArrayBuffer, which would be cloned whole.
      post({ type: 'forward', id, sandboxId, query: new Uint8Array(query), transport });
    },
  });
  const handle = (message: ToWorker): void => {
    switch (message.type) {
      case 'op':
        engine.apply(message.op);
        applied++;
        break;
      case 'listen': {
        const ctx = engine.context(message.sandboxId);
        const onError = (err: Error) => log.warn({ sandbox: message.sandboxId, err: err.message }, 'dns worker socket error');
        listeners.set(message.sandboxId, new UdpListener(message.fd, 4, (query, reply) => engine.handle(ctx, query, 'udp', reply), onError));
        break;
      }
      case 'close':
        listeners.get(message.sandboxId)?.close();
        listeners.delete(message.sandboxId);
        break;
      case 'forwarded': {
        const reply = waiting.get(message.id);
        waiting.delete(message.id);
        reply?.(Buffer.from(message.response.buffer, message.response.byteOffset, message.response.byteLength));
        break;
      }
      case 'stop':
        for (const l of listeners.values()) l.close();
        listeners.clear();
        post({ type: 'stopped' });
        port.close();
        break;
    }
  };
  port.on('message', handle);
  post({ type: 'ready' });
}

if (parentPort) {
  const { port, ...init } = workerData as WorkerInit & { port: MessagePort };
  serve(port, init);
}
