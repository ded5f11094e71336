export type { Entry, PutOptions, Store, TxnOp, WatchEvent } from './store.js';
export { MemoryStore } from './memory.js';
export { LocalStore } from './local.js';
