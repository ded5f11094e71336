/**
 * Real traffic between test namespaces: short-lived client processes run with
 * `ip netns exec`, servers opened inside a namespace by the kernel layer.
 * Only addresses of namespaces the tests made are ever targeted.
 */
import { execFile } from 'node:child_process';
import { closeSync } from 'node:fs';
import net from 'node:net';
import type { Kernel } from '../../src/kernel/kernel.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runIn(ns: string, cmd: string, args: string[], timeoutMs = 5000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** True when at least one of three echo requests is answered (the first may be lost to neighbour discovery). */
export async function pings(ns: string, address: string, waitSeconds = 2): Promise<boolean> {
  return (await runIn(ns, 'ping', ['-c3', '-i0.2', `-W${waitSeconds}`, address])).code === 0;
}

/** Connects, prints what the server sent, exits 0; 1 on error, 2 on timeout. */
const CLIENT = `
const s = require('net').connect({ host: process.argv[1], port: Number(process.argv[2]), timeout: 1500 });
let data = '';
s.on('data', (c) => (data += c));
s.on('end', () => { process.stdout.write(data); process.exit(0); });
s.on('timeout', () => { process.stderr.write('timeout'); process.exit(2); });
s.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
`;

/** The server's answer ("<name> <address it saw>"), or the failure as text starting with "failed". */
export async function tcpRequest(ns: string, host: string, port: number): Promise<string> {
  const result = await runIn(ns, process.execPath, ['-e', CLIENT, host, String(port)]);
  return result.code === 0 ? result.stdout.trim() : `failed (${result.code}): ${result.stderr.trim()}`;
}

export async function canConnect(ns: string, host: string, port: number): Promise<boolean> {
  return !(await tcpRequest(ns, host, port)).startsWith('failed');
}

/** A TCP server in `ns` answering "<name> <peer address>"; close it with `server.close()`. */
export async function serveTcp(kernel: Kernel, ns: string, port: number, name: string, address = '0.0.0.0'): Promise<net.Server> {
  const fd = kernel.openSocket(ns, 4, 'tcp', address, port);
  const server = net.createServer((socket) => socket.end(`${name} ${socket.remoteAddress}\n`));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd }, resolve);
    });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return server;
}
