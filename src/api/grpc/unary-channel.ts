/**
 * Unary gRPC calls over HTTP/2 on a unix socket with node:http2 alone: the
 * part of the gRPC protocol the weft client uses (one request message, one
 * response message, status and metadata in the trailers). @grpc/grpc-js does
 * far more (name resolution, load balancing, retries, channelz) and takes
 * ~50 ms to load, a third of the CLI's whole time budget; the daemon keeps
 * using it as the server. node:http2 itself is loaded on the first call, so a
 * command that never calls (help, a usage error) does not pay for it.
 *
 * One HTTP/2 connection per channel, opened on the first call and again
 * after it was lost. Failures are statuses as a grpc-js client reports them:
 * no connection is UNAVAILABLE, a response over the size limit is
 * RESOURCE_EXHAUSTED, a broken response is INTERNAL.
 */
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';

/** gRPC status codes used here (the numbers are the protocol's). */
export const GrpcCode = { OK: 0, CANCELLED: 1, UNKNOWN: 2, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14 } as const;

export interface CallStatus {
  code: number;
  details: string;
  /** Response headers and trailers other than the protocol's own, lower-case keys. */
  metadata: Record<string, string[]>;
}

/** A call that ended with a status other than OK. */
export class CallFailed extends Error {
  constructor(readonly status: CallStatus) {
    super(`${status.code}: ${status.details}`);
  }
}

const RESERVED_HEADERS = new Set([':status', 'content-type', 'grpc-status', 'grpc-message', 'grpc-encoding', 'grpc-accept-encoding', 'date']);

/** unix:///abs/path or unix:path, as grpc-js takes them. */
export function socketPathOf(target: string): string {
  if (target.startsWith('unix://')) return target.slice('unix://'.length);
  if (target.startsWith('unix:')) return target.slice('unix:'.length);
  throw new Error(`unsupported gRPC target ${target}: only unix sockets are supported`);
}

/** A 5-byte gRPC message prefix (not compressed, big-endian length) and the message. */
function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function metadataOf(headers: IncomingHttpHeaders): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (RESERVED_HEADERS.has(key) || key.startsWith(':') || value === undefined) continue;
    out[key] = Array.isArray(value) ? value : String(value).split(', ');
  }
  return out;
}

function detailsOf(headers: IncomingHttpHeaders): string {
  const raw = headers['grpc-message'];
  const text = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
  try {
    return decodeURI(text);
  } catch {
    return text;
  }
}

/** The single message of a unary response, or the reason there is none. */
function singleMessage(data: Buffer): Buffer | CallStatus {
  const internal = (details: string): CallStatus => ({ code: GrpcCode.INTERNAL, details, metadata: {} });
  if (data.length < 5) return internal(data.length === 0 ? 'No message received' : 'Truncated message frame');
  if (data[0] !== 0) return internal('Compressed message received, but no compression was negotiated');
  const length = data.readUInt32BE(1);
  if (data.length !== 5 + length) return internal(data.length < 5 + length ? 'Truncated message frame' : 'Too many responses received');
  return data.subarray(5);
}

export class UnaryChannel {
  private session: ClientHttp2Session | undefined;
  /** Why the current connection failed or broke, if it did. */
  private sessionError: Error | undefined;
  private closed = false;

  constructor(
    readonly target: string,
    private readonly maxResponseBytes: number,
  ) {}

  /** Sends `message` to `path` (/package.Service/Method) and resolves with the response message; rejects with CallFailed. */
  async unary(path: string, message: Buffer): Promise<Buffer> {
    const session = await this.connection();
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const response = this.collect(stream);
    stream.end(frame(message));
    return response;
  }

  close(): void {
    this.closed = true;
    this.session?.close();
  }

  private async connection(): Promise<ClientHttp2Session> {
    if (this.closed) throw new CallFailed({ code: GrpcCode.UNAVAILABLE, details: 'Channel has been shut down', metadata: {} });
    const [http2, net] = await Promise.all([import('node:http2'), import('node:net')]);
    // Checked after the await, so that concurrent first calls share one connection.
    if (this.session !== undefined && !this.session.closed && !this.session.destroyed) return this.session;
    const socketPath = socketPathOf(this.target);
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath) });
    this.sessionError = undefined;
    // Errors reach the calls through their streams; the listener keeps them from being uncaught.
    session.on('error', (err: Error) => {
      if (this.session === session) this.sessionError = err;
    });
    this.session = session;
    return session;
  }

  private collect(stream: ClientHttp2Stream): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let headers: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders | undefined;
      let tooLarge: CallStatus | undefined;
      stream.on('response', (h) => {
        headers = h;
        if (h['grpc-status'] !== undefined) trailers = h; // a trailers-only response
      });
      stream.on('trailers', (t) => (trailers = t));
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.maxResponseBytes + 5) {
          tooLarge ??= { code: GrpcCode.RESOURCE_EXHAUSTED, details: `Received message larger than max (${received - 5} vs ${this.maxResponseBytes})`, metadata: {} };
          stream.close();
        } else chunks.push(chunk);
      });
      stream.on('error', () => undefined); // reported through 'close' below
      stream.on('close', () => {
        const status = tooLarge ?? this.statusOf(stream, headers, trailers, this.sessionError);
        if (status.code !== GrpcCode.OK) return reject(new CallFailed(status));
        const message = singleMessage(Buffer.concat(chunks));
        if (Buffer.isBuffer(message)) resolve(message);
        else reject(new CallFailed(message));
      });
    });
  }

  private statusOf(stream: ClientHttp2Stream, headers: IncomingHttpHeaders, trailers: IncomingHttpHeaders | undefined, connectError: Error | undefined): CallStatus {
    if (trailers?.['grpc-status'] !== undefined) {
      return { code: Number(trailers['grpc-status']), details: detailsOf(trailers), metadata: { ...metadataOf(headers), ...metadataOf(trailers) } };
    }
    // node:http2 gives :status as a number, whatever IncomingHttpHeaders says.
    const httpStatus = headers[':status'] === undefined ? undefined : Number(headers[':status']);
    if (connectError !== undefined && httpStatus === undefined) {
      return { code: GrpcCode.UNAVAILABLE, details: `No connection established. Last error: ${connectError.message}`, metadata: {} };
    }
    if (httpStatus !== undefined && httpStatus !== 200) {
      return { code: GrpcCode.UNKNOWN, details: `Received HTTP status code ${httpStatus}`, metadata: {} };
    }
    const reason = stream.rstCode ? `Received RST_STREAM with code ${stream.rstCode}` : 'Connection dropped';
    return { code: httpStatus === undefined ? GrpcCode.UNAVAILABLE : GrpcCode.INTERNAL, details: reason, metadata: {} };
  }
}
