/**
 * The bridge driver: one Linux bridge per network, a veth per endpoint.
 * Pure: it validates options and returns plans; the controller applies them.
 */
import type {
  Driver,
  DriverCapabilities,
  EndpointInfo,
  EndpointPlacement,
  EndpointPlan,
  EndpointSpec,
  JoinInfo,
  NetworkInfo,
  NetworkPlan,
  NetworkSpec,
} from '../driver.js';
import { localJoin } from '../common/join.js';
import { planBridgeEndpoint } from './endpoint.js';
import { planBridgeNetwork } from './network.js';

export class BridgeDriver implements Driver {
  readonly name = 'bridge';

  capabilities(): DriverCapabilities {
    return { scope: 'local', connectivityScope: 'local', usesIpam: true, portPublishing: true };
  }

  createNetwork(spec: NetworkSpec): NetworkPlan {
    return planBridgeNetwork(spec);
  }

  createEndpoint(network: NetworkInfo, endpoint: EndpointSpec, placement: EndpointPlacement): EndpointPlan {
    return planBridgeEndpoint(network, endpoint, placement);
  }

  join(network: NetworkInfo, endpoint: EndpointInfo): JoinInfo {
    return localJoin(network, endpoint);
  }
}
