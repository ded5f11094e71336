/**
 * The null driver ("none"): the sandbox has its own namespace with loopback
 * only. Nothing to create, no addresses, no interface.
 */
import type { Driver, DriverCapabilities, EndpointPlan, JoinInfo, NetworkPlan } from '../driver.js';

export class NullDriver implements Driver {
  readonly name = 'null';

  capabilities(): DriverCapabilities {
    return { scope: 'local', connectivityScope: 'local', usesIpam: false, portPublishing: false };
  }

  createNetwork(): NetworkPlan {
    return { ops: [], data: {} };
  }

  createEndpoint(): EndpointPlan {
    return { ops: [], data: {} };
  }

  join(): JoinInfo {
    return { staticRoutes: [], disableGatewayService: false };
  }
}
