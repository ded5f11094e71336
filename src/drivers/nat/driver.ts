/**
 * The nat driver: a routed network without a bridge. Each endpoint has a
 * point-to-point veth and a host route; egress is masqueraded, and
 * endpoints of one network reach each other through the host.
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
import { planNatEndpoint } from './endpoint.js';
import { planNatNetwork } from './network.js';

export class NatDriver implements Driver {
  readonly name = 'nat';

  capabilities(): DriverCapabilities {
    return { scope: 'local', connectivityScope: 'local', usesIpam: true, portPublishing: true };
  }

  createNetwork(spec: NetworkSpec): NetworkPlan {
    return planNatNetwork(spec);
  }

  createEndpoint(network: NetworkInfo, endpoint: EndpointSpec, placement: EndpointPlacement): EndpointPlan {
    return planNatEndpoint(network, endpoint, placement);
  }

  join(network: NetworkInfo, endpoint: EndpointInfo): JoinInfo {
    return localJoin(network, endpoint);
  }
}
