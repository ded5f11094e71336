/**
 * The API socket file: created 0600 in a 0755 directory made on demand, a
 * stale socket is replaced, a live server or a foreign file is never touched,
 * and close() removes the socket.
 */
import { existsSync, linkSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/api/grpc/client.js';
import { startGrpcServer } from '../../src/api/grpc/server.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeNetworkApi } from '../helpers/fake-network-api.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-sock-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function start(socketPath: string) {
  return startGrpcServer({ socketPath, api: new FakeNetworkApi(), version: 't', log: silentLogger() });
}

async function versionAt(socketPath: string): Promise<string> {
  const client = connect(`unix://${socketPath}`);
  try {
    return await client.version();
  } finally {
    client.close();
  }
}

/** A unix socket left behind by a process that is gone: bound, then closed without unlinking. */
async function staleSocket(path: string): Promise<void> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  // Node unlinks the socket file on close; keep a hard link to leave a dead socket behind.
  linkSync(path, `${path}.keep`);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  renameSync(`${path}.keep`, path);
}

describe('API socket', () => {
  it('creates the parent directory 0755 and the socket 0600, and removes it on close', async () => {
    const socketPath = join(dir, 'run', 'weft', 'weft.sock');
    const server = await start(socketPath);
    try {
      expect(statSync(join(dir, 'run', 'weft')).mode & 0o777).toBe(0o755);
      const st = statSync(socketPath);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o777).toBe(0o600);
      await expect(versionAt(socketPath)).resolves.toBe('t');
    } finally {
      await server.close();
    }
    expect(existsSync(socketPath)).toBe(false);
    await server.close(); // a second close is harmless
  });

  it('replaces a stale socket that nothing answers on', async () => {
    const socketPath = join(dir, 'weft.sock');
    await staleSocket(socketPath);
    expect(statSync(socketPath).isSocket()).toBe(true);
    const server = await start(socketPath);
    try {
      await expect(versionAt(socketPath)).resolves.toBe('t');
    } finally {
      await server.close();
    }
  });

  it('refuses to start while a live server holds the socket, and leaves it alone', async () => {
    const socketPath = join(dir, 'weft.sock');
    const first = await start(socketPath);
    try {
      await expect(start(socketPath)).rejects.toMatchObject({
        code: 'WEFT_SOCKET_IN_USE',
        message: `a server is already listening on ${socketPath}: is another weftd running?`,
      });
      await expect(versionAt(socketPath)).resolves.toBe('t');
    } finally {
      await first.close();
    }
  });

  it('refuses to replace a file that is not a socket', async () => {
    const socketPath = join(dir, 'weft.sock');
    writeFileSync(socketPath, 'precious');
    await expect(start(socketPath)).rejects.toMatchObject({ code: 'WEFT_SOCKET_IN_USE' });
    expect(statSync(socketPath).isFile()).toBe(true);
  });

  it('leaves no private bind directory behind', async () => {
    const socketPath = join(dir, 'weft.sock');
    const server = await start(socketPath);
    await server.close();
    expect(readdirSync(dir)).toEqual([]);
  });
});
