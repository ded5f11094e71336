/** Records as drivers see them. */
import type { NetworkInfo } from '../drivers/driver.js';
import type { NetworkRecord } from './records.js';

export function networkInfo(net: NetworkRecord): NetworkInfo {
  return {
    id: net.id,
    name: net.name,
    options: net.options,
    labels: net.labels,
    internal: net.internal,
    attachable: net.attachable,
    ipv6: net.ipv6,
    v4: net.v4,
    v6: net.v6,
    driverData: net.driverData,
  };
}
