/**
 * Restart recovery: make the kernel match the records again. Changes that
 * were in flight when the daemon died are undone (their intents), records
 * whose sandbox namespace is gone are dropped, the kernel objects of live
 * networks and endpoints are re-applied (adds are idempotent, so only missing
 * pieces are made), weft links nobody owns are deleted, the predefined
 * networks exist, and the firewall is re-rendered from the records.
 */
import { WEFT_LINK_GROUP } from '../drivers/index.js';
import type { KernelOp, LinkKind } from '../kernel/ops.js';
import type { ControllerContext } from './context.js';
import { restoreEngineEndpoints } from './engine-sweep.js';
import { createNetwork } from './network-ops.js';
import { releaseHoldings } from './plan-runner.js';
import { BUILTIN_IPAM } from './plugins.js';
import type { NetworkRecord, SandboxRecord } from './records.js';
import type { Change } from './repository.js';
import { refreshSandboxFiles } from './sandbox-content.js';
import { removeSandbox } from './sandbox-ops.js';

export interface ReconcileReport {
  intentsUndone: string[];
  sandboxesGone: string[];
  orphanLinks: string[];
  /** `address in poolId`: allocated in a weft network's pool, held by no record (a crash between a commit and a release). */
  addressesFreed: string[];
  errors: string[];
}

/** Forwarding the daemon's namespace needs for routed and NATed networks; set once, shared by all. */
const GLOBAL_SYSCTLS: readonly [string, string][] = [['net.ipv4.ip_forward', '1']];

export async function reconcile(ctx: ControllerContext, opts: { defaultBridgeName: string }): Promise<ReconcileReport> {
  const report: ReconcileReport = { intentsUndone: [], sandboxesGone: [], orphanLinks: [], addressesFreed: [], errors: [] };
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      report.errors.push(`${what}: ${(err as Error).message}`);
      ctx.log.error({ err, what }, 'reconcile step failed');
    }
  };
  await attempt('global sysctls', () => ctx.kernel.apply(GLOBAL_SYSCTLS.map(([key, value]) => ({ op: 'sysctl.set', key, value }))));
  // Veths a teardown retired before a crash: gone before any endpoint is restored.
  await attempt('retired links', () => ctx.kernel.settle());
  for (const intent of [...ctx.repo.intents.values()]) {
    await attempt(`undo ${intent.what}`, async () => {
      await ctx.kernel.teardown(undoable(intent.ops)).catch((err: unknown) => ctx.log.warn({ err, intent: intent.what }, 'undo left errors'));
      await releaseHoldings(ctx, intent);
      await ctx.repo.commit([{ kind: 'intent', remove: intent.id }]);
      report.intentsUndone.push(intent.what);
    });
  }
  for (const sb of [...ctx.repo.sandboxes.values()]) {
    if (!(await ctx.kernel.netnsExists(sb.netns))) await attempt(`drop sandbox ${sb.name}`, () => dropSandbox(ctx, sb, report));
  }
  // A create that died half-way is undone whole: a sandbox exists with all its networks or not at all.
  for (const sb of [...ctx.repo.sandboxes.values()].filter((s) => s.creating)) {
    await attempt(`undo create of sandbox ${sb.name}`, async () => {
      await removeSandbox(ctx, sb.id);
      report.intentsUndone.push(`create sandbox ${sb.name}`);
    });
  }
  for (const net of ctx.repo.networks.values()) await attempt(`addresses of network ${net.name}`, () => freeUnownedAddresses(ctx, net, report));
  for (const net of ctx.repo.networks.values()) await attempt(`restore network ${net.name}`, () => ctx.kernel.apply(net.ops));
  for (const ep of ctx.repo.endpoints.values()) {
    if (ep.origin !== 'engine') await attempt(`restore endpoint ${ep.id}`, () => ctx.kernel.apply(ep.ops));
  }
  // Engine endpoints: never re-create a veth the engine may have moved into a container (engine-sweep.ts).
  report.errors.push(...(await restoreEngineEndpoints(ctx)));
  for (const sb of ctx.repo.sandboxes.values()) refreshSandboxFiles(ctx, sb);
  await attempt('predefined networks', () => ensurePredefined(ctx, opts.defaultBridgeName));
  await attempt('orphan links', () => removeOrphanLinks(ctx, report));
  await attempt('firewall', async () => {
    const { networks, endpoints, sandboxes } = ctx.repo;
    const fw = ctx.firewall.opFor({ networks: networks.values(), endpoints: endpoints.values(), sandboxes: sandboxes.values() });
    await ctx.kernel.apply([fw.op]);
    ctx.firewall.committed(fw.state);
  });
  ctx.log.info({ ...report }, 'reconciled');
  return report;
}

/** Ops of an intent that can be undone without knowing what they replaced. */
function undoable(ops: KernelOp[]): KernelOp[] {
  return ops.filter((op) => !((op.op === 'link.set' || op.op === 'sysctl.set') && op.prev === undefined));
}

/**
 * Addresses of a weft network's pools that no record holds: not its
 * gateways or aux addresses, not an endpoint's. Only weft's own networks
 * (the engine holds addresses of its networks before any endpoint names
 * them) and only with the built-in IPAM, which can list what it handed out.
 */
async function freeUnownedAddresses(ctx: ControllerContext, net: NetworkRecord, report: ReconcileReport): Promise<void> {
  // The built-in IPAM only: a remote one is not woken up at start (it cannot list anyway).
  if (net.origin === 'engine' || (net.ipamDriver && net.ipamDriver !== BUILTIN_IPAM)) return;
  const ipam = ctx.ipam;
  if (!ipam.allocatedAddresses) return;
  const held = new Set<string>(net.reserved.map((r) => `${r.poolId} ${r.address}`));
  for (const s of [...net.v4, ...net.v6]) if (s.gateway) held.add(`${s.poolId} ${s.gateway.split('/')[0]}`);
  for (const ep of ctx.repo.endpointsOf({ networkId: net.id })) {
    if (ep.poolV4 && ep.addressV4) held.add(`${ep.poolV4} ${ep.addressV4.split('/')[0]}`);
    if (ep.poolV6 && ep.addressV6) held.add(`${ep.poolV6} ${ep.addressV6.split('/')[0]}`);
  }
  for (const { poolId } of [...net.v4, ...net.v6]) {
    for (const { address } of await ipam.allocatedAddresses(poolId)) {
      if (held.has(`${poolId} ${address}`)) continue;
      await ipam.releaseAddress(poolId, address);
      report.addressesFreed.push(`${address} in ${poolId}`);
    }
  }
}

/** A sandbox whose namespace vanished (deleted by hand, or a reboot): forget it and give its addresses back. */
async function dropSandbox(ctx: ControllerContext, sb: SandboxRecord, report: ReconcileReport): Promise<void> {
  const endpoints = ctx.repo.endpointsOf({ sandboxId: sb.id });
  for (const ep of endpoints) {
    await ctx.kernel.teardown(ep.ops.filter((op) => !('ns' in op && op.ns === sb.netns))).catch(() => undefined);
  }
  const changes: Change[] = [...endpoints.map((ep) => ({ kind: 'endpoint' as const, remove: ep.id })), { kind: 'sandbox', remove: sb.id }];
  await ctx.repo.commit(changes);
  // Each endpoint's addresses go back to its network's IPAM.
  for (const ep of endpoints) {
    await releaseHoldings(ctx, {
      addresses: [
        ...(ep.poolV4 && ep.addressV4 ? [{ poolId: ep.poolV4, address: ep.addressV4.split('/')[0]! }] : []),
        ...(ep.poolV6 && ep.addressV6 ? [{ poolId: ep.poolV6, address: ep.addressV6.split('/')[0]! }] : []),
      ],
      pools: [],
      ipamDriver: ctx.repo.networks.get(ep.networkId)?.ipamDriver,
    });
  }
  ctx.files.remove(sb.netns);
  report.sandboxesGone.push(sb.name);
}

async function ensurePredefined(ctx: ControllerContext, bridgeName: string): Promise<void> {
  const names = new Set([...ctx.repo.networks.values()].map((n) => n.name));
  if (!names.has('bridge')) {
    await createNetwork(
      ctx,
      {
        name: 'bridge',
        driver: 'bridge',
        options: {
          'com.docker.network.bridge.name': bridgeName,
          'com.docker.network.bridge.default_bridge': 'true',
          'com.docker.network.bridge.enable_icc': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'true',
        },
      },
      true,
    );
  }
  if (!names.has('host')) await createNetwork(ctx, { name: 'host', driver: 'host' }, true);
  if (!names.has('none')) await createNetwork(ctx, { name: 'none', driver: 'null' }, true);
}

/** Links in weft's link group in the daemon's namespace that no record created. */
async function removeOrphanLinks(ctx: ControllerContext, report: ReconcileReport): Promise<void> {
  const owned = new Set<string>();
  for (const rec of [...ctx.repo.networks.values(), ...ctx.repo.endpoints.values()]) {
    for (const op of rec.ops) {
      if (op.op !== 'link.add' || op.ns !== undefined) continue;
      owned.add(op.link.name);
      if (op.link.veth && op.link.veth.ns === undefined) owned.add(op.link.veth.name);
    }
  }
  const orphans = (await ctx.kernel.links()).filter((l) => l.group === WEFT_LINK_GROUP && !owned.has(l.name));
  for (const link of orphans) {
    // Torn down as the inverse of its creation: a plain link.del would refuse a veth
    // whose peer lives in another namespace, since it could not recreate it on rollback.
    const kind = (link.kind ?? 'veth') as LinkKind;
    await ctx.kernel.teardown([{ op: 'link.add', link: { name: link.name, kind } }]).then(
      () => report.orphanLinks.push(link.name),
      (err: unknown) => report.errors.push(`orphan link ${link.name}: ${(err as Error).message}`),
    );
  }
}
