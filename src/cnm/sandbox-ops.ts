/** Sandboxes of the netns harness: a named network namespace joined to networks. */
import { WeftError } from '../errors/index.js';
import type { KernelOp } from '../kernel/ops.js';
import type { SandboxCreateRequest } from './api-types.js';
import type { ControllerContext } from './context.js';
import { connect, disconnect } from './endpoint-ops.js';
import { SANDBOX_NAME, newId } from './ids.js';
import { findNetwork, findSandbox } from './lookup.js';
import { runChange } from './plan-runner.js';
import { parsePortSpec } from './ports.js';
import type { SandboxRecord } from './records.js';
import { refreshSandboxFiles } from './sandbox-content.js';

export async function createSandbox(ctx: ControllerContext, req: SandboxCreateRequest): Promise<SandboxRecord> {
  if (!req.name || !SANDBOX_NAME.test(req.name)) {
    throw new WeftError('WEFT_INVALID_ARGUMENT', 'BadRequest', `invalid sandbox name "${req.name ?? ''}": 1-63 of [a-zA-Z0-9_.-], starting with a letter or digit`);
  }
  if ([...ctx.repo.sandboxes.values()].some((s) => s.name === req.name)) {
    throw new WeftError('WEFT_SANDBOX_EXISTS', 'Conflict', `sandbox name "${req.name}" is already in use`);
  }
  if (await ctx.kernel.netnsExists(req.name)) {
    throw new WeftError('WEFT_SANDBOX_EXISTS', 'Conflict', `a network namespace named "${req.name}" already exists`);
  }
  const publish = (req.publish ?? []).map(parsePortSpec);
  const networks = (req.networks?.length ? req.networks : ['bridge']).map((ref) => findNetwork(ctx.repo, ref));
  const hostNetwork = networks.some((n) => n.driver === 'host');
  if (networks.length > 1 && networks.some((n) => n.driver === 'host' || n.driver === 'null')) {
    throw new WeftError('WEFT_INVALID_ARGUMENT', 'BadRequest', 'a sandbox on the host or none network cannot join other networks');
  }
  if (hostNetwork && publish.length > 0) {
    throw new WeftError('WEFT_INVALID_ARGUMENT', 'BadRequest', 'published ports are discarded when using host network mode; remove --publish');
  }
  const ops: KernelOp[] = hostNetwork
    ? [{ op: 'netns.add', name: req.name, pinDaemon: true }]
    : [
        { op: 'netns.add', name: req.name },
        { op: 'link.set', ns: req.name, name: 'lo', set: { up: true } },
      ];
  const record: SandboxRecord = {
    id: newId(),
    name: req.name,
    netns: req.name,
    created: new Date().toISOString(),
    hostname: req.hostname || req.name,
    dns: req.dns ?? [],
    dnsSearch: req.dnsSearch ?? [],
    dnsOptions: req.dnsOptions ?? [],
    publish,
    ports: [],
    hostNetwork,
    ops,
    creating: true,
  };
  await runChange(ctx, {
    what: `create sandbox ${req.name}`,
    ops,
    durable: false,
    addresses: [],
    pools: [],
    commit: (applied) => [{ kind: 'sandbox', put: { ...record, ops: applied } }],
  });
  refreshSandboxFiles(ctx, record);
  try {
    for (const [i, net] of networks.entries()) {
      await connect(ctx, {
        network: net.id,
        sandbox: record.id,
        ipv4: i === 0 ? req.ipv4 : undefined,
        ipv6: i === 0 ? req.ipv6 : undefined,
        aliases: req.aliases,
      });
    }
    const { creating: _creating, ...joined } = ctx.repo.sandboxes.get(record.id)!;
    await ctx.repo.commit([{ kind: 'sandbox', put: joined }], { durable: false });
  } catch (err) {
    await removeSandbox(ctx, record.id).catch((e: unknown) => ctx.log.error({ err: e, sandbox: record.id }, 'undo sandbox create'));
    throw err;
  }
  ctx.log.info({ sandbox: record.id, name: record.name }, 'sandbox created');
  const committed = ctx.repo.sandboxes.get(record.id)!;
  ctx.events.emit({ type: 'sandbox.created', sandbox: committed });
  return committed;
}

export async function removeSandbox(ctx: ControllerContext, ref: string): Promise<void> {
  const sb = findSandbox(ctx.repo, ref);
  // Endpoints without a default route first, so no successor takes over the gateway needlessly.
  const endpoints = ctx.repo.endpointsOf({ sandboxId: sb.id }).sort((a, b) => Number(a.gatewayProvider) - Number(b.gatewayProvider));
  for (const ep of endpoints) await disconnect(ctx, ep.networkId, sb.id, { removing: true });
  await ctx.kernel.teardown(sb.ops).catch((err: unknown) => ctx.log.warn({ err, sandbox: sb.id }, 'sandbox teardown left errors'));
  ctx.files.remove(sb.netns);
  const current = ctx.repo.sandboxes.get(sb.id) ?? sb;
  await ctx.repo.commit([{ kind: 'sandbox', remove: sb.id }]);
  ctx.log.info({ sandbox: sb.id, name: sb.name }, 'sandbox removed');
  ctx.events.emit({ type: 'sandbox.removed', sandbox: current });
}
