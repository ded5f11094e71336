/** The main thread's handle on a DNS worker thread (see worker.ts). */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { Logger } from '../log/logger.js';
import type { Delegate } from './engine.js';
import type { StoreOp } from './record-store.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export class DnsWorker {
  private readonly counter: Int32Array;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    shared: SharedArrayBuffer,
  ) {
    this.counter = new Int32Array(shared);
  }

  /** `forward` answers the queries the worker hands over (those that need an upstream). */
  static async start(init: Omit<WorkerInit, 'counter'>, forward: Delegate, log: Logger): Promise<DnsWorker> {
    const shared = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { ...init, counter: shared, port: port2 },
      transferList: [port2],
    });
    const link = new DnsWorker(worker, port1, shared);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('dns worker did not start')), START_TIMEOUT_MS);
      port1.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'log') {
          log[m.level]({ ...m.obj, component: 'dns-worker' }, m.msg);
        } else if (m.type === 'forward') {
          const query = Buffer.from(m.query.buffer, m.query.byteOffset, m.query.byteLength);
          forward(m.sandboxId, query, m.transport, (response) => link.post({ type: 'forwarded', id: m.id, response: new Uint8Array(response) }));
        }
      });
      worker.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    worker.on('error', (err) => log.error({ err }, 'dns worker failed; the main thread keeps answering'));
    try {
      await ready;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    port1.unref();
    return link;
  }

  /** Posts the op, then counts it: the worker catches up to the count before its next query. */
  apply(op: StoreOp): void {
    this.post({ type: 'op', op });
    Atomics.add(this.counter, 0, 1);
  }

  listen(sandboxId: string, fd: number): void {
    this.post({ type: 'listen', sandboxId, fd });
  }

  close(sandboxId: string): void {
    this.post({ type: 'close', sandboxId });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const stopped = new Promise<void>((resolve) => this.port.on('message', (m: FromWorker) => m.type === 'stopped' && resolve()));
    this.post({ type: 'stop' });
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS))]);
    await this.worker.terminate();
    await exited;
  }

  private post(message: ToWorker): void {
    this.port.postMessage(message);
  }
}
