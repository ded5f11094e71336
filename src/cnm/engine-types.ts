/**
 * What the controller offers the Docker engine (through the plugin adapter,
 * src/api/plugin): the NetworkDriver calls in weft's terms. The engine owns
 * these networks' and endpoints' IPAM holdings and their containers; weft
 * plumbs the kernel side and keeps records so that it survives its own
 * restarts (the engine replays nothing).
 */
import type { JoinInfo } from '../drivers/driver.js';
import type { PortSpec } from './records.js';

/** `-o weft.driver=NAME` picks the weft driver of an engine network; bridge when absent. */
export const ENGINE_DRIVER_OPTION = 'weft.driver';
export const ENGINE_DEFAULT_DRIVER = 'bridge';

/** One IPv4Data/IPv6Data entry of CreateNetwork. */
export interface EngineSubnet {
  addressSpace: string;
  /** CIDR. */
  pool: string;
  /** CIDR with the pool's prefix (as the engine sends it) or a plain IP. */
  gateway?: string;
  /** name → CIDR or plain IP. */
  auxAddresses: Record<string, string>;
}

export interface EngineNetworkRequest {
  networkId: string;
  /** The `-o` options (com.docker.network.generic). */
  options: Record<string, string>;
  ipv6: boolean;
  internal: boolean;
  v4: EngineSubnet[];
  v6: EngineSubnet[];
}

export interface EngineEndpointRequest {
  networkId: string;
  endpointId: string;
  /** CIDRs with the pool's prefix; '' or absent when the engine has none. */
  address?: string;
  addressV6?: string;
  mac?: string;
  /** Endpoint driver options (string-valued ones). */
  options: Record<string, string>;
}

/** Only what the engine left empty may be filled in (reference §2.4). */
export interface EngineEndpointAnswer {
  mac?: string;
}

export interface EngineApi {
  engineCreateNetwork(req: EngineNetworkRequest): Promise<void>;
  /** Already gone is success. */
  engineDeleteNetwork(networkId: string): Promise<void>;
  engineCreateEndpoint(req: EngineEndpointRequest): Promise<EngineEndpointAnswer>;
  /** Already gone is success. */
  engineDeleteEndpoint(networkId: string, endpointId: string): Promise<void>;
  engineJoin(networkId: string, endpointId: string, sandboxKey: string): Promise<JoinInfo>;
  engineLeave(networkId: string, endpointId: string): Promise<void>;
  engineProgramExternalConnectivity(networkId: string, endpointId: string, ports: PortSpec[]): Promise<void>;
  engineRevokeExternalConnectivity(networkId: string, endpointId: string): Promise<void>;
  engineEndpointInfo(networkId: string, endpointId: string): Promise<Record<string, string>>;
  /** The engine released an address through weft's IPAM: an engine endpoint still holding it is stale. */
  engineAddressReleased(poolId: string, address: string): Promise<void>;
  /** Drops engine endpoints the engine left behind (see engine-sweep.ts); returns their ids. */
  sweepEngineEndpoints(): Promise<string[]>;
}
