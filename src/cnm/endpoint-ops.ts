/** Connecting sandboxes to networks and disconnecting them. */
import { WeftError } from '../errors/index.js';
import type { Driver, EndpointInfo, EndpointSpec, SubnetData } from '../drivers/driver.js';
import { cidrContainsIp, parseCidr, parseIp } from '../ipam/cidr.js';
import type { Ipam } from '../ipam/ipam.js';
import type { KernelOp } from '../kernel/ops.js';
import type { ConnectRequest } from './api-types.js';
import type { ControllerContext } from './context.js';
import { newId } from './ids.js';
import { findNetwork, findSandbox } from './lookup.js';
import { networkInfo } from './views.js';
import { driverForRemoval, ipamFor, loadDriver } from './plugins.js';
import { releaseHoldings, runChange } from './plan-runner.js';
import { allocatePorts } from './ports.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './records.js';
import type { Change } from './repository.js';
import { refreshSandboxFiles } from './sandbox-content.js';

/** host and null networks own the whole sandbox: nothing else can be attached beside them. */
const EXCLUSIVE_DRIVERS = new Set(['host', 'null']);

export async function connect(ctx: ControllerContext, req: ConnectRequest): Promise<EndpointRecord> {
  const net = findNetwork(ctx.repo, req.network);
  const sb = findSandbox(ctx.repo, req.sandbox);
  checkAttachable(ctx, net, sb);
  const driver = await loadDriver(ctx, net.driver);
  const caps = driver.capabilities();
  const ipam = await ipamFor(ctx, net.ipamDriver);
  const holdings = { addresses: [] as { poolId: string; address: string }[], pools: [] as string[], ipamDriver: net.ipamDriver };
  let handedOver = false;
  // A remote driver acted already when it planned: it hears of the endpoint going if the change does not commit.
  let planned: EndpointInfo | undefined;
  try {
    const v4 = caps.usesIpam ? await allocateIn(ipam, net.v4, req.ipv4, 'IPv4') : undefined;
    if (v4) holdings.addresses.push({ poolId: v4.poolId, address: v4.address.split('/')[0]! });
    const v6 = caps.usesIpam && net.ipv6 ? await allocateIn(ipam, net.v6, req.ipv6, 'IPv6') : undefined;
    if (v6) holdings.addresses.push({ poolId: v6.poolId, address: v6.address.split('/')[0]! });
    const siblings = ctx.repo.endpointsOf({ sandboxId: sb.id });
    const gatewayProvider = !net.internal && net.v4.some((s) => s.gateway) && !siblings.some((e) => e.gatewayProvider);
    const spec: EndpointSpec = { id: newId(), networkId: net.id, addressV4: v4?.address, addressV6: v6?.address, options: {} };
    const ifname = nextIfname(siblings);
    const plan = await driver.createEndpoint(networkInfo(net), spec, { kind: 'netns', netns: sb.netns, ifname, defaultGateway: gatewayProvider });
    planned = { ...spec, mac: plan.mac, driverData: plan.data };
    const ep: EndpointRecord = {
      id: spec.id,
      networkId: net.id,
      sandboxId: sb.id,
      ifname,
      addressV4: v4?.address,
      addressV6: v6?.address,
      poolV4: v4?.poolId,
      poolV6: v6?.poolId,
      mac: plan.mac,
      aliases: [...(req.aliases ?? [])],
      gatewayProvider,
      hostDevices: plan.hostDevices ?? [],
      driverData: plan.data,
      ops: plan.ops,
      created: new Date().toISOString(),
    };
    const publishes = gatewayProvider && caps.portPublishing && sb.publish.length > 0 && v4 !== undefined;
    const sandbox: SandboxRecord = publishes
      ? { ...sb, ports: allocatePorts(sb.publish, portsInUse(ctx, sb.id), { networkId: net.id, containerIp: v4.address.split('/')[0]! }) }
      : sb;
    const repo = ctx.repo;
    const firewall = ctx.firewall.opFor({
      networks: repo.networks.values(),
      endpoints: [...repo.endpoints.values(), ep],
      sandboxes: [...repo.sandboxes.values()].map((s) => (s.id === sb.id ? sandbox : s)),
    });
    handedOver = true;
    await runChange(ctx, {
      what: `connect ${sb.name} to ${net.name}`,
      ops: plan.ops,
      durable: false,
      firewall,
      ...holdings,
      commit: (applied): Change[] => [
        { kind: 'endpoint', put: { ...ep, ops: applied } },
        ...(sandbox !== sb ? [{ kind: 'sandbox' as const, put: sandbox }] : []),
      ],
    });
    planned = undefined;
    refreshSandboxFiles(ctx, sandbox);
    const committed = repo.endpoints.get(ep.id)!;
    ctx.log.info({ network: net.id, sandbox: sb.id, endpoint: ep.id, address: ep.addressV4, address6: ep.addressV6 }, 'endpoint joined');
    ctx.events.emit({ type: 'endpoint.joined', endpoint: committed, network: net, sandbox });
    return committed;
  } catch (err) {
    if (planned) for (const hook of ['leave', 'deleteEndpoint'] as const) await notifyDriver(ctx, driver, net, planned, hook);
    if (!handedOver) await releaseHoldings(ctx, holdings);
    throw err;
  }
}

function checkAttachable(ctx: ControllerContext, net: NetworkRecord, sb: SandboxRecord): void {
  if (net.origin === 'engine') {
    throw new WeftError('WEFT_ENGINE_OWNED', 'Forbidden', `network ${net.name} belongs to the Docker engine: only its containers can join it`);
  }
  const siblings = ctx.repo.endpointsOf({ sandboxId: sb.id });
  if (siblings.some((e) => e.networkId === net.id)) {
    throw new WeftError('WEFT_ENDPOINT_EXISTS', 'Conflict', `endpoint with name ${sb.name} already exists in network ${net.name}`);
  }
  if (net.driver === 'host' && !sb.hostNetwork) {
    throw new WeftError('WEFT_INVALID_ARGUMENT', 'Forbidden', 'container cannot be disconnected from host network or connected to host network');
  }
  if (sb.hostNetwork && net.driver !== 'host') {
    throw new WeftError('WEFT_INVALID_ARGUMENT', 'Forbidden', `sandbox ${sb.name} uses the host network and cannot join ${net.name}`);
  }
  const exclusive = siblings.some((e) => EXCLUSIVE_DRIVERS.has(ctx.repo.networks.get(e.networkId)?.driver ?? ''));
  if (exclusive || (EXCLUSIVE_DRIVERS.has(net.driver) && siblings.length > 0)) {
    throw new WeftError('WEFT_INVALID_ARGUMENT', 'Forbidden', 'container cannot be connected to multiple networks with one of the networks in private (none) or host mode');
  }
}

async function allocateIn(ipam: Ipam, subnets: SubnetData[], preferred: string | undefined, family: string) {
  if (subnets.length === 0) return undefined;
  let target = subnets[0]!;
  if (preferred) {
    const ip = parseIp(preferred);
    const match = subnets.find((s) => cidrContainsIp(parseCidr(s.subnet), ip));
    if (!match) {
      throw new WeftError('WEFT_ADDRESS_OUT_OF_RANGE', 'BadRequest', `no configured subnet contains ${family} address ${preferred}`);
    }
    target = match;
  }
  // Not fsynced alone: the endpoint's commit (or the intent's undo) follows, durable.
  const res = await ipam.requestAddress({ poolId: target.poolId, address: preferred, durable: false });
  return { poolId: target.poolId, address: res.address };
}

function nextIfname(siblings: EndpointRecord[]): string {
  const used = new Set(siblings.map((e) => e.ifname));
  for (let i = 0; ; i++) if (!used.has(`eth${i}`)) return `eth${i}`;
}

function portsInUse(ctx: ControllerContext, exceptSandbox: string) {
  return [...ctx.repo.sandboxes.values()].filter((s) => s.id !== exceptSandbox).flatMap((s) => s.ports);
}


export async function disconnect(ctx: ControllerContext, networkRef: string, sandboxRef: string, options: { removing?: boolean } = {}): Promise<void> {
  const net = findNetwork(ctx.repo, networkRef);
  const sb = findSandbox(ctx.repo, sandboxRef);
  const ep = ctx.repo.endpointsOf({ sandboxId: sb.id }).find((e) => e.networkId === net.id);
  if (!ep) throw new WeftError('WEFT_ENDPOINT_NOT_FOUND', 'NotFound', `sandbox ${sb.name} is not connected to network ${net.name}`);
  if (sb.hostNetwork && !options.removing) {
    throw new WeftError('WEFT_INVALID_ARGUMENT', 'Forbidden', 'container cannot be disconnected from host network or connected to host network');
  }
  const handover = options.removing || !ep.gatewayProvider ? undefined : successorOf(ctx, sb, ep);
  const sandbox: SandboxRecord = ep.gatewayProvider
    ? { ...sb, ports: handover?.ports ?? [] }
    : sb;
  const repo = ctx.repo;
  const fw = ctx.firewall.opFor({
    networks: repo.networks.values(),
    endpoints: [...repo.endpoints.values()].filter((e) => e.id !== ep.id),
    sandboxes: [...repo.sandboxes.values()].map((s) => (s.id === sb.id ? sandbox : s)),
  });
  await ctx.kernel.apply([fw.op]);
  ctx.firewall.committed(fw.state);
  const driver = await driverForRemoval(ctx, net.driver, { endpoint: ep.id });
  const info = endpointInfoOf(ep);
  await notifyDriver(ctx, driver, net, info, 'leave');
  await ctx.kernel.teardown(ep.ops).catch((err: unknown) => ctx.log.warn({ err, endpoint: ep.id }, 'endpoint teardown left errors; reconcile removes leftovers'));
  // As dockerd: the interface is back in the daemon's namespace before DeleteEndpoint (reference §4.3).
  await notifyDriver(ctx, driver, net, info, 'deleteEndpoint');
  const changes: Change[] = [{ kind: 'endpoint', remove: ep.id }];
  if (handover) {
    // The leaving interface took its default route with it; now the successor's can go in.
    const routes = await ctx.kernel.apply(handover.routeOps).catch((err: unknown) => {
      ctx.log.warn({ err, endpoint: handover.endpoint.id }, 'default route hand-over failed');
      return [];
    });
    changes.push({ kind: 'endpoint', put: { ...handover.endpoint, gatewayProvider: true, ops: [...handover.endpoint.ops, ...routes] } });
  }
  if (sandbox !== sb) changes.push({ kind: 'sandbox', put: sandbox });
  // No fsync of its own: the release below fsyncs it (commits become durable in order). A
  // power loss in between loses the sandbox itself anyway, and the next start gives back
  // any address no record holds (reconcile).
  await repo.commit(changes, { durable: false });
  await releaseHoldings(ctx, {
    addresses: [
      ...(ep.poolV4 && ep.addressV4 ? [{ poolId: ep.poolV4, address: ep.addressV4.split('/')[0]! }] : []),
      ...(ep.poolV6 && ep.addressV6 ? [{ poolId: ep.poolV6, address: ep.addressV6.split('/')[0]! }] : []),
    ],
    pools: [],
    ipamDriver: net.ipamDriver,
  });
  if (!options.removing) refreshSandboxFiles(ctx, sandbox);
  ctx.log.info({ network: net.id, sandbox: sb.id, endpoint: ep.id }, 'endpoint left');
  ctx.events.emit({ type: 'endpoint.left', endpoint: ep, network: net, sandbox });
}

/** Remote drivers hear of the endpoint leaving; their failures do not stop the removal. */
async function notifyDriver(ctx: ControllerContext, driver: Driver | undefined, net: NetworkRecord, info: EndpointInfo, hook: 'leave' | 'deleteEndpoint'): Promise<void> {
  await driver?.[hook]?.(networkInfo(net), info).catch((err: unknown) => ctx.log.warn({ err, endpoint: info.id, hook }, 'driver hook failed'));
}

function endpointInfoOf(ep: EndpointRecord): EndpointInfo {
  return { id: ep.id, networkId: ep.networkId, addressV4: ep.addressV4, addressV6: ep.addressV6, mac: ep.mac, options: {}, driverData: ep.driverData };
}

/** When the gateway provider leaves, the next non-internal endpoint takes the default route and the published ports. */
function successorOf(ctx: ControllerContext, sb: SandboxRecord, leaving: EndpointRecord) {
  for (const candidate of ctx.repo.endpointsOf({ sandboxId: sb.id })) {
    if (candidate.id === leaving.id) continue;
    const net = ctx.repo.networks.get(candidate.networkId);
    const gw4 = net?.v4.find((s) => s.poolId === candidate.poolV4)?.gateway?.split('/')[0];
    if (!net || net.internal || !gw4) continue;
    const gw6 = net.v6.find((s) => s.poolId === candidate.poolV6)?.gateway?.split('/')[0];
    const routeOps: KernelOp[] = [{ op: 'route.add', ns: sb.netns, route: { dst: 'default', family: 4, via: gw4, dev: candidate.ifname } }];
    if (gw6) routeOps.push({ op: 'route.add', ns: sb.netns, route: { dst: 'default', family: 6, via: gw6, dev: candidate.ifname } });
    const containerIp = candidate.addressV4?.split('/')[0] ?? '';
    const ports = sb.ports.map((p) => ({ ...p, networkId: net.id, containerIp }));
    return { endpoint: candidate, routeOps, ports };
  }
  return undefined;
}
