/**
 * The macvlan driver: sandboxes get macvlan devices on a host interface (the
 * parent), so they sit directly on the parent's LAN with their own MACs and
 * route through the LAN's router. Pure: it validates options and returns
 * plans; the controller applies them. No published ports (as Docker), no
 * firewall intent: the traffic never crosses the host's forward path.
 */
import type {
  Driver,
  DriverCapabilities,
  EndpointInfo,
  EndpointPlacement,
  EndpointPlan,
  EndpointSpec,
  HostFacts,
  JoinInfo,
  NetworkInfo,
  NetworkPlan,
  NetworkRequirements,
  NetworkSpec,
} from '../driver.js';
import { firstGatewayIp } from '../common/addresses.js';
import { readMacvlanEndpointData, readMacvlanNetworkData } from './data.js';
import { planMacvlanEndpoint } from './endpoint.js';
import { macvlanRequirements, planMacvlanNetwork } from './network.js';

export class MacvlanDriver implements Driver {
  readonly name = 'macvlan';

  capabilities(): DriverCapabilities {
    // As Docker's: the data is local, but sandboxes on one LAN reach each other across hosts.
    return { scope: 'local', connectivityScope: 'global', usesIpam: true, portPublishing: false, attachesToHostLan: true };
  }

  requirements(spec: NetworkSpec): NetworkRequirements {
    return macvlanRequirements(spec);
  }

  createNetwork(spec: NetworkSpec, host?: HostFacts): NetworkPlan {
    return planMacvlanNetwork(spec, host);
  }

  createEndpoint(network: NetworkInfo, endpoint: EndpointSpec, placement: EndpointPlacement): EndpointPlan {
    return planMacvlanEndpoint(network, endpoint, placement);
  }

  /** The gateway is the LAN's router; internal networks give none. */
  join(network: NetworkInfo, endpoint: EndpointInfo): JoinInfo {
    const data = readMacvlanNetworkData(network);
    const { srcName } = readMacvlanEndpointData(endpoint);
    const gateway = data.internal || !endpoint.addressV4 ? undefined : firstGatewayIp(network.v4);
    const gatewayV6 = data.internal || !endpoint.addressV6 ? undefined : firstGatewayIp(network.v6);
    return {
      ...(srcName !== undefined && { interfaceName: { srcName, dstPrefix: 'eth' } }),
      ...(gateway !== undefined && { gateway }),
      ...(gatewayV6 !== undefined && { gatewayV6 }),
      staticRoutes: [],
      disableGatewayService: false,
    };
  }
}
