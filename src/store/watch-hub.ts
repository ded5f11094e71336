import type { WatchEvent } from './store.js';

type Listener = (event: WatchEvent) => void;

/** Prefix-keyed fan-out of store events; a throwing listener never breaks the others. */
export class WatchHub {
  private readonly subscribers = new Set<{ prefix: string; listener: Listener }>();

  subscribe(prefix: string, listener: Listener): () => void {
    const sub = { prefix, listener };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  publish(events: readonly WatchEvent[]): void {
    for (const event of events) {
      for (const sub of this.subscribers) {
        if (!event.key.startsWith(sub.prefix)) continue;
        try {
          sub.listener(event);
        } catch {
          // a listener's failure is its own; the store has already committed
        }
      }
    }
  }

  clear(): void {
    this.subscribers.clear();
  }
}
