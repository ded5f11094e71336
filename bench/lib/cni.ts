/**
 * The CNI reference: Debian's containernetworking-plugins `bridge` plugin with
 * `host-local` IPAM, exec'd per ADD/DEL as a container runtime does, inside the
 * throwaway host namespace (nsenter --net), on fresh namespaces made with
 * `ip netns add` (the runtime's part, timed as its own step like weft's
 * sandbox create).
 */
import { existsSync } from 'node:fs';
import { checkInterface, phase, type StepStats } from './phases.js';
import { deleteNetns, type Scratch, uniqueName } from './scratch.js';
import { runTimedOk } from './timing.js';

export const CNI_PATH = '/usr/lib/cni';
const PLUGIN = `${CNI_PATH}/bridge`;
export const CNI_SUBNET = '10.250.0.0/16';

export function requireCniPlugins(): void {
  for (const plugin of [PLUGIN, `${CNI_PATH}/host-local`]) {
    if (!existsSync(plugin)) {
      throw new Error(`${plugin} is missing: the churn bench compares with the CNI reference plugins (apt-get install containernetworking-plugins, or scripts/install.sh)`);
    }
  }
}

function networkConfig(dataDir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: uniqueName('cni'),
    type: 'bridge',
    bridge: uniqueName('b'),
    isGateway: true,
    ipMasq: false,
    ipam: { type: 'host-local', subnet: CNI_SUBNET, dataDir },
  });
}

/** One plugin call, as a runtime makes it: parameters in the environment, the network config on stdin. */
function plugin(host: string, command: 'ADD' | 'DEL', netns: string, config: string) {
  return runTimedOk('nsenter', [`--net=/run/netns/${host}`, PLUGIN], {
    input: config,
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: netns,
      CNI_NETNS: `/run/netns/${netns}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH,
    },
  });
}

/** `n` namespaces: create, ADD, DEL, delete, each step over all of them in turn. */
export async function churnCni(scratch: Scratch, host: string, n: number): Promise<StepStats> {
  requireCniPlugins();
  const config = networkConfig(scratch.tempDir('cni'));
  const prefix = uniqueName();
  // Warm-up: one untimed cycle (page cache, the bridge itself is created by the first ADD).
  const warm = `${prefix}w`;
  await scratch.addNetns(warm);
  await plugin(host, 'ADD', warm, config);
  await plugin(host, 'DEL', warm, config);

  const names = Array.from({ length: n }, (_, i) => `${prefix}c${i}`);
  for (const name of names) scratch.trackNetns(name);
  const create = await phase(names, (name) => scratch.addNetns(name));
  const connect = await phase(names, (name) => plugin(host, 'ADD', name, config));
  await checkInterface(names[0]!, 'eth0', '10.250.', true);
  const disconnect = await phase(names, (name) => plugin(host, 'DEL', name, config));
  await checkInterface(names[0]!, 'eth0', '10.250.', false);
  const remove = await phase(names, (name) => deleteNetns(name));
  return { create, connect, disconnect, remove };
}
