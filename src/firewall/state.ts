/**
 * What the firewall is a function of. The controller builds a FirewallState
 * from its records (every network's intent, its endpoints' host devices and
 * every published port) and renders it whole; the rendering replaces the
 * previous table in one transaction, so no rule outlives its owner.
 */
import type { NetworkFirewall } from '../drivers/driver.js';

/** A host port forwarded to a sandbox port. */
export interface PublishedPort {
  networkId: string;
  proto: 'tcp' | 'udp' | 'sctp';
  /**
   * Host address; '' (or 0.0.0.0 / ::) for every local address of the
   * container address's family, in which case the network's
   * hostBindingIpv4, if any, is used for IPv4.
   */
  hostIp: string;
  hostPort: number;
  /** Plain IP of the sandbox; its family decides the rule's family. */
  containerIp: string;
  containerPort: number;
}

export interface FirewallNetwork {
  id: string;
  fw: NetworkFirewall;
  /** Host-side devices of the network's endpoints (nat veths), added to fw.devices. */
  endpointDevices: string[];
  /** Plain IPs of the network's endpoints. Not rendered today: isolation is by device. */
  endpointAddresses: string[];
}

export interface FirewallState {
  networks: FirewallNetwork[];
  ports: PublishedPort[];
}

/** Frozen all the way down: a shared constant nobody can push into. */
export const EMPTY_FIREWALL_STATE: FirewallState = Object.freeze({
  networks: Object.freeze([]) as unknown as FirewallNetwork[],
  ports: Object.freeze([]) as unknown as PublishedPort[],
});
