/**
 * The Docker engine's side of the controller: networks and endpoints that
 * dockerd makes through the plugin protocol (reference §2). The same drivers,
 * plan runner and firewall rendering serve them as weft's own API; the
 * differences are that ids come from the engine, IPAM holdings are the
 * engine's (it releases them itself), and an endpoint's sandbox end stays
 * in the daemon's namespace (placement `host`) for the engine to move.
 * Deletes of what is already gone succeed: the engine only logs their errors.
 */
import { ErrorCodes, WeftError } from '../errors/index.js';
import type { EndpointInfo, JoinInfo, NetworkSpec, SubnetData } from '../drivers/driver.js';
import { formatCidr, formatIp, parseCidr, parseIp, type IpAddress } from '../ipam/cidr.js';
import type { ControllerContext } from './context.js';
import { ENGINE_DEFAULT_DRIVER, ENGINE_DRIVER_OPTION, type EngineEndpointAnswer, type EngineEndpointRequest, type EngineNetworkRequest, type EngineSubnet } from './engine-types.js';
import { driverFor } from './network-ops.js';
import { networkTeardownOps, planNetwork } from './network-plan.js';
import { runChange } from './plan-runner.js';
import type { EndpointRecord, NetworkRecord } from './records.js';
import { networkInfo } from './views.js';

/** Engine ids are opaque strings; these bounds keep them usable as store keys and in names. */
const ENGINE_ID = /^[A-Za-z0-9_.-]{1,128}$/;

export function checkEngineId(id: string, what: 'network' | 'endpoint'): void {
  if (!ENGINE_ID.test(id)) {
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', `invalid ${what} id ${JSON.stringify(id)}: 1-128 of [A-Za-z0-9_.-]`);
  }
}

/** An engine network by exact id. */
export function engineNetwork(ctx: ControllerContext, networkId: string): NetworkRecord {
  const net = ctx.repo.networks.get(networkId);
  if (!net) throw new WeftError(ErrorCodes.NETWORK_NOT_FOUND, 'NotFound', `network ${networkId} not found`, { details: { network: networkId } });
  if (net.origin !== 'engine') throw engineOwned(`network ${net.name} belongs to weft's own API, not to the Docker engine`);
  return net;
}

/** An engine endpoint by exact id, on the network the engine names. */
export function engineEndpoint(ctx: ControllerContext, networkId: string, endpointId: string): { net: NetworkRecord; ep: EndpointRecord } {
  const net = engineNetwork(ctx, networkId);
  const ep = ctx.repo.endpoints.get(endpointId);
  if (!ep || ep.networkId !== net.id) {
    throw new WeftError(ErrorCodes.ENDPOINT_NOT_FOUND, 'NotFound', `endpoint ${endpointId} not found in network ${networkId}`, {
      details: { network: networkId, endpoint: endpointId },
    });
  }
  return { net, ep };
}

export function engineOwned(message: string): WeftError {
  return new WeftError(ErrorCodes.ENGINE_OWNED, 'Forbidden', message);
}

export async function engineCreateNetwork(ctx: ControllerContext, req: EngineNetworkRequest): Promise<NetworkRecord> {
  checkEngineId(req.networkId, 'network');
  const existing = ctx.repo.networks.get(req.networkId);
  // A retried create (the engine retries on connection errors) finds its network made.
  if (existing?.origin === 'engine') return existing;
  if (existing) throw new WeftError(ErrorCodes.NETWORK_EXISTS, 'Conflict', `network id ${req.networkId} is taken by weft's network ${existing.name}`);
  const driver = driverFor(ctx, req.options[ENGINE_DRIVER_OPTION] || ENGINE_DEFAULT_DRIVER);
  const spec: NetworkSpec = {
    id: req.networkId,
    name: engineNetworkName(ctx, req.networkId),
    options: { ...req.options },
    labels: {},
    internal: req.internal,
    attachable: true,
    ipv6: req.ipv6,
    v4: req.v4.map((s) => subnetData(s, 4)),
    v6: req.ipv6 ? req.v6.map((s) => subnetData(s, 6)) : [],
  };
  // Through the same planning as weft's own networks: host facts (a macvlan parent), kernel features.
  const plan = await planNetwork(ctx, driver, spec);
  const record: NetworkRecord = {
    ...spec,
    driver: driver.name,
    scope: driver.capabilities().scope,
    created: new Date().toISOString(),
    ipamDriver: 'engine',
    ipamOptions: {},
    reserved: [],
    driverData: plan.data,
    firewall: plan.firewall,
    ops: plan.ops,
    predefined: false,
    origin: 'engine',
  };
  const repo = ctx.repo;
  const firewall = plan.firewall
    ? ctx.firewall.opFor({ networks: [...repo.networks.values(), record], endpoints: repo.endpoints.values(), sandboxes: repo.sandboxes.values() })
    : undefined;
  await runChange(ctx, {
    what: `create engine network ${record.name}`,
    ops: plan.ops,
    firewall,
    addresses: [],
    pools: [],
    commit: (applied) => [{ kind: 'network', put: { ...record, ops: applied } }],
  });
  const committed = repo.networks.get(record.id)!;
  ctx.log.info({ network: record.id, name: record.name, driver: record.driver }, 'engine network created');
  ctx.events.emit({ type: 'network.created', network: committed });
  return committed;
}

/** `docker-` + 12 hex of the id (more if that name is taken): the engine never tells the network's name. */
function engineNetworkName(ctx: ControllerContext, id: string): string {
  const taken = new Set([...ctx.repo.networks.values()].map((n) => n.name));
  for (let len = 12; len < id.length; len++) if (!taken.has(`docker-${id.slice(0, len)}`)) return `docker-${id.slice(0, len)}`;
  return `docker-${id}`;
}

function subnetData(s: EngineSubnet, family: 4 | 6): SubnetData {
  const pool = parseCidr(s.pool);
  if (pool.family !== family) {
    throw new WeftError(ErrorCodes.BAD_CIDR, 'BadRequest', `pool ${s.pool} is not an IPv${family} subnet`);
  }
  const subnet = formatCidr(pool);
  const gateway = s.gateway ? `${ipText(parseIp(plainIp(s.gateway)))}/${pool.prefix}` : undefined;
  const auxAddresses = Object.fromEntries(Object.entries(s.auxAddresses).map(([name, a]) => [name, ipText(parseIp(plainIp(a)))]));
  return { poolId: `${s.addressSpace}/${subnet}`, subnet, ...(gateway !== undefined && { gateway }), auxAddresses };
}

const ipText = (ip: IpAddress): string => formatIp(ip.family, ip.value);

export function plainIp(text: string): string {
  const slash = text.indexOf('/');
  return slash < 0 ? text : text.slice(0, slash);
}

export async function engineDeleteNetwork(ctx: ControllerContext, networkId: string): Promise<void> {
  const net = ctx.repo.networks.get(networkId);
  if (!net) return;
  if (net.origin !== 'engine') throw engineOwned(`network ${net.name} belongs to weft's own API, not to the Docker engine`);
  // The engine deletes a network only once its endpoints are gone; any left are leftovers of a crash.
  for (const ep of ctx.repo.endpointsOf({ networkId })) await dropEngineEndpoint(ctx, ep, 'its network was deleted');
  const repo = ctx.repo;
  if (net.firewall) {
    const fw = ctx.firewall.opFor({ networks: [...repo.networks.values()].filter((n) => n.id !== net.id), endpoints: repo.endpoints.values(), sandboxes: repo.sandboxes.values() });
    await ctx.kernel.apply([fw.op]);
    ctx.firewall.committed(fw.state);
  }
  const driver = ctx.drivers.get(net.driver);
  await driver?.deleteNetwork?.(networkInfo(net)).catch((err: unknown) => ctx.log.warn({ err, network: net.id }, 'driver hook failed'));
  await ctx.kernel.teardown(networkTeardownOps(ctx, net)).catch((err: unknown) => ctx.log.warn({ err, network: net.id }, 'network teardown left errors; reconcile removes leftovers'));
  await repo.commit([{ kind: 'network', remove: net.id }]);
  ctx.log.info({ network: net.id, name: net.name }, 'engine network removed');
  ctx.events.emit({ type: 'network.removed', network: net });
}

export async function engineCreateEndpoint(ctx: ControllerContext, req: EngineEndpointRequest): Promise<EngineEndpointAnswer> {
  checkEngineId(req.endpointId, 'endpoint');
  const net = engineNetwork(ctx, req.networkId);
  const existing = ctx.repo.endpoints.get(req.endpointId);
  if (existing) {
    if (existing.networkId !== net.id) throw new WeftError(ErrorCodes.ENDPOINT_EXISTS, 'Conflict', `endpoint id ${req.endpointId} is taken on another network`);
    return req.mac ? {} : { ...(existing.mac !== undefined && { mac: existing.mac }) };
  }
  const driver = driverFor(ctx, net.driver);
  const addressV4 = req.address ? checkAddress(req.address, 4) : undefined;
  const addressV6 = req.addressV6 ? checkAddress(req.addressV6, 6) : undefined;
  const spec = { id: req.endpointId, networkId: net.id, addressV4, addressV6, ...(req.mac ? { mac: req.mac } : {}), options: req.options };
  const plan = await driver.createEndpoint(networkInfo(net), spec, { kind: 'host' });
  const now = new Date().toISOString();
  const ep: EndpointRecord = {
    id: spec.id,
    networkId: net.id,
    sandboxId: '',
    ifname: '',
    addressV4,
    addressV6,
    mac: plan.mac,
    aliases: [],
    gatewayProvider: false,
    hostDevices: plan.hostDevices ?? [],
    driverData: plan.data,
    ops: plan.ops,
    created: now,
    origin: 'engine',
    ...(plan.srcName !== undefined && { srcName: plan.srcName }),
    engineJoined: false,
    engineSince: now,
    ports: [],
  };
  const repo = ctx.repo;
  const firewall = ctx.firewall.opFor({ networks: repo.networks.values(), endpoints: [...repo.endpoints.values(), ep], sandboxes: repo.sandboxes.values() });
  await runChange(ctx, {
    what: `create engine endpoint ${ep.id}`,
    ops: plan.ops,
    firewall,
    addresses: [],
    pools: [],
    commit: (applied) => [{ kind: 'endpoint', put: { ...ep, ops: applied } }],
  });
  ctx.log.info({ network: net.id, endpoint: ep.id, address: addressV4, address6: addressV6, srcName: ep.srcName }, 'engine endpoint created');
  return req.mac || plan.mac === undefined ? {} : { mac: plan.mac };
}

/** An interface address as the engine sends it: ip/prefix of the right family. */
function checkAddress(text: string, family: 4 | 6): string {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  const prefix = slash < 0 ? (family === 4 ? 32 : 128) : Number(text.slice(slash + 1));
  const max = family === 4 ? 32 : 128;
  if (ip.family !== family || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new WeftError(ErrorCodes.BAD_ADDRESS, 'BadRequest', `invalid IPv${family} interface address ${JSON.stringify(text)}: expected ip/prefix`);
  }
  return `${ipText(ip)}/${prefix}`;
}

export async function engineDeleteEndpoint(ctx: ControllerContext, networkId: string, endpointId: string): Promise<void> {
  const ep = ctx.repo.endpoints.get(endpointId);
  if (!ep) return;
  if (ep.origin !== 'engine' || ep.networkId !== networkId) throw engineOwned(`endpoint ${endpointId} is not the engine's endpoint on network ${networkId}`);
  await dropEngineEndpoint(ctx, ep, 'deleted by the engine');
}

/** Firewall without it, the driver's hooks, the kernel objects, the record; the IPAM holdings are the engine's. */
export async function dropEngineEndpoint(ctx: ControllerContext, ep: EndpointRecord, why: string): Promise<void> {
  const repo = ctx.repo;
  const fw = ctx.firewall.opFor({ networks: repo.networks.values(), endpoints: [...repo.endpoints.values()].filter((e) => e.id !== ep.id), sandboxes: repo.sandboxes.values() });
  await ctx.kernel.apply([fw.op]);
  ctx.firewall.committed(fw.state);
  const net = repo.networks.get(ep.networkId);
  const driver = net && ctx.drivers.get(net.driver);
  if (net && driver?.deleteEndpoint) {
    await driver.deleteEndpoint(networkInfo(net), endpointInfo(ep)).catch((err: unknown) => ctx.log.warn({ err, endpoint: ep.id }, 'driver hook failed'));
  }
  await ctx.kernel.teardown(ep.ops).catch((err: unknown) => ctx.log.warn({ err, endpoint: ep.id }, 'endpoint teardown left errors; reconcile removes leftovers'));
  await repo.commit([{ kind: 'endpoint', remove: ep.id }]);
  ctx.log.info({ network: ep.networkId, endpoint: ep.id, why }, 'engine endpoint removed');
}

export function endpointInfo(ep: EndpointRecord): EndpointInfo {
  return { id: ep.id, networkId: ep.networkId, addressV4: ep.addressV4, addressV6: ep.addressV6, mac: ep.mac, options: {}, driverData: ep.driverData };
}

export async function engineJoin(ctx: ControllerContext, networkId: string, endpointId: string, sandboxKey: string): Promise<JoinInfo> {
  const { net, ep } = engineEndpoint(ctx, networkId, endpointId);
  const info = await driverFor(ctx, net.driver).join(networkInfo(net), endpointInfo(ep));
  await ctx.repo.commit([{ kind: 'endpoint', put: { ...ep, engineJoined: true, engineSince: new Date().toISOString() } }]);
  ctx.log.info({ network: net.id, endpoint: ep.id, sandboxKey }, 'engine endpoint joined');
  // No gateway here: keep the engine from adding docker_gwbridge because of this endpoint (reference §7 #1).
  return { ...info, disableGatewayService: info.disableGatewayService || info.gateway === undefined };
}

export async function engineLeave(ctx: ControllerContext, networkId: string, endpointId: string): Promise<void> {
  const ep = ctx.repo.endpoints.get(endpointId);
  if (!ep || ep.networkId !== networkId || ep.origin !== 'engine') return;
  await ctx.repo.commit([{ kind: 'endpoint', put: { ...ep, engineJoined: false, engineSince: new Date().toISOString() } }]);
  ctx.log.info({ network: networkId, endpoint: endpointId }, 'engine endpoint left');
}

export async function engineEndpointInfo(ctx: ControllerContext, networkId: string, endpointId: string): Promise<Record<string, string>> {
  const { ep } = engineEndpoint(ctx, networkId, endpointId);
  const ports = (ep.ports ?? []).map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.proto}`).join(',');
  return {
    id: ep.id,
    ...(ep.srcName !== undefined && { srcName: ep.srcName }),
    ...(ep.hostDevices[0] !== undefined && { hostDevice: ep.hostDevices[0] }),
    ...(ep.mac !== undefined && { mac: ep.mac }),
    ...(ports !== '' && { ports }),
  };
}
