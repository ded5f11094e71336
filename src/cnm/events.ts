/**
 * What the controller tells the rest of the daemon (DNS, ingress, cluster)
 * after a change is committed. Listeners must not throw into the controller.
 */
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './records.js';

export type ControllerEvent =
  | { type: 'network.created' | 'network.removed'; network: NetworkRecord }
  | { type: 'endpoint.joined' | 'endpoint.left'; endpoint: EndpointRecord; network: NetworkRecord; sandbox: SandboxRecord }
  | { type: 'sandbox.created' | 'sandbox.removed'; sandbox: SandboxRecord };

export class ControllerEvents {
  private readonly listeners = new Set<(event: ControllerEvent) => void>();

  on(listener: (event: ControllerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ControllerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}
