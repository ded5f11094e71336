/**
 * The host driver: the sandbox shares the daemon's network stack, so there
 * is nothing to create, no addresses to hand out and no interface to move.
 */
import type { Driver, DriverCapabilities, EndpointPlan, JoinInfo, NetworkPlan } from '../driver.js';

export class HostDriver implements Driver {
  readonly name = 'host';

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
