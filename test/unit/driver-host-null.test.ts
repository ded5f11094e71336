/**
 * host and null: no IPAM, no kernel objects, nothing to move at join.
 */
import { describe, expect, it } from 'vitest';
import { builtinDrivers, HostDriver, NullDriver } from '../../src/drivers/index.js';
import type { Driver, NetworkSpec } from '../../src/drivers/driver.js';

const spec: NetworkSpec = {
  id: 'ffff',
  name: 'host',
  options: {},
  labels: {},
  internal: false,
  attachable: false,
  ipv6: false,
  v4: [],
  v6: [],
};

describe.each<[string, Driver]>([
  ['host', new HostDriver()],
  ['null', new NullDriver()],
])('%s driver', (name, driver) => {
  it('is local, without IPAM or port publishing', () => {
    expect(driver.name).toBe(name);
    expect(driver.capabilities()).toEqual({ scope: 'local', connectivityScope: 'local', usesIpam: false, portPublishing: false });
  });

  it('plans nothing for networks and endpoints, and joins without an interface', () => {
    expect(driver.createNetwork(spec)).toEqual({ ops: [], data: {} });
    const net = { ...spec, driverData: {} };
    const ep = { id: 'e', networkId: 'ffff', options: {} };
    expect(driver.createEndpoint(net, ep, { kind: 'netns', netns: 'sb', ifname: 'eth0', defaultGateway: true })).toEqual({ ops: [], data: {} });
    expect(driver.createEndpoint(net, ep, { kind: 'host' })).toEqual({ ops: [], data: {} });
    expect(driver.join(net, { ...ep, driverData: {} })).toEqual({ staticRoutes: [], disableGatewayService: false });
  });
});

describe('builtinDrivers', () => {
  it('has bridge, nat, macvlan, host and null, each a fresh instance', () => {
    expect(builtinDrivers().map((d) => d.name)).toEqual(['bridge', 'nat', 'macvlan', 'host', 'null']);
    expect(builtinDrivers()[0]).not.toBe(builtinDrivers()[0]);
  });
});
