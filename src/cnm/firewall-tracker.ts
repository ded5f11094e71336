/**
 * The firewall is a function of the records: every change renders the whole
 * weft table from them and replaces it in one nft transaction (whose undo is
 * the previous rendering). Restart reconcile is the same rendering, so rules
 * nobody owns disappear.
 */
import { firewallOp, renderFirewall, type FirewallState } from '../firewall/index.js';
import type { KernelOp } from '../kernel/ops.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './records.js';

export interface RecordsView {
  networks: Iterable<NetworkRecord>;
  endpoints: Iterable<EndpointRecord>;
  sandboxes: Iterable<SandboxRecord>;
}

export class FirewallTracker {
  private applied: FirewallState = { networks: [], ports: [] };
  private appliedScript = '';
  /** True once the table has been rendered by this process (first render replaces whatever was there). */
  private synced = false;

  /**
   * The op that moves the kernel from the last committed state to `view`'s.
   * When the rendering would not change (most connects on a bridge network),
   * it is an empty batch, which costs nothing: starting nft is the dearest
   * step of a connect. The first render of a process always applies.
   */
  opFor(view: RecordsView): { op: KernelOp; state: FirewallState } {
    const state = firewallStateOf(view);
    if (this.synced && renderFirewall(state) === this.appliedScript) {
      return { op: { op: 'nft.apply', script: '', undo: '' }, state };
    }
    return { op: firewallOp(this.applied, state), state };
  }

  committed(state: FirewallState): void {
    this.applied = state;
    this.appliedScript = renderFirewall(state);
    this.synced = true;
  }

  get isSynced(): boolean {
    return this.synced;
  }
}

export function firewallStateOf(view: RecordsView): FirewallState {
  const endpoints = [...view.endpoints];
  const networks: FirewallState['networks'] = [];
  for (const net of view.networks) {
    if (!net.firewall) continue;
    const own = endpoints.filter((e) => e.networkId === net.id);
    networks.push({
      id: net.id,
      fw: net.firewall,
      endpointDevices: own.flatMap((e) => e.hostDevices).sort(),
      endpointAddresses: own.flatMap((e) => [e.addressV4, e.addressV6].filter((a): a is string => !!a).map((a) => a.split('/')[0]!)).sort(),
    });
  }
  networks.sort((a, b) => a.id.localeCompare(b.id));
  // Weft's sandboxes' published ports, and those the engine asked for on its endpoints (ProgramExternalConnectivity).
  const ports = [...[...view.sandboxes].flatMap((s) => s.ports), ...endpoints.flatMap((e) => e.ports ?? [])];
  return { networks, ports };
}
