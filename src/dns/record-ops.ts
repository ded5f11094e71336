/**
 * The controller's records and events as record-store ops. Host-network
 * sandboxes are not served (they keep the host's resolv.conf); a sandbox on
 * the none network is, but forwards nothing (see docs/architecture.md).
 */
import type { ControllerEvent } from '../cnm/events.js';
import { shortId } from '../cnm/ids.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../cnm/records.js';
import type { StoreOp } from './record-store.js';

/** Drivers whose sandboxes reach nothing through the network: nothing is forwarded for them. */
const NO_EGRESS_DRIVERS = new Set(['null', 'host']);

export function networkOp(n: NetworkRecord): StoreOp {
  return {
    kind: 'network',
    put: {
      id: n.id,
      name: n.name,
      forwarding: !n.internal && !NO_EGRESS_DRIVERS.has(n.driver),
      subnets: [...n.v4, ...n.v6].map((s) => s.subnet),
    },
  };
}

export function sandboxOp(sb: SandboxRecord): StoreOp {
  return { kind: 'sandbox', put: { id: sb.id, name: sb.name, netns: sb.netns, upstreams: [...sb.dns] } };
}

/** An endpoint answers for its sandbox's name, its aliases and the sandbox's short id, as Docker's do. */
export function endpointOp(ep: EndpointRecord, sb: SandboxRecord): StoreOp {
  const names = [...new Set([sb.name, ...ep.aliases, shortId(sb.id)])];
  return {
    kind: 'endpoint',
    put: {
      id: ep.id,
      networkId: ep.networkId,
      sandboxId: ep.sandboxId,
      names,
      v4: ep.addressV4?.split('/')[0],
      v6: ep.addressV6?.split('/')[0],
    },
  };
}

/** Whether the resolver serves this sandbox. */
export function served(sb: SandboxRecord): boolean {
  return !sb.hostNetwork;
}

/** The ops one controller event stands for. */
export function opsOfEvent(event: ControllerEvent): StoreOp[] {
  switch (event.type) {
    case 'network.created':
      return [networkOp(event.network)];
    case 'network.removed':
      return [{ kind: 'network', remove: event.network.id }];
    case 'endpoint.joined':
      return served(event.sandbox) ? [sandboxOp(event.sandbox), endpointOp(event.endpoint, event.sandbox)] : [];
    case 'endpoint.left':
      return [{ kind: 'endpoint', remove: event.endpoint.id }];
    case 'sandbox.created':
      return served(event.sandbox) ? [sandboxOp(event.sandbox)] : [];
    case 'sandbox.removed':
      return [{ kind: 'sandbox', remove: event.sandbox.id }];
  }
}

/** The ops that load a whole repository (at daemon start: the controller sends no events for what it loaded). */
export function opsOfRecords(records: {
  networks: Iterable<NetworkRecord>;
  sandboxes: Iterable<SandboxRecord>;
  endpoints: Iterable<EndpointRecord>;
}): StoreOp[] {
  const ops: StoreOp[] = [...records.networks].map(networkOp);
  const sandboxes = new Map<string, SandboxRecord>();
  for (const sb of records.sandboxes) {
    if (!served(sb)) continue;
    sandboxes.set(sb.id, sb);
    ops.push(sandboxOp(sb));
  }
  for (const ep of records.endpoints) {
    const sb = sandboxes.get(ep.sandboxId);
    if (sb) ops.push(endpointOp(ep, sb));
  }
  return ops;
}
