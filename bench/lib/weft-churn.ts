/**
 * weft's side of the churn bench: sandboxes on one bridge network through the
 * daemon's gRPC API with the in-process client (one connection, so the daemon
 * is measured, not CLI start-up), and one step through the CLI for scale.
 */
import { connect as connectClient, type WeftClient } from '../../src/api/grpc/client.js';
import { checkInterface, phase, type StepStats } from './phases.js';
import { type Scratch, uniqueName } from './scratch.js';
import { runTimedOk, summarise, type Summary } from './timing.js';
import { startWeftd, WEFT, type BenchDaemon } from './weftd.js';

export const WEFT_SUBNET = '10.251.0.0/16';
/** How many connects the CLI row times (each a node process). */
const CLI_SAMPLES = 20;

export interface WeftChurn {
  steps: StepStats;
  /** `weft network connect` as a process per call (node start-up included). */
  cliConnect: Summary;
}

/** Sandboxes, networks and their namespaces of this run that are still there (after a failure). */
async function removeLeftovers(client: WeftClient, prefix: string, network: string): Promise<void> {
  for (const sandbox of await client.listSandboxes()) {
    if (sandbox.Name.startsWith(prefix)) await client.removeSandbox(sandbox.Name, true);
  }
  await client.removeNetwork(network).catch(() => undefined);
}

async function cliConnects(client: WeftClient, daemon: BenchDaemon, scratch: Scratch, prefix: string, network: string, n: number): Promise<Summary> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}k${i}`);
  const samples: number[] = [];
  for (const name of names) {
    scratch.trackNetns(name);
    await client.createSandbox({ name, networks: [network] });
    await client.disconnect(network, name);
    const { ms } = await runTimedOk(process.execPath, [WEFT, '-H', daemon.target, 'network', 'connect', network, name]);
    samples.push(ms);
    await client.removeSandbox(name);
  }
  return summarise(samples);
}

export async function churnWeft(scratch: Scratch, host: string, n: number): Promise<WeftChurn> {
  const daemon = await startWeftd(scratch, host);
  const client = connectClient(daemon.target);
  const prefix = uniqueName();
  const network = `${prefix}net`;
  try {
    await client.createNetwork({ name: network, driver: 'bridge', subnets: [WEFT_SUBNET] });
    // Warm-up: one untimed cycle (the daemon's code paths, the page cache).
    const warm = `${prefix}w`;
    scratch.trackNetns(warm);
    await client.createSandbox({ name: warm, networks: [network] });
    await client.disconnect(network, warm);
    await client.connect({ network, sandbox: warm });
    await client.removeSandbox(warm);

    const names = Array.from({ length: n }, (_, i) => `${prefix}s${i}`);
    for (const name of names) scratch.trackNetns(name);
    // A sandbox always starts on a network (the default bridge if none is named; one on "none" can
    // join no other), as a Docker container does: each starts on the bench network and leaves it,
    // untimed, before the connect phase.
    const create = await phase(names, (name) => client.createSandbox({ name, networks: [network] }));
    for (const name of names) await client.disconnect(network, name);
    const connect = await phase(names, (sandbox) => client.connect({ network, sandbox }));
    const ifname = await endpointInterface(client, names[0]!);
    await checkInterface(names[0]!, ifname, '10.251.', true);
    const disconnect = await phase(names, (sandbox) => client.disconnect(network, sandbox));
    await checkInterface(names[0]!, ifname, '10.251.', false);
    const remove = await phase(names, (name) => client.removeSandbox(name));
    const cliConnect = await cliConnects(client, daemon, scratch, prefix, network, Math.min(n, CLI_SAMPLES));
    return { steps: { create, connect, disconnect, remove }, cliConnect };
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nweftd log (end):\n${daemon.logTail()}`, { cause: err });
  } finally {
    await removeLeftovers(client, prefix, network).catch((err: unknown) => process.stderr.write(`bench cleanup: ${String(err)}\n`));
    client.close();
  }
}

/** The sandbox-side interface name weft gave the endpoint (read back with ip in checkInterface). */
async function endpointInterface(client: WeftClient, sandbox: string): Promise<string> {
  const [endpoint] = Object.values((await client.inspectSandbox(sandbox)).Networks);
  if (endpoint === undefined) throw new Error(`bench: sandbox ${sandbox} has no endpoint after connect`);
  return endpoint.Interface;
}
