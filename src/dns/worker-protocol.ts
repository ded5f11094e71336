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
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'stopped' }
  | { type: 'log'; level: 'debug' | 'warn'; obj: Record<string, unknown>; msg: string };
