/**
 * Planning a nat network: a routed network without an L2 segment, so there
 * is nothing to create in the kernel until endpoints come; the plan is the
 * validated options (driverData) and the firewall intent, whose devices are
 * the endpoints' host-side veths (the controller adds them as endpoints come
 * and go, from EndpointPlan.hostDevices).
 */
import type { NetworkFirewall, NetworkPlan, NetworkSpec } from '../driver.js';
import type { LocalNetworkData } from '../common/data.js';
import { checkSubnets } from '../common/network.js';
import { commonNetworkOptions } from '../common/options.js';

export function natNetworkData(spec: NetworkSpec): LocalNetworkData {
  checkSubnets('nat', spec);
  const common = commonNetworkOptions(spec.options);
  return { ...common, masquerade: common.masquerade && !spec.internal, internal: spec.internal };
}

export function planNatNetwork(spec: NetworkSpec): NetworkPlan {
  const data = natNetworkData(spec);
  const firewall: NetworkFirewall = {
    devices: [],
    subnets: [...spec.v4, ...(spec.ipv6 ? spec.v6 : [])].map((s) => s.subnet),
    masquerade: data.masquerade,
    icc: data.icc,
    internal: data.internal,
    ...(data.hostBindingIpv4 !== undefined && { hostBindingIpv4: data.hostBindingIpv4 }),
  };
  return { ops: [], data, firewall };
}
