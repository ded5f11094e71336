/** Messages between the daemon's main thread and a DNS worker thread. */
import type { StoreOp } from './record-store.js';

export interface WorkerInit {
  resolvConf: string;
  timeoutMs?: number;
  /** Int32Array over a SharedArrayBuffer: [0] counts the ops posted so far. */
  counter: SharedArrayBuffer;
}

export type ToWorker =
  | { type: 'op'; op: StoreOp }
  | { type: 'listen'; sandboxId: string; fd: number }
  | { type: 'close'; sandboxId: string }
  /** The main thread's answer to a query the worker handed over. */
  | { type: 'forwarded'; id: number; response: Uint8Array }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'stopped' }
  /** A query that needs an upstream, for the main thread's forwarder. */
  | { type: 'forward'; id: number; sandboxId: string; query: Uint8Array; transport: 'udp' | 'tcp' }
  | { type: 'log'; level: 'debug' | 'warn'; obj: Record<string, unknown>; msg: string };
