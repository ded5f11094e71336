/**
 * The sockets of one sandbox's resolver (127.0.0.11:53, UDP and TCP), made
 * from file descriptors that were created and bound inside the sandbox's
 * namespace. Nothing else listens, so the resolver answers only sandboxes.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Reply } from './engine.js';

export type QueryHandler = (query: Buffer, reply: Reply) => void;

const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

type Lookup = (address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void) => void;

/** Addresses we send to are always literals of the socket's family: skip dns.lookup, its extra tick and any parsing. */
function literalLookup(family: 4 | 6): Lookup {
  return (address, _family, callback) => callback(null, address, family);
}

export class UdpListener {
  private readonly socket: dgram.Socket;
  private closed = false;

  constructor(fd: number, family: 4 | 6, onQuery: QueryHandler, onError: (err: Error) => void) {
    this.socket = dgram.createSocket({ type: family === 4 ? 'udp4' : 'udp6', lookup: literalLookup(family) as never });
    this.socket.on('error', onError);
    this.socket.on('message', (msg, peer) => {
      try {
        onQuery(msg, (response) => {
          if (!this.closed) this.socket.send(response, peer.port, peer.address);
        });
      } catch (err) {
        // One query's failure must not take the daemon down.
        onError(err as Error);
      }
    });
    this.socket.once('listening', () => {
      try {
        // Room for bursts (a program resolving many names at once); the kernel caps it at net.core.rmem_max.
        this.socket.setRecvBufferSize(RECV_BUFFER_BYTES);
      } catch {
        // keep the default
      }
    });
    this.socket.bind({ fd });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

export interface TcpLimits {
  maxConnections: number;
  /** A connection idle this long is closed (RFC 7766 §6.2.3). */
  idleMs: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = { maxConnections: 64, idleMs: 10_000 };

export class TcpListener {
  private readonly server: net.Server;
  private readonly connections = new Set<net.Socket>();

  constructor(fd: number, onQuery: QueryHandler, onError: (err: Error) => void, limits: TcpLimits = DEFAULT_TCP_LIMITS) {
    const guarded: QueryHandler = (query, reply) => {
      try {
        onQuery(query, reply);
      } catch (err) {
        onError(err as Error);
      }
    };
    this.server = net.createServer((conn) => this.serve(conn, guarded, limits));
    this.server.maxConnections = limits.maxConnections;
    this.server.on('error', onError);
    this.server.listen({ fd });
  }

  close(): void {
    this.server.close();
    for (const conn of this.connections) conn.destroy();
    this.connections.clear();
  }

  /** Length-prefixed messages (RFC 1035 §4.2.2), pipelined, answered in any order (RFC 7766 §6.2.1.1). */
  private serve(conn: net.Socket, onQuery: QueryHandler, limits: TcpLimits): void {
    this.connections.add(conn);
    conn.on('close', () => this.connections.delete(conn));
    conn.on('error', () => conn.destroy());
    conn.setTimeout(limits.idleMs, () => conn.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    const reply = (response: Buffer) => {
      if (conn.destroyed || !conn.writable) return;
      const prefix = Buffer.allocUnsafe(2);
      prefix.writeUInt16BE(response.length, 0);
      conn.write(Buffer.concat([prefix, response]));
    };
    conn.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const message = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        onQuery(message, reply);
      }
    });
  }
}
