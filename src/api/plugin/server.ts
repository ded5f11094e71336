/**
 * The Docker plugin protocol (legacy v1 plugins and managed v2 ones) over
 * HTTP on a unix socket: POST /Plugin.Activate, /NetworkDriver.*,
 * /IpamDriver.*. 200 + JSON on success; every failure is {"Err": "[CODE] message"}:
 * 500 for the controller's and IPAM's errors, 400 for bodies that do not
 * decode, 404 for unknown paths, 413 for bodies over the limit. No request
 * can crash or hang the daemon: bodies are bounded, requests and handlers
 * time out, and every error is answered on its own request.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { EngineApi } from '../../cnm/engine-types.js';
import { ErrorCodes, WeftError, asWeftError } from '../../errors/index.js';
import type { Ipam } from '../../ipam/ipam.js';
import type { Logger } from '../../log/logger.js';
import { removeOwnSocket } from '../grpc/socket.js';
import { parseBody } from './decode.js';
import { ipamHandlers } from './ipam-handlers.js';
import { networkHandlers, type PluginHandler } from './network-handlers.js';
import { listenUnix } from './socket.js';
import { RequestStats, type MethodStats } from './stats.js';
import { startSweeper } from './sweeper.js';

export interface PluginServerOptions {
  /** Path of the unix socket, e.g. /run/docker/plugins/weft.sock. */
  socketPath: string;
  engine: EngineApi;
  ipam: Ipam;
  log: Logger;
  /** Largest accepted body; default 1 MiB. */
  bodyLimit?: number;
  /** A call still running after this is answered with WEFT_PLUGIN_TIMEOUT; default 60 s. */
  handlerTimeoutMs?: number;
  /** How often stale engine endpoints are swept; default 60 s, 0 disables the timer. */
  sweepIntervalMs?: number;
}

export interface RunningPluginServer {
  readonly socketPath: string;
  /** Per-method counts and handler times since start. */
  stats(): Record<string, MethodStats>;
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 1 << 20;
const DEFAULT_HANDLER_TIMEOUT_MS = 60_000;
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
/** Time to receive a whole request (headers and body). */
const REQUEST_TIMEOUT_MS = 30_000;
const CLOSE_GRACE_MS = 5000;
const CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json';

export function pluginRoutes(engine: EngineApi, ipam: Ipam, log: Logger): Map<string, PluginHandler> {
  const handlers: Record<string, PluginHandler> = {
    'Plugin.Activate': async () => ({ Implements: ['NetworkDriver', 'IpamDriver'] }),
    ...networkHandlers(engine),
    ...ipamHandlers(ipam, engine, log),
  };
  return new Map(Object.entries(handlers).map(([name, handler]) => [`/${name}`, handler]));
}

/** HTTP status for an error: decode failures are the client's, everything else is 500 as the engine expects. */
function statusOf(err: WeftError): number {
  switch (err.code) {
    case ErrorCodes.PLUGIN_BAD_REQUEST:
      return 400;
    case ErrorCodes.PLUGIN_UNKNOWN_METHOD:
      return 404;
    case ErrorCodes.PLUGIN_REQUEST_TOO_LARGE:
      return 413;
    default:
      return 500;
  }
}

function send(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  // Connection: close — a reused idle connection racing our close would make the engine retry (reference §7 #17).
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
  res.end(text);
}

/** The body as text, or WEFT_PLUGIN_REQUEST_TOO_LARGE once it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () => new WeftError(ErrorCodes.PLUGIN_REQUEST_TOO_LARGE, 'BadRequest', `request body is larger than ${limit} bytes`);
    if (declared > limit) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, method: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WeftError(ErrorCodes.PLUGIN_TIMEOUT, 'Unavailable', `${method} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Dispatch {
  routes: Map<string, PluginHandler>;
  bodyLimit: number;
  handlerTimeoutMs: number;
  stats: RequestStats;
  log: Logger;
}

async function dispatch(d: Dispatch, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const start = process.hrtime.bigint();
  const path = (req.url ?? '').split('?')[0]!;
  let status = 200;
  let code: string | undefined;
  try {
    const handler = req.method === 'POST' ? d.routes.get(path) : undefined;
    if (!handler) {
      req.resume();
      throw new WeftError(ErrorCodes.PLUGIN_UNKNOWN_METHOD, 'NotFound', `no plugin method ${req.method ?? ''} ${path}`);
    }
    const body = parseBody(await readBody(req, d.bodyLimit));
    send(res, 200, await withTimeout(handler(body), d.handlerTimeoutMs, path.slice(1)));
  } catch (thrown) {
    const err = asWeftError(thrown);
    status = statusOf(err);
    code = err.code;
    send(res, status, { Err: err.toString() });
    if (err.code === ErrorCodes.PLUGIN_REQUEST_TOO_LARGE) req.destroy();
    if (err.kind === 'Internal') d.log.error({ method: path, err }, 'plugin call failed');
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  d.stats.record(path, ms, status);
  d.log.debug({ method: path, status, code, ms }, 'plugin request');
}

export async function startPluginServer(opts: PluginServerOptions): Promise<RunningPluginServer> {
  const { log } = opts;
  const stats = new RequestStats();
  const d: Dispatch = {
    routes: pluginRoutes(opts.engine, opts.ipam, log),
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    handlerTimeoutMs: opts.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
    stats,
    log,
  };
  // requireHostHeader: dockerd sends an empty Host (it truncates the socket path), reference §1.2.
  const server = http.createServer({ requireHostHeader: false, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: 10_000 }, (req, res) => {
    dispatch(d, req, res).catch((err: unknown) => log.error({ err }, 'plugin request handling failed'));
  });
  server.on('clientError', (err, socket) => {
    log.debug({ err: (err as Error).message }, 'plugin client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  const inode = await listenUnix(server, opts.socketPath);
  const sweeper = startSweeper(opts.engine, opts.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS, log);
  log.info({ socket: opts.socketPath }, 'Docker plugin API listening');
  let closing: Promise<void> | undefined;
  return {
    socketPath: opts.socketPath,
    stats: () => stats.snapshot(),
    close() {
      closing ??= (async () => {
        sweeper.stop();
        removeOwnSocket(opts.socketPath, inode);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Calls in flight get a grace period; a client that never finishes its request does not hold up the stop.
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        await closed;
        clearTimeout(cut);
        log.info({ socket: opts.socketPath }, 'Docker plugin API closed');
      })();
      return closing;
    },
  };
}
