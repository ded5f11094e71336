/**
 * One query to one upstream server, over UDP or TCP, from the daemon's own
 * namespace (so upstreams on the host's loopback work). Each UDP exchange
 * has its own connected socket: a fresh random source port per query (RFC
 * 5452), ICMP "port unreachable" surfaces at once as ECONNREFUSED, and only
 * the upstream's address and port can answer. A reply counts only if its id
 * and question match the query.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { tryParseIp } from '../ipam/cidr.js';
import { FLAG, HEADER_LEN } from './wire.js';

export interface Upstream {
  address: string;
  port: number;
  family: 4 | 6;
}

export function parseUpstream(text: string, port = 53): Upstream | undefined {
  const ip = tryParseIp(text.split('%')[0]!);
  return ip ? { address: text, port, family: ip.family } : undefined;
}

export function upstreamKey(u: Upstream): string {
  return `${u.address}#${u.port}`;
}

export class ExchangeError extends Error {
  constructor(
    readonly reason: 'timeout' | 'network' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

export interface Exchanger {
  udp(upstream: Upstream, packet: Buffer, questionEnd: number, timeoutMs: number): Promise<Buffer>;
  tcp(upstream: Upstream, packet: Buffer, questionEnd: number, timeoutMs: number): Promise<Buffer>;
}

/** The reply answers the query: same id, a response, the same question (case aside). */
export function answersQuery(reply: Buffer, query: Buffer, questionEnd: number): boolean {
  if (reply.length < questionEnd || reply[0] !== query[0] || reply[1] !== query[1]) return false;
  if (!(reply.readUInt16BE(2) & FLAG.QR) || reply.readUInt16BE(4) !== 1) return false;
  return reply.toString('latin1', HEADER_LEN, questionEnd).toLowerCase() === query.toString('latin1', HEADER_LEN, questionEnd).toLowerCase();
}

export const socketExchanger: Exchanger = { udp: udpExchange, tcp: tcpExchange };

export function udpExchange(upstream: Upstream, packet: Buffer, questionEnd: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(upstream.family === 4 ? 'udp4' : 'udp6');
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.on('error', () => undefined);
      try {
        socket.close();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new ExchangeError('timeout', `no answer from ${upstream.address} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => finish(new ExchangeError('network', `${upstream.address}: ${err.message}`)));
    socket.on('message', (reply) => {
      if (answersQuery(reply, packet, questionEnd)) finish(undefined, reply);
    });
    // Node calls the connect callback with the error when connecting fails (no route, bad address).
    const onConnect = (err?: Error) => {
      if (err) return finish(new ExchangeError('network', `${upstream.address}: ${err.message}`));
      if (done) return;
      socket.send(packet, (sendErr) => sendErr && finish(new ExchangeError('network', `${upstream.address}: ${sendErr.message}`)));
    };
    try {
      socket.connect(upstream.port, upstream.address, onConnect as () => void);
    } catch (err) {
      finish(new ExchangeError('network', `${upstream.address}: ${(err as Error).message}`));
    }
  });
}

export function tcpExchange(upstream: Upstream, packet: Buffer, questionEnd: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: upstream.address, port: upstream.port });
    let buffered = Buffer.alloc(0);
    const finish = (err: Error | undefined, reply?: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new ExchangeError('timeout', `no TCP answer from ${upstream.address} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => finish(new ExchangeError('network', `${upstream.address} (tcp): ${err.message}`)));
    socket.on('end', () => finish(new ExchangeError('network', `${upstream.address} (tcp) closed before answering`)));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const len = buffered.readUInt16BE(0);
      if (buffered.length < 2 + len) return;
      const reply = buffered.subarray(2, 2 + len);
      if (answersQuery(reply, packet, questionEnd)) finish(undefined, reply);
      else finish(new ExchangeError('malformed', `${upstream.address} (tcp) answered another question`));
    });
    const prefix = Buffer.allocUnsafe(2);
    prefix.writeUInt16BE(packet.length, 0);
    socket.write(Buffer.concat([prefix, packet]));
  });
}
