/**
 * A promise-based client of the daemon's gRPC API. It implements NetworkApi
 * itself, so code written against the controller (the CLI, tools, tests) runs
 * unchanged against a remote daemon; failures come back as the daemon's
 * WeftErrors (same code and kind).
 *
 * It speaks gRPC through unary-channel.ts (node:http2) and codec.ts rather
 * than @grpc/grpc-js and protobufjs: loading those took most of a CLI
 * command's time (docs/benchmarks.md, bench/cli.ts). The daemon's server is
 * grpc-js, and the API tests run this client against it.
 */
import type { ServiceError } from '@grpc/grpc-js';
import type {
  ConnectRequest,
  NetworkApi,
  NetworkCreateRequest,
  NetworkFilter,
  NetworkInspect,
  SandboxCreateRequest,
  SandboxInspect,
} from '../../cnm/api-types.js';
import { ErrorCodes, WeftError } from '../../errors/index.js';
import { decodeMessage, encodeMessage, type NamespaceJson } from './codec.js';
import { methodTypes, SERVICES, weftDescriptor, type Message } from './proto.js';
import { CallFailed, UnaryChannel, type CallStatus } from './unary-channel.js';

export interface WeftClient extends NetworkApi {
  /** The address it talks to, e.g. unix:///run/weft/weft.sock. */
  readonly target: string;
  /** The daemon's version. */
  version(): Promise<string>;
  close(): void;
}

const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

type Call = (service: string, method: string, request: object) => Promise<Message>;

/**
 * A failed call as the WeftError the daemon sent (or DAEMON_UNREACHABLE),
 * through the same mapping the server's side uses (status.ts). That module
 * and grpc-js are loaded only here, when a call has failed: a successful
 * command never pays for them.
 */
async function errorOf(status: CallStatus, target: string): Promise<WeftError> {
  const [{ Metadata, status: codes }, { errorFromStatus }] = await Promise.all([import('@grpc/grpc-js'), import('./status.js')]);
  const metadata = new Metadata();
  for (const [key, values] of Object.entries(status.metadata)) {
    if (!key.endsWith('-bin')) for (const value of values) metadata.add(key, value);
  }
  const message = `${status.code} ${codes[status.code] ?? 'UNKNOWN'}: ${status.details}`;
  const err: ServiceError = Object.assign(new Error(message), { code: status.code, details: status.details, metadata });
  return errorFromStatus(err, target);
}

function caller(channel: UnaryChannel, target: string): Call {
  // Read on the first call, not at connect(): a client made and closed unused costs nothing.
  let descriptor: NamespaceJson | undefined;
  return async (service, method, request) => {
    descriptor ??= weftDescriptor();
    const types = methodTypes(descriptor, service, method);
    if (types === undefined) throw new Error(`no method ${service}/${method} in weft.proto`);
    const body = encodeMessage(descriptor, types.request, request as Message);
    try {
      return decodeMessage(descriptor, types.response, await channel.unary(types.path, body));
    } catch (err) {
      throw err instanceof CallFailed ? await errorOf(err.status, target) : err;
    }
  };
}

/** Inspect results arrive as Docker-shaped JSON text (see proto/weft.proto). */
function fromJson<T>(message: unknown): T {
  const json = (message as Message | undefined)?.json;
  try {
    if (typeof json !== 'string') throw new Error('no json field');
    return JSON.parse(json) as T;
  } catch (err) {
    throw new WeftError(ErrorCodes.RPC_FAILED, 'Internal', 'the daemon sent a malformed inspect result', { cause: err });
  }
}

function listOf<T>(response: Message, field: string): T[] {
  const items = response[field];
  return Array.isArray(items) ? items.map((item) => fromJson<T>(item)) : [];
}

/**
 * A client for `target` (`unix:///path/to/weft.sock`). Connecting is lazy:
 * an unreachable daemon shows up as WEFT_DAEMON_UNREACHABLE on the first call.
 */
export function connect(target: string): WeftClient {
  // Lists carry one inspect object per network or sandbox; grpc's default
  // 4 MiB cap would fail `ls` on a big host long before anything else does.
  const channel = new UnaryChannel(target, MAX_RESPONSE_BYTES);
  const call = caller(channel, target);
  const net = (method: string, request: object) => call(SERVICES.networks, method, request);
  const sbx = (method: string, request: object) => call(SERVICES.sandboxes, method, request);
  return {
    target,
    close: () => channel.close(),
    version: async () => String((await call(SERVICES.system, 'Version', {})).version ?? ''),
    createNetwork: async (req: NetworkCreateRequest) => fromJson<NetworkInspect>(await net('Create', req)),
    listNetworks: async (filter?: NetworkFilter) => listOf<NetworkInspect>(await net('List', filter ?? {}), 'networks'),
    inspectNetwork: async (name: string) => fromJson<NetworkInspect>(await net('Inspect', { name })),
    removeNetwork: async (name: string) => void (await net('Remove', { name })),
    pruneNetworks: async () => {
      const removed = (await net('Prune', {})).removed;
      return Array.isArray(removed) ? removed.map(String) : [];
    },
    connect: async (req: ConnectRequest) => void (await net('Connect', req)),
    disconnect: async (network: string, sandbox: string, force = false) =>
      void (await net('Disconnect', { network, sandbox, force })),
    createSandbox: async (req: SandboxCreateRequest) => fromJson<SandboxInspect>(await sbx('Create', req)),
    listSandboxes: async () => listOf<SandboxInspect>(await sbx('List', {}), 'sandboxes'),
    inspectSandbox: async (name: string) => fromJson<SandboxInspect>(await sbx('Inspect', { name })),
    removeSandbox: async (name: string, force = false) => void (await sbx('Remove', { name, force })),
  };
}
