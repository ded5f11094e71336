/**
 * Port publishing for engine endpoints: `docker run -p` reaches the driver as
 * com.docker.network.portmap in ProgramExternalConnectivity (the engine does
 * nothing itself for remote drivers, reference §2.9). Host ports are
 * allocated against every published port weft knows (its own sandboxes' and
 * other engine endpoints'), kept on the endpoint record, and rendered by the
 * same firewall as weft's own published ports. Both calls are idempotent:
 * the engine may repeat them when the gateway role moves.
 */
import type { ControllerContext } from './context.js';
import { engineEndpoint, plainIp } from './engine-ops.js';
import { driverFor } from './network-ops.js';
import { runChange } from './plan-runner.js';
import { allocatePorts } from './ports.js';
import type { EndpointRecord, PortSpec, PublishedPort } from './records.js';

export async function engineProgramPorts(ctx: ControllerContext, networkId: string, endpointId: string, specs: PortSpec[]): Promise<void> {
  const { net, ep } = engineEndpoint(ctx, networkId, endpointId);
  const containerIp = plainIp(ep.addressV4 ?? ep.addressV6 ?? '');
  if (specs.length === 0 || net.internal || containerIp === '') return setPorts(ctx, ep, []);
  if (!driverFor(ctx, net.driver).capabilities().portPublishing) {
    ctx.log.warn({ network: net.id, endpoint: ep.id, driver: net.driver }, 'driver publishes no ports; -p ignored');
    return setPorts(ctx, ep, []);
  }
  const ports = allocatePorts(dedupe(specs), portsInUse(ctx, ep.id), { networkId: net.id, containerIp });
  await setPorts(ctx, ep, ports);
  ctx.log.info({ network: net.id, endpoint: ep.id, ports: ports.map((p) => `${p.hostIp || '*'}:${p.hostPort}->${p.containerPort}/${p.proto}`) }, 'engine ports published');
}

export async function engineRevokePorts(ctx: ControllerContext, networkId: string, endpointId: string): Promise<void> {
  const ep = ctx.repo.endpoints.get(endpointId);
  if (!ep || ep.networkId !== networkId || ep.origin !== 'engine' || (ep.ports ?? []).length === 0) return;
  await setPorts(ctx, ep, []);
}

async function setPorts(ctx: ControllerContext, ep: EndpointRecord, ports: PublishedPort[]): Promise<void> {
  if ((ep.ports ?? []).length === 0 && ports.length === 0) return;
  const repo = ctx.repo;
  const updated: EndpointRecord = { ...ep, ports };
  const firewall = ctx.firewall.opFor({
    networks: repo.networks.values(),
    endpoints: [...repo.endpoints.values()].map((e) => (e.id === ep.id ? updated : e)),
    sandboxes: repo.sandboxes.values(),
  });
  await runChange(ctx, {
    what: `publish ports of engine endpoint ${ep.id}`,
    ops: [],
    firewall,
    addresses: [],
    pools: [],
    commit: () => [{ kind: 'endpoint', put: updated }],
  });
}

/** Every host port in use except those of `exceptEndpoint`. */
function portsInUse(ctx: ControllerContext, exceptEndpoint: string): PublishedPort[] {
  return [
    ...[...ctx.repo.sandboxes.values()].flatMap((s) => s.ports),
    ...[...ctx.repo.endpoints.values()].filter((e) => e.id !== exceptEndpoint).flatMap((e) => e.ports ?? []),
  ];
}

/** The engine may send one binding per host address family (0.0.0.0 and ::); both mean "every address". */
function dedupe(specs: PortSpec[]): PortSpec[] {
  const seen = new Set<string>();
  return specs.filter((s) => {
    const key = `${s.proto}|${s.hostIp}|${s.hostPortStart}|${s.hostPortEnd}|${s.containerPort}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
