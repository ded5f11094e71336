/**
 * weft's side of the DNS bench: a weftd of the bench's own in a throwaway
 * host namespace (nsenter --net), its resolv.conf naming the bench upstream,
 * one network with named sandboxes and a client sandbox, whose resolver at
 * 127.0.0.11 dnsperf queries from inside it.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../src/api/grpc/client.js';
import type { Scratch } from './scratch.js';
import { uniqueName } from './scratch.js';
import { requireBuilt, WEFTD } from './weftd.js';

const READY_TIMEOUT_MS = 30_000;
export const WEFT_SUBNET = '10.251.0.0/24';

export interface DnsSystem {
  /** nsenter --net path of the namespace dnsperf runs in. */
  netnsPath: string;
  server: string;
  /** Names of the system's own that the client can resolve. */
  localNames: string[];
}

async function startDaemon(scratch: Scratch, host: string, resolvConf: string): Promise<string> {
  requireBuilt();
  const dir = scratch.tempDir('weftd-dns');
  const socket = join(dir, 'weft.sock');
  const args = [`--net=/run/netns/${host}`, process.execPath, WEFTD, '--root', join(dir, 'state'), '--socket', socket,
    '--plugin-socket', join(dir, 'plugin.sock'), '--resolv-conf', resolvConf, '--log-level', 'warn'];
  const child = spawn('nsenter', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  scratch.process(child, 'weftd');
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-16_384)));
  const target = `unix://${socket}`;
  const client = connect(target);
  try {
    for (const deadline = Date.now() + READY_TIMEOUT_MS; ; ) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`weftd exited before answering:\n${log}`);
      if (Date.now() > deadline) throw new Error(`weftd did not answer within ${READY_TIMEOUT_MS} ms:\n${log}`);
      try {
        await client.version();
        return target;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    client.close();
  }
}

/** weftd forwards from its own namespace: the upstream is reached over the host's link to it. */
export async function setUpWeft(scratch: Scratch, host: string, upstream: string, count: number): Promise<DnsSystem> {
  const resolvConf = join(scratch.tempDir('weft-resolv'), 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${upstream}\n`);
  const target = await startDaemon(scratch, host, resolvConf);
  const client = connect(target);
  const prefix = uniqueName();
  try {
    await client.createNetwork({ name: 'dnsbench', subnets: [WEFT_SUBNET] });
    const names = Array.from({ length: count }, (_, i) => `${prefix}c${i}`);
    for (const name of [...names, `${prefix}cl`]) {
      scratch.trackNetns(name);
      await client.createSandbox({ name, networks: ['dnsbench'] });
    }
    return { netnsPath: `/run/netns/${prefix}cl`, server: '127.0.0.11', localNames: names };
  } finally {
    client.close();
  }
}
