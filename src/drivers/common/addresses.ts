/**
 * Small helpers over the 'ip/prefix' strings IPAM hands out. IPAM has
 * already validated them; these only take them apart.
 */
import type { EndpointSpec, NetworkSpec, SubnetData } from '../driver.js';

/** The address part of 'ip/prefix' (or the ip itself). */
export function ipOf(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

/** The address as a host route: /32 for IPv4, /128 for IPv6. */
export function hostCidr(cidr: string): string {
  const ip = ipOf(cidr);
  return `${ip}/${ip.includes(':') ? 128 : 32}`;
}

/** Gateways (with their prefix) of a network's subnets, in order; subnets without one are skipped. */
export function gatewaysOf(subnets: readonly SubnetData[]): string[] {
  return subnets.flatMap((s) => (s.gateway === undefined ? [] : [s.gateway]));
}

/** The first subnet's gateway as a plain IP: the one a sandbox routes through. */
export function firstGatewayIp(subnets: readonly SubnetData[]): string | undefined {
  const gateway = gatewaysOf(subnets)[0];
  return gateway === undefined ? undefined : ipOf(gateway);
}

/** Default-route gateways (plain IPs) for the families the endpoint has an address in. */
export function defaultGateways(network: NetworkSpec, endpoint: EndpointSpec): string[] {
  const v4 = endpoint.addressV4 === undefined ? undefined : firstGatewayIp(network.v4);
  const v6 = endpoint.addressV6 === undefined ? undefined : firstGatewayIp(network.v6);
  return [v4, v6].filter((g): g is string => g !== undefined);
}
