/**
 * The plugin socket: dockerd finds a legacy plugin by its socket file
 * (/run/docker/plugins/NAME.sock). Like the gRPC socket, it is bound in a
 * private directory, made 0600 and only then linked into place, so nobody
 * but root can connect even for a moment; a stale file is replaced, a live
 * server's never (prepareSocketPath).
 */
import { chmodSync, linkSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { ErrorCodes, WeftError } from '../../errors/index.js';
import { prepareSocketPath } from '../grpc/socket.js';

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Listens on `path`; returns the socket's inode (for removeOwnSocket). */
export async function listenUnix(server: Server, path: string): Promise<number> {
  await prepareSocketPath(path);
  const privateDir = mkdtempSync(join(dirname(path), '.weft-'));
  const privatePath = join(privateDir, 's');
  try {
    await listen(server, privatePath);
    chmodSync(privatePath, 0o600);
    try {
      linkSync(privatePath, path);
    } catch (err) {
      server.close();
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new WeftError(ErrorCodes.SOCKET_IN_USE, 'Conflict', `${path} was claimed by another server`, { cause: err });
      }
      throw err;
    }
    return statSync(path).ino;
  } finally {
    rmSync(privateDir, { recursive: true, force: true });
  }
}
