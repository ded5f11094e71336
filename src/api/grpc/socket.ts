/**
 * The API's unix socket file: take over a stale one, never a live one, and
 * make sure nobody but root (the owner) can ever connect.
 */
import { once } from 'node:events';
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { ServerCredentials, type Server } from '@grpc/grpc-js';
import { ErrorCodes, WeftError } from '../../errors/index.js';

/** How long a connect probe may take before the socket counts as live (a full backlog stalls). */
const PROBE_TIMEOUT_MS = 2000;

function socketInUse(message: string, path: string, cause?: unknown): WeftError {
  return new WeftError(ErrorCodes.SOCKET_IN_USE, 'Conflict', message, { cause, details: { socket: path } });
}

/** Whether a server accepts connections on the unix socket at `path`. */
async function answers(path: string): Promise<boolean> {
  const probe = connect(path);
  probe.setTimeout(PROBE_TIMEOUT_MS, () => probe.destroy(Object.assign(new Error('probe timed out'), { code: 'ETIMEDOUT' })));
  try {
    await once(probe, 'connect');
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT') return false;
    if (code === 'ETIMEDOUT') return true; // something holds it, too busy to answer
    throw err;
  } finally {
    probe.destroy();
  }
}

/**
 * Creates the socket's directory and removes a socket file left by a server
 * that is gone. A live server or a file that is not a socket is never touched.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw socketInUse(`${path} exists and is not a socket; refusing to replace it`, path);
  if (await answers(path)) {
    throw socketInUse(`a server is already listening on ${path}: is another weftd running?`, path);
  }
  rmSync(path, { force: true });
}

function bindAsync(server: Server, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Binds `server` to the unix socket `path` and returns the socket's inode.
 *
 * The socket is created in a private (0700) directory next to `path`, made
 * 0600 there, and only then hard-linked into place: binding at `path`
 * directly would leave it connectable by anyone for the moment between bind
 * and chmod, and a connection accepted then would outlive the chmod. link()
 * also fails if another server claimed `path` after prepareSocketPath.
 */
export async function bindUnixSocket(server: Server, path: string): Promise<number> {
  const privateDir = mkdtempSync(join(dirname(path), '.weft-'));
  const privatePath = join(privateDir, 's');
  try {
    await bindAsync(server, `unix://${privatePath}`);
    chmodSync(privatePath, 0o600);
    try {
      linkSync(privatePath, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw socketInUse(`${path} was claimed by another server`, path, err);
      throw err;
    }
    return statSync(path).ino;
  } finally {
    rmSync(privateDir, { recursive: true, force: true });
  }
}

/** Removes the socket file at `path` if it is still the one we bound. */
export function removeOwnSocket(path: string, ino: number): void {
  try {
    if (lstatSync(path).ino === ino) rmSync(path, { force: true });
  } catch {
    // already gone: nothing to clean up
  }
}
