/** Creating, removing and pruning networks. */
import { WeftError } from '../errors/index.js';
import type { Driver, NetworkInfo, NetworkSpec, SubnetData } from '../drivers/driver.js';
import { GATEWAY_REQUEST_TYPE, IGNORE_HOST_ROUTES_OPTION, REQUEST_ADDRESS_TYPE, type Ipam } from '../ipam/ipam.js';
import type { NetworkCreateRequest } from './api-types.js';
import type { ControllerContext } from './context.js';
import { NETWORK_NAME, newId } from './ids.js';
import { subnetRequests, type SubnetRequest } from './ipam-config.js';
import { networkInfo } from './views.js';
import { networkTeardownOps, planNetwork } from './network-plan.js';
import { findNetwork } from './lookup.js';
import { releaseHoldings, runChange } from './plan-runner.js';
import { driverForRemoval, ipamFor, loadDriver } from './plugins.js';
import type { NetworkRecord } from './records.js';

export const DEFAULT_IPAM = 'default';

export function driverFor(ctx: ControllerContext, name: string): Driver {
  // A remote driver is found here once it is registered (loadDriver registers it).
  const driver = ctx.drivers.get(name) ?? ctx.plugins?.activeNetworkDriver(name);
  if (!driver) {
    throw new WeftError('WEFT_UNKNOWN_DRIVER', 'NotFound', `plugin "${name}" not found: weft has no network driver of that name`);
  }
  return driver;
}

export async function createNetwork(ctx: ControllerContext, req: NetworkCreateRequest, predefined = false): Promise<NetworkRecord> {
  validateCreate(ctx, req);
  const driver = await loadDriver(ctx, req.driver ?? 'bridge');
  const caps = driver.capabilities();
  const ipamDriver = req.ipamDriver || DEFAULT_IPAM;
  const ipam = await ipamFor(ctx, ipamDriver);
  const spaces = ipam.defaultAddressSpaces();
  const addressSpace = caps.scope === 'global' ? spaces.globalDefaultAddressSpace : spaces.localDefaultAddressSpace;
  const requests = subnetRequests({ ...req, driver: driver.name }, caps.usesIpam);
  const holdings = { addresses: [] as { poolId: string; address: string }[], pools: [] as string[], ipamDriver };
  // Until runChange takes over (it releases on its own failures), what IPAM gave is ours to give back.
  let handedOver = false;
  // A remote driver that made the network hears of it going again if the change does not commit.
  let planned: NetworkInfo | undefined;
  try {
    const subnets = [];
    const hostLan = caps.attachesToHostLan === true;
    for (const r of requests) subnets.push(await allocateSubnet({ ipam, addressSpace, hostLan }, r, req, holdings));
    const spec: NetworkSpec = {
      id: newId(),
      name: req.name,
      options: { ...(req.options ?? {}) },
      labels: { ...(req.labels ?? {}) },
      internal: req.internal ?? false,
      attachable: req.attachable ?? false,
      ipv6: req.ipv6 ?? false,
      v4: subnets.filter((s) => !s.v6).map((s) => s.data),
      v6: subnets.filter((s) => s.v6).map((s) => s.data),
    };
    const plan = await planNetwork(ctx, driver, spec);
    planned = { ...spec, driverData: plan.data };
    const record: NetworkRecord = {
      ...spec,
      driver: driver.name,
      scope: caps.scope,
      created: new Date().toISOString(),
      ipamDriver,
      ipamOptions: { ...(req.ipamOptions ?? {}) },
      reserved: [...holdings.addresses],
      driverData: plan.data,
      firewall: plan.firewall,
      ops: plan.ops,
      predefined,
    };
    const repo = ctx.repo;
    const firewall = plan.firewall
      ? ctx.firewall.opFor({ networks: [...repo.networks.values(), record], endpoints: repo.endpoints.values(), sandboxes: repo.sandboxes.values() })
      : undefined;
    handedOver = true;
    await runChange(ctx, {
      what: `create network ${req.name}`,
      ops: plan.ops,
      firewall,
      ...holdings,
      commit: (applied) => [{ kind: 'network', put: { ...record, ops: applied } }],
    });
    const committed = repo.networks.get(record.id)!;
    ctx.log.info({ network: record.id, name: record.name, driver: record.driver }, 'network created');
    ctx.events.emit({ type: 'network.created', network: committed });
    return committed;
  } catch (err) {
    if (planned) await driver.deleteNetwork?.(planned).catch((e: unknown) => ctx.log.warn({ err: e, network: planned?.id }, 'driver hook failed'));
    if (!handedOver) await releaseHoldings(ctx, holdings);
    throw err;
  }
}

function validateCreate(ctx: ControllerContext, req: NetworkCreateRequest): void {
  if (!req.name || !NETWORK_NAME.test(req.name)) {
    throw new WeftError('WEFT_INVALID_ARGUMENT', 'BadRequest', `invalid network name "${req.name ?? ''}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  if ([...ctx.repo.networks.values()].some((n) => n.name === req.name)) {
    throw new WeftError('WEFT_NETWORK_EXISTS', 'Conflict', `network with name ${req.name} already exists`);
  }
}

async function allocateSubnet(
  { ipam, addressSpace, hostLan }: { ipam: Ipam; addressSpace: string; hostLan: boolean },
  r: SubnetRequest,
  req: NetworkCreateRequest,
  holdings: { addresses: { poolId: string; address: string }[]; pools: string[] },
): Promise<{ v6: boolean; data: SubnetData }> {
  const pool = await ipam.requestPool({
    addressSpace,
    pool: r.subnet,
    subPool: r.ipRange,
    // A network on the host's own LAN (macvlan) names a subnet the host routes already.
    options: hostLan ? { ...req.ipamOptions, [IGNORE_HOST_ROUTES_OPTION]: 'true' } : req.ipamOptions,
    v6: r.v6,
  });
  holdings.pools.push(pool.poolId);
  // An IPAM may name the gateway with the pool (reference §3.3); then it is not requested.
  const fromPool = r.gateway ? undefined : pool.data[GATEWAY_REQUEST_TYPE];
  const gateway = fromPool
    ? { address: fromPool }
    : await ipam.requestAddress({ poolId: pool.poolId, address: r.gateway, options: { [REQUEST_ADDRESS_TYPE]: GATEWAY_REQUEST_TYPE } });
  holdings.addresses.push({ poolId: pool.poolId, address: gateway.address.split('/')[0]! });
  for (const address of Object.values(r.auxAddresses)) {
    await ipam.requestAddress({ poolId: pool.poolId, address });
    holdings.addresses.push({ poolId: pool.poolId, address });
  }
  return {
    v6: r.v6,
    data: { poolId: pool.poolId, addressSpace, subnet: pool.pool, gateway: gateway.address, ipRange: r.ipRange, auxAddresses: r.auxAddresses },
  };
}

export async function removeNetwork(ctx: ControllerContext, ref: string): Promise<void> {
  const net = findNetwork(ctx.repo, ref);
  if (net.predefined) {
    throw new WeftError('WEFT_PREDEFINED_NETWORK', 'Forbidden', `${net.name} is a pre-defined network and cannot be removed`);
  }
  if (net.origin === 'engine') {
    throw new WeftError('WEFT_ENGINE_OWNED', 'Forbidden', `network ${net.name} belongs to the Docker engine: remove it with docker network rm`);
  }
  const endpoints = ctx.repo.endpointsOf({ networkId: net.id });
  if (endpoints.length > 0) {
    throw new WeftError('WEFT_NETWORK_IN_USE', 'Conflict', `error while removing network: network ${net.name} id ${net.id} has active endpoints`);
  }
  const repo = ctx.repo;
  if (net.firewall) {
    const fw = ctx.firewall.opFor({ networks: [...repo.networks.values()].filter((n) => n.id !== net.id), endpoints: repo.endpoints.values(), sandboxes: repo.sandboxes.values() });
    await ctx.kernel.apply([fw.op]);
    ctx.firewall.committed(fw.state);
  }
  const driver = await driverForRemoval(ctx, net.driver, { network: net.id });
  await driver?.deleteNetwork?.(networkInfo(net)).catch((err: unknown) => ctx.log.warn({ err, network: net.id }, 'driver hook failed'));
  // Ports its endpoints left (retired veths) go before the network does.
  await ctx.kernel.settle().catch((err: unknown) => ctx.log.warn({ err, network: net.id }, 'retired links not yet deleted'));
  await ctx.kernel.teardown(networkTeardownOps(ctx, net)).catch((err: unknown) => ctx.log.warn({ err, network: net.id }, 'network teardown left errors; reconcile removes leftovers'));
  await repo.commit([{ kind: 'network', remove: net.id }]);
  await releaseHoldings(ctx, { addresses: net.reserved, pools: [...net.v4, ...net.v6].map((s) => s.poolId), ipamDriver: net.ipamDriver });
  ctx.log.info({ network: net.id, name: net.name }, 'network removed');
  ctx.events.emit({ type: 'network.removed', network: net });
}

export async function pruneNetworks(ctx: ControllerContext): Promise<string[]> {
  const removed: string[] = [];
  for (const net of [...ctx.repo.networks.values()]) {
    if (net.predefined || net.origin === 'engine' || ctx.repo.endpointsOf({ networkId: net.id }).length > 0) continue;
    await removeNetwork(ctx, net.id);
    removed.push(net.name);
  }
  return removed.sort();
}
