/**
 * NetworkDriver requests as dockerd builds them (reference §2) from weft's
 * driver-port shapes, and the answers read back into them.
 */
import type { DriverCapabilities, EndpointSpec, JoinInfo, NetworkSpec, Scope, SubnetData } from '../driver.js';
import { AnswerReader, type JsonObject } from './json.js';

/** The address space a subnet came from; records made before weft kept it are the built-in IPAM's. */
const DEFAULT_ADDRESS_SPACE = 'LocalDefault';
const EXPOSED_PORTS = 'com.docker.network.endpoint.exposedports';
const PORT_MAP = 'com.docker.network.portmap';

/** IPv4Data/IPv6Data entry: gateway and aux addresses as CIDRs with the pool's prefix length. */
function ipamData(subnet: SubnetData): JsonObject {
  const prefix = subnet.subnet.split('/')[1];
  const aux = Object.entries(subnet.auxAddresses).map(([name, ip]) => [name, ip.includes('/') ? ip : `${ip}/${prefix}`]);
  return {
    AddressSpace: subnet.addressSpace ?? DEFAULT_ADDRESS_SPACE,
    Pool: subnet.subnet,
    ...(subnet.gateway !== undefined && { Gateway: subnet.gateway }),
    ...(aux.length > 0 && { AuxAddresses: Object.fromEntries(aux) }),
  };
}

export function createNetworkRequest(spec: NetworkSpec): JsonObject {
  return {
    NetworkID: spec.id,
    Options: {
      'com.docker.network.enable_ipv6': spec.ipv6,
      'com.docker.network.generic': { ...spec.options },
      ...(spec.internal && { 'com.docker.network.internal': true }),
    },
    IPv4Data: spec.v4.map(ipamData),
    IPv6Data: spec.v6.map(ipamData),
  };
}

/** Endpoint requests carry the port keys dockerd always sends (weft publishes no ports through remote drivers). */
export function createEndpointRequest(endpoint: EndpointSpec): JsonObject {
  return {
    NetworkID: endpoint.networkId,
    EndpointID: endpoint.id,
    Interface: { Address: endpoint.addressV4 ?? '', AddressIPv6: endpoint.addressV6 ?? '', MacAddress: endpoint.mac ?? '' },
    Options: { [EXPOSED_PORTS]: [], [PORT_MAP]: [], ...endpoint.options },
  };
}

export function joinRequest(networkId: string, endpointId: string, sandboxKey: string): JsonObject {
  return { NetworkID: networkId, EndpointID: endpointId, SandboxKey: sandboxKey, Options: { [EXPOSED_PORTS]: [], [PORT_MAP]: [] } };
}

export function capabilitiesOf(plugin: string, answer: JsonObject): DriverCapabilities {
  const read = new AnswerReader(plugin, 'NetworkDriver.GetCapabilities');
  const scope = read.string(answer, 'Scope');
  if (scope !== 'local' && scope !== 'global') throw read.fail(`"Scope" must be "local" or "global", got ${JSON.stringify(scope)}`);
  const connectivity = read.string(answer, 'ConnectivityScope') || scope;
  if (connectivity !== 'local' && connectivity !== 'global') throw read.fail(`"ConnectivityScope" must be "local" or "global", got ${JSON.stringify(connectivity)}`);
  return { scope: scope as Scope, connectivityScope: connectivity as Scope, usesIpam: true, portPublishing: false };
}

/**
 * The interface a CreateEndpoint answer adds: only fields that were empty in
 * the request may be filled (dockerd refuses any other change, even an echo).
 */
export function endpointAnswer(plugin: string, endpoint: EndpointSpec, answer: JsonObject): { mac?: string } {
  const read = new AnswerReader(plugin, 'NetworkDriver.CreateEndpoint');
  const iface = read.object(answer, 'Interface');
  if (!iface) return {};
  const address = read.cidr(iface, 'Address');
  const address6 = read.cidr(iface, 'AddressIPv6');
  const mac = read.string(iface, 'MacAddress');
  if ((address && endpoint.addressV4) || (address6 && endpoint.addressV6) || (mac && endpoint.mac)) {
    throw read.fail('driver modified interface address: an address weft gave cannot be modified');
  }
  if (address || address6) throw read.fail('the plugin chose an address; weft takes addresses from IPAM only');
  if (mac && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) throw read.fail(`"Interface.MacAddress" is not a MAC: ${JSON.stringify(mac)}`);
  return mac ? { mac: mac.toLowerCase() } : {};
}

export function joinAnswer(plugin: string, answer: JsonObject): JoinInfo {
  const read = new AnswerReader(plugin, 'NetworkDriver.Join');
  const names = read.object(answer, 'InterfaceName');
  const srcName = names ? read.string(names, 'SrcName') : '';
  if (srcName !== '' && !/^[^/:\s]{1,15}$/.test(srcName)) throw read.fail(`"InterfaceName.SrcName" is not an interface name: ${JSON.stringify(srcName)}`);
  const staticRoutes = read.array(answer, 'StaticRoutes').map((route) => {
    const routeType = read.number(route, 'RouteType');
    if (routeType !== 0 && routeType !== 1) throw read.fail(`"StaticRoutes[].RouteType" must be 0 or 1, got ${routeType}`);
    const destination = read.cidr(route, 'Destination', false);
    const nextHop = read.ip(route, 'NextHop');
    if (routeType === 0 && !nextHop) throw read.fail(`static route to ${destination} of type 0 needs a "NextHop"`);
    return { destination, routeType: routeType as 0 | 1, ...(routeType === 0 && { nextHop }) };
  });
  const gateway = read.ip(answer, 'Gateway');
  const gatewayV6 = read.ip(answer, 'GatewayIPv6');
  return {
    ...(srcName !== '' && { interfaceName: { srcName, dstPrefix: (names && read.string(names, 'DstPrefix')) || 'eth' } }),
    ...(gateway !== '' && { gateway }),
    ...(gatewayV6 !== '' && { gatewayV6 }),
    staticRoutes,
    disableGatewayService: read.boolean(answer, 'DisableGatewayService'),
  };
}
