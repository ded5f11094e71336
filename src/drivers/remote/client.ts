/**
 * The HTTP client of the legacy plugin protocol (reference §1.2–1.5): POST
 * `/<Interface>.<Method>` with a JSON body (empty for methods without
 * arguments), `Accept: application/vnd.docker.plugins.v1.2+json`, a fresh
 * connection per request. Success is HTTP 200 with a JSON object.
 *
 * Connection errors (refused, missing socket, reset before an answer) are
 * retried with dockerd's backoff, scaled into the retry window; an HTTP error
 * is not retried. Unlike dockerd's v1 client every request has a timeout, so
 * a hung plugin fails the call instead of hanging the daemon.
 */
import http from 'node:http';
import { describeAddress, type PluginAddress } from './discovery.js';
import { badResponse, pluginError, pluginUnavailable } from './errors.js';
import { fieldOf, type JsonObject } from './json.js';

export const PLUGIN_ACCEPT = 'application/vnd.docker.plugins.v1.2+json';
/** dockerd's backoff: 1 s, 2 s, 4 s, 8 s (~15 s), then it gives up. */
const BACKOFF_STEPS = [1, 2, 4, 8];
const MAX_RESPONSE_BYTES = 4 << 20;
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ENOTSOCK', 'EHOSTUNREACH', 'ECONNABORTED']);

export interface PluginTimeouts {
  /** Whole-request timeout. */
  requestMs: number;
  /** How long lookups and connection errors are retried (dockerd: ~15 s). */
  retryWindowMs: number;
}

export const DEFAULT_PLUGIN_TIMEOUTS: Readonly<PluginTimeouts> = Object.freeze({ requestMs: 30_000, retryWindowMs: 15_000 });

/** dockerd's 1-2-4-8 steps scaled so that they add up to the window. */
export function backoffDelays(windowMs: number): number[] {
  const unit = Math.max(0, windowMs) / BACKOFF_STEPS.reduce((a, b) => a + b, 0);
  return unit > 0 ? BACKOFF_STEPS.map((k) => k * unit) : [];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** No connection, or it broke before any answer: worth another attempt. */
class ConnectError extends Error {
  constructor(readonly failure: Error & { code?: string }) {
    super(failure.message);
  }
}

export class PluginClient {
  constructor(
    readonly name: string,
    readonly address: PluginAddress,
    private readonly timeouts: PluginTimeouts = DEFAULT_PLUGIN_TIMEOUTS,
  ) {}

  /** Call `method` (e.g. 'NetworkDriver.Join'); resolves with the answer's JSON object. */
  async call(method: string, body?: unknown): Promise<JsonObject> {
    const payload = body === undefined ? '' : `${JSON.stringify(body)}\n`;
    const delays = backoffDelays(this.timeouts.retryWindowMs);
    for (let attempt = 0; ; attempt++) {
      try {
        const { status, text } = await this.post(method, payload);
        return this.answer(method, status, text);
      } catch (err) {
        if (!(err instanceof ConnectError)) throw err;
        const delay = delays[attempt];
        if (delay === undefined) {
          throw pluginUnavailable(this.name, method, 'connect', `cannot reach ${describeAddress(this.address)}: ${err.failure.code ?? err.message}`, err.failure);
        }
        await sleep(delay);
      }
    }
  }

  private answer(method: string, status: number, text: string): JsonObject {
    const parsed = parseJson(text);
    // Both error spellings on both interfaces: the IPAM answers with Error, and a 200 carrying Err is no success either.
    const message = parsed && (stringField(parsed, 'Err') || stringField(parsed, 'Error'));
    if (status !== 200) throw pluginError(this.name, method, message || text.trim() || `HTTP ${status}`, status);
    if (message) throw pluginError(this.name, method, message, status);
    if (!parsed) throw badResponse(this.name, method, text.trim() === '' ? 'empty answer (EOF)' : `answer is not a JSON object: ${text.slice(0, 200)}`);
    return parsed;
  }

  private post(method: string, payload: string): Promise<{ status: number; text: string }> {
    const target = this.address.kind === 'unix' ? { socketPath: this.address.path } : { host: this.address.host, port: this.address.port };
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = http.request({
        ...target,
        method: 'POST',
        path: `/${method}`,
        agent: false,
        headers: { Accept: PLUGIN_ACCEPT, 'Content-Length': Buffer.byteLength(payload), Connection: 'close' },
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(pluginUnavailable(this.name, method, 'timeout', `no answer within ${this.timeouts.requestMs} ms from ${describeAddress(this.address)}`));
      }, this.timeouts.requestMs);
      const fail = (err: Error & { code?: string }) => {
        clearTimeout(timer);
        reject(!answered && CONNECT_ERRORS.has(err.code ?? '') ? new ConnectError(err) : pluginUnavailable(this.name, method, 'connect', err.message, err));
      };
      req.on('error', fail);
      req.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(Object.assign(new Error('answer larger than 4 MiB'), { code: 'E2BIG' }));
          else chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(payload);
    });
  }
}

function parseJson(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

function stringField(obj: JsonObject, name: string): string {
  const value = fieldOf(obj, name);
  return typeof value === 'string' ? value : '';
}
