/**
 * Engine endpoints the engine left behind, and engine endpoints after a weftd
 * restart. The engine does not tell a plugin about endpoints of containers
 * that died with a dockerd crash (at its restart it skips driver calls for
 * stale sandboxes, reference §1.6), so weft finds them itself:
 *
 * - the host end of the endpoint's veth is gone: the pair died with the
 *   container's namespace (a veth pair goes when either end goes);
 * - its sandbox end is still in the daemon's namespace long after create,
 *   Join or Leave (the engine moves it within milliseconds of a container
 *   start and deletes it right after Leave): an endpoint whose container
 *   never started, or whose DeleteEndpoint never came;
 * - the engine released its address through weft's IPAM (it does so for
 *   stale endpoints even when it skips the driver calls).
 *
 * On a weftd restart an engine endpoint is never re-created once the engine
 * may have moved its sandbox end into a container: a missing pair then means
 * the container is gone, not that weft should make it again.
 */
import type { KernelOp } from '../kernel/ops.js';
import type { ControllerContext } from './context.js';
import { dropEngineEndpoint, plainIp } from './engine-ops.js';
import type { EndpointRecord } from './records.js';

/** Default for how long a sandbox end may sit in the daemon's namespace before its endpoint counts as abandoned. */
export const ENGINE_STALE_AFTER_MS = 10 * 60_000;

function staleReason(ep: EndpointRecord, links: ReadonlySet<string>, now: number, staleAfterMs: number): string | undefined {
  const hostEnd = ep.hostDevices[0];
  if (hostEnd !== undefined && !links.has(hostEnd)) return 'its veth is gone (the container died)';
  const age = now - Date.parse(ep.engineSince ?? ep.created);
  if (ep.srcName !== undefined && links.has(ep.srcName) && age > staleAfterMs) {
    return ep.engineJoined ? 'joined but its container never took the interface' : 'never joined, or DeleteEndpoint never came';
  }
  return undefined;
}

export async function sweepEngineEndpoints(ctx: ControllerContext, staleAfterMs: number, now = Date.now()): Promise<string[]> {
  const engine = [...ctx.repo.endpoints.values()].filter((e) => e.origin === 'engine');
  if (engine.length === 0) return [];
  const links = new Set((await ctx.kernel.links()).map((l) => l.name));
  const dropped: string[] = [];
  for (const ep of engine) {
    const why = staleReason(ep, links, now, staleAfterMs);
    if (why === undefined) continue;
    await dropEngineEndpoint(ctx, ep, `stale: ${why}`);
    dropped.push(ep.id);
  }
  return dropped;
}

/** An engine endpoint on the released address's pool still holding it: the engine forgot it. */
export async function engineAddressReleased(ctx: ControllerContext, poolId: string, address: string): Promise<void> {
  const subnet = poolSubnet(poolId);
  if (subnet === undefined) return;
  for (const ep of [...ctx.repo.endpoints.values()]) {
    if (ep.origin !== 'engine') continue;
    const net = ctx.repo.networks.get(ep.networkId);
    const holds = [ep.addressV4, ep.addressV6].some((a) => a !== undefined && plainIp(a) === address);
    if (!net || !holds || ![...net.v4, ...net.v6].some((s) => s.subnet === subnet)) continue;
    await dropEngineEndpoint(ctx, ep, 'stale: the engine released its address');
  }
}

/** `Space/10.1.0.0/16[/subpool]` → `10.1.0.0/16`. */
function poolSubnet(poolId: string): string | undefined {
  const parts = poolId.split('/');
  return parts.length >= 3 ? `${parts[1]}/${parts[2]}` : undefined;
}

/**
 * Restart reconcile of engine endpoints: a live pair gets its other host-side
 * ops re-applied; a pair never handed to a container is made again; a pair
 * gone after Join means its container is gone, so the endpoint goes too.
 */
export async function restoreEngineEndpoints(ctx: ControllerContext): Promise<string[]> {
  const engine = [...ctx.repo.endpoints.values()].filter((e) => e.origin === 'engine');
  if (engine.length === 0) return [];
  const links = new Set((await ctx.kernel.links()).map((l) => l.name));
  const errors: string[] = [];
  for (const ep of engine) {
    try {
      await restoreOne(ctx, ep, links);
    } catch (err) {
      errors.push(`restore engine endpoint ${ep.id}: ${(err as Error).message}`);
      ctx.log.error({ err, endpoint: ep.id }, 'reconcile step failed');
    }
  }
  return errors;
}

async function restoreOne(ctx: ControllerContext, ep: EndpointRecord, links: ReadonlySet<string>): Promise<void> {
  const hostEnd = ep.hostDevices[0];
  const isLinkOp = (op: KernelOp) => op.op === 'link.add' && op.ns === undefined && (op.link.name === hostEnd || op.link.name === ep.srcName);
  if (hostEnd !== undefined && links.has(hostEnd)) {
    await ctx.kernel.apply(ep.ops.filter((op) => !isLinkOp(op)));
  } else if (!ep.engineJoined) {
    await ctx.kernel.apply(ep.ops);
  } else if (hostEnd !== undefined) {
    await dropEngineEndpoint(ctx, ep, 'stale: its veth is gone (the container died)');
  } else if (ep.srcName !== undefined && links.has(ep.srcName)) {
    await ctx.kernel.apply(ep.ops.filter((op) => !isLinkOp(op)));
  }
  // Joined, no host end and its device not here: it is inside the container; nothing to do.
}
