/**
 * NetworkDriver.* (reference §2): decode → the controller's engine calls →
 * encode in the engine's shapes. Nothing else happens here.
 */
import type { EngineApi, EngineSubnet } from '../../cnm/engine-types.js';
import type { PortSpec } from '../../cnm/records.js';
import type { JoinInfo } from '../../drivers/driver.js';
import {
  badRequest,
  type Body,
  field,
  isObject,
  optionalArray,
  optionalBool,
  optionalInt,
  optionalObject,
  optionalString,
  requiredString,
  stringMap,
} from './decode.js';

export type PluginHandler = (body: Body) => Promise<object>;

const GENERIC = 'com.docker.network.generic';
const ENABLE_IPV6 = 'com.docker.network.enable_ipv6';
const INTERNAL = 'com.docker.network.internal';
const PORT_MAP = 'com.docker.network.portmap';
const PROTOCOLS: Record<number, PortSpec['proto']> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

function subnets(body: Body, name: string): EngineSubnet[] {
  return optionalArray(body, name).map((entry, i) => {
    if (!isObject(entry)) throw badRequest(`${name}[${i}] must be an object`);
    const gateway = optionalString(entry, 'Gateway');
    return {
      addressSpace: optionalString(entry, 'AddressSpace'),
      pool: requiredString(entry, 'Pool'),
      ...(gateway !== '' && { gateway }),
      auxAddresses: stringMap(entry, 'AuxAddresses'),
    };
  });
}

/** com.docker.network.generic: the -o options; the engine sends strings (numbers and booleans from API clients are stringified). */
function genericOptions(options: Body): Record<string, string> {
  const generic = optionalObject(options, GENERIC);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(generic)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
    else throw badRequest(`Options.${GENERIC}.${key} must be a string`);
  }
  return out;
}

/** com.docker.network.portmap entries → weft's port specs; HostPort 0 means "any free port". */
export function portSpecs(options: Body): PortSpec[] {
  return optionalArray(options, PORT_MAP).map((entry, i) => {
    if (!isObject(entry)) throw badRequest(`${PORT_MAP}[${i}] must be an object`);
    const number = optionalInt(entry, 'Proto', 0, 255);
    const proto = PROTOCOLS[number];
    if (!proto) throw badRequest(`${PORT_MAP}[${i}].Proto ${number} is not tcp (6), udp (17) or sctp (132)`);
    const containerPort = optionalInt(entry, 'Port', 1, 65535);
    const start = optionalInt(entry, 'HostPort', 0, 65535);
    const end = optionalInt(entry, 'HostPortEnd', 0, 65535, start);
    if (end !== 0 && end < start) throw badRequest(`${PORT_MAP}[${i}]: HostPortEnd ${end} is below HostPort ${start}`);
    const hostIp = optionalString(entry, 'HostIP');
    return { proto, hostIp: hostIp === '0.0.0.0' || hostIp === '::' ? '' : hostIp, hostPortStart: start, hostPortEnd: start === 0 ? 0 : Math.max(start, end), containerPort };
  });
}

/** Endpoint driver options (--driver-opt k=v): the string-valued entries the engine does not define itself. */
function endpointOptions(options: Body): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'string' && !key.startsWith('com.docker.network.')) out[key] = value;
  }
  return out;
}

function encodeJoin(info: JoinInfo): object {
  return {
    InterfaceName: info.interfaceName ? { SrcName: info.interfaceName.srcName, DstPrefix: info.interfaceName.dstPrefix } : null,
    Gateway: info.gateway ?? '',
    GatewayIPv6: info.gatewayV6 ?? '',
    StaticRoutes: info.staticRoutes.map((r) => ({ Destination: r.destination, RouteType: r.routeType, ...(r.nextHop !== undefined && { NextHop: r.nextHop }) })),
    DisableGatewayService: info.disableGatewayService,
  };
}

const ids = (body: Body): [string, string] => [requiredString(body, 'NetworkID'), requiredString(body, 'EndpointID')];

export function networkHandlers(engine: EngineApi): Record<string, PluginHandler> {
  return {
    'NetworkDriver.GetCapabilities': async () => ({ Scope: 'local', ConnectivityScope: 'local' }),
    'NetworkDriver.CreateNetwork': async (body) => {
      const options = optionalObject(body, 'Options');
      const ipv6 = field(options, ENABLE_IPV6);
      const internal = field(options, INTERNAL);
      if (ipv6 !== undefined && typeof ipv6 !== 'boolean') throw badRequest(`Options.${ENABLE_IPV6} must be a boolean`);
      if (internal !== undefined && typeof internal !== 'boolean') throw badRequest(`Options.${INTERNAL} must be a boolean`);
      await engine.engineCreateNetwork({
        networkId: requiredString(body, 'NetworkID'),
        options: genericOptions(options),
        ipv6: ipv6 === true,
        internal: internal === true,
        v4: subnets(body, 'IPv4Data'),
        v6: subnets(body, 'IPv6Data'),
      });
      return {};
    },
    'NetworkDriver.DeleteNetwork': async (body) => {
      await engine.engineDeleteNetwork(requiredString(body, 'NetworkID'));
      return {};
    },
    'NetworkDriver.CreateEndpoint': async (body) => {
      const [networkId, endpointId] = ids(body);
      const iface = optionalObject(body, 'Interface');
      const answer = await engine.engineCreateEndpoint({
        networkId,
        endpointId,
        address: optionalString(iface, 'Address'),
        addressV6: optionalString(iface, 'AddressIPv6'),
        mac: optionalString(iface, 'MacAddress'),
        options: endpointOptions(optionalObject(body, 'Options')),
      });
      return answer.mac ? { Interface: { MacAddress: answer.mac } } : {};
    },
    'NetworkDriver.DeleteEndpoint': async (body) => {
      await engine.engineDeleteEndpoint(...ids(body));
      return {};
    },
    'NetworkDriver.EndpointOperInfo': async (body) => ({ Value: await engine.engineEndpointInfo(...ids(body)) }),
    'NetworkDriver.Join': async (body) => {
      const [networkId, endpointId] = ids(body);
      return encodeJoin(await engine.engineJoin(networkId, endpointId, optionalString(body, 'SandboxKey')));
    },
    'NetworkDriver.Leave': async (body) => {
      await engine.engineLeave(...ids(body));
      return {};
    },
    'NetworkDriver.ProgramExternalConnectivity': async (body) => {
      const [networkId, endpointId] = ids(body);
      await engine.engineProgramExternalConnectivity(networkId, endpointId, portSpecs(optionalObject(body, 'Options')));
      return {};
    },
    'NetworkDriver.RevokeExternalConnectivity': async (body) => {
      await engine.engineRevokeExternalConnectivity(...ids(body));
      return {};
    },
    // Swarm node discovery: nothing for a local-scope driver to do.
    'NetworkDriver.DiscoverNew': async () => ({}),
    'NetworkDriver.DiscoverDelete': async () => ({}),
  };
}
