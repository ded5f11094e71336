/**
 * A promise-based client of the daemon's gRPC API. It implements NetworkApi
 * itself, so code written against the controller (the CLI, tools, tests) runs
 * unchanged against a remote daemon; failures come back as the daemon's
 * WeftErrors (same code and kind).
 */
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
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
import { loadWeftProto, serviceDefinition, SERVICES, type Message, type Method } from './proto.js';
import { errorFromStatus } from './status.js';

export interface WeftClient extends NetworkApi {
  /** The address it talks to, e.g. unix:///run/weft/weft.sock. */
  readonly target: string;
  /** The daemon's version. */
  version(): Promise<string>;
  close(): void;
}

const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

type Call = (service: string, method: string, request: object) => Promise<Message>;

function caller(client: Client, target: string): Call {
  const pkg = loadWeftProto();
  return (service, method, request) => {
    const definition: Method | undefined = serviceDefinition(pkg, service)[method];
    if (definition === undefined) throw new Error(`no method ${service}/${method} in weft.proto`);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request as Message,
        (err: ServiceError | null, response?: Message) => {
          if (err) reject(errorFromStatus(err, target));
          else resolve(response ?? {});
        },
      );
    });
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
  const client = new Client(target, credentials.createInsecure(), {
    // Lists carry one inspect object per network or sandbox; grpc's default
    // 4 MiB cap would fail `ls` on a big host long before anything else does.
    'grpc.max_receive_message_length': MAX_RESPONSE_BYTES,
  });
  const call = caller(client, target);
  const net = (method: string, request: object) => call(SERVICES.networks, method, request);
  const sbx = (method: string, request: object) => call(SERVICES.sandboxes, method, request);
  return {
    target,
    close: () => client.close(),
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
