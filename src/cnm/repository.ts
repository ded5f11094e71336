/**
 * The controller's records: an in-memory view backed by the store. The local
 * daemon is the only writer of its `cnm/` keys, so the view is loaded once at
 * start and every change is written through (one store transaction per change).
 */
import type { Store, TxnOp, TxnOptions } from '../store/store.js';
import type { EndpointRecord, IntentRecord, NetworkRecord, SandboxRecord } from './records.js';

const PREFIX = 'cnm/';
const KINDS = ['network', 'endpoint', 'sandbox', 'intent'] as const;
type Kind = (typeof KINDS)[number];

interface RecordOf {
  network: NetworkRecord;
  endpoint: EndpointRecord;
  sandbox: SandboxRecord;
  intent: IntentRecord;
}

export type Change =
  | { put: NetworkRecord; kind: 'network' }
  | { put: EndpointRecord; kind: 'endpoint' }
  | { put: SandboxRecord; kind: 'sandbox' }
  | { put: IntentRecord; kind: 'intent' }
  | { remove: string; kind: Kind };

export class Repository {
  readonly networks = new Map<string, NetworkRecord>();
  readonly endpoints = new Map<string, EndpointRecord>();
  readonly sandboxes = new Map<string, SandboxRecord>();
  readonly intents = new Map<string, IntentRecord>();

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    for (const kind of KINDS) {
      const map = this.map(kind);
      map.clear();
      for (const entry of await this.store.list(`${PREFIX}${kind}/`)) {
        const record = JSON.parse(entry.value) as RecordOf[typeof kind];
        map.set(record.id, record as never);
      }
    }
  }

  /** Write several changes in one store transaction, then update the view. */
  async commit(changes: readonly Change[], options?: TxnOptions): Promise<void> {
    const ops: TxnOp[] = changes.map((c) =>
      'put' in c
        ? { type: 'put', key: key(c.kind, c.put.id), value: JSON.stringify(c.put) }
        : { type: 'delete', key: key(c.kind, c.remove) },
    );
    await this.store.txn(ops, options);
    for (const c of changes) {
      if ('put' in c) this.map(c.kind).set(c.put.id, c.put as never);
      else this.map(c.kind).delete(c.remove);
    }
  }

  endpointsOf(filter: { networkId?: string; sandboxId?: string }): EndpointRecord[] {
    return [...this.endpoints.values()]
      .filter((e) => (filter.networkId === undefined || e.networkId === filter.networkId) && (filter.sandboxId === undefined || e.sandboxId === filter.sandboxId))
      .sort((a, b) => a.ifname.localeCompare(b.ifname, 'en', { numeric: true }));
  }

  private map<K extends Kind>(kind: K): Map<string, RecordOf[K]> {
    switch (kind) {
      case 'network':
        return this.networks as Map<string, RecordOf[K]>;
      case 'endpoint':
        return this.endpoints as Map<string, RecordOf[K]>;
      case 'sandbox':
        return this.sandboxes as Map<string, RecordOf[K]>;
      default:
        return this.intents as Map<string, RecordOf[K]>;
    }
  }
}

function key(kind: Kind, id: string): string {
  return `${PREFIX}${kind}/${id}`;
}
