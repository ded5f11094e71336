/**
 * The IPAM port, in the shapes of Docker's IPAM plugin protocol
 * (shared/reference/docker-plugin-protocol.md §3) so that the plugin adapter
 * and a remote-IPAM client are thin.
 */

export interface AddressSpaces {
  localDefaultAddressSpace: string;
  globalDefaultAddressSpace: string;
}

export interface PoolRequest {
  /** 'LocalDefault' | 'GlobalDefault' (or a space a remote driver defines). */
  addressSpace: string;
  /** Explicit subnet (CIDR); absent: auto-chosen from the default pools. */
  pool?: string;
  /** Allocate only from this sub-range of `pool` (Docker's --ip-range). */
  subPool?: string;
  options?: Record<string, string>;
  v6?: boolean;
}

export interface PoolResponse {
  poolId: string;
  /** The subnet, CIDR. */
  pool: string;
  /** Extra data, e.g. { 'com.docker.network.gateway': '10.0.0.1/24' }. */
  data: Record<string, string>;
}

export interface AddressRequest {
  poolId: string;
  /** A preferred address (plain IP); absent: next free. */
  address?: string;
  /** Options, as the engine sends them: RequestAddressType=com.docker.network.gateway for the gateway, com.docker.network.endpoint.macaddress, … */
  options?: Record<string, string>;
  /**
   * weft's own callers only (never from the plugin protocol): false when the
   * caller next commits a durable record that names the address, or gives
   * it back; the allocation then needs no fsync of its own (store
   * TxnOptions.durable). Absent: durable.
   */
  durable?: boolean;
}

export interface AddressResponse {
  /** Address with the pool's prefix length, e.g. '10.0.0.2/24'. */
  address: string;
  data: Record<string, string>;
}

export interface Ipam {
  defaultAddressSpaces(): AddressSpaces;
  requestPool(req: PoolRequest): Promise<PoolResponse>;
  releasePool(poolId: string): Promise<void>;
  requestAddress(req: AddressRequest): Promise<AddressResponse>;
  releaseAddress(poolId: string, address: string): Promise<void>;
  /**
   * The addresses a pool has handed out (gateways included, addresses the
   * pool reserved itself not), for the restart's check that each has an
   * owner. Absent where the IPAM cannot tell (a remote one).
   */
  allocatedAddresses?(poolId: string): Promise<{ address: string; gateway: boolean }[]>;
}

export const GATEWAY_REQUEST_TYPE = 'com.docker.network.gateway';
export const REQUEST_ADDRESS_TYPE = 'RequestAddressType';
/** The endpoint's MAC, sent with RequestAddress when the IPAM requires one. */
export const MAC_ADDRESS_OPTION = 'com.docker.network.endpoint.macaddress';

/**
 * Request-pool option: an explicit subnet may overlap the daemon's routes (a
 * network on the host's own LAN, e.g. macvlan). Auto-chosen pools still avoid them.
 */
export const IGNORE_HOST_ROUTES_OPTION = 'weft.ipam.ignore_host_routes';
