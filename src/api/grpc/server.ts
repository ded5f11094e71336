/**
 * The daemon's gRPC API on a unix socket: weft.v1 Networks, Sandboxes and
 * System, served by thin handlers over a NetworkApi (the controller).
 */
import { Server, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { NetworkApi } from '../../cnm/api-types.js';
import type { Logger } from '../../log/logger.js';
import { badRequest } from './decode.js';
import { handlerTable, type Handler } from './handlers.js';
import { loadWeftProto, serviceDefinition, type Message, type ServiceDefinition } from './proto.js';
import { bindUnixSocket, prepareSocketPath, removeOwnSocket } from './socket.js';
import { ERROR_CODE_METADATA, statusFromError } from './status.js';

export interface GrpcServerOptions {
  /** Path of the unix socket (not a unix:// URL). */
  socketPath: string;
  api: NetworkApi;
  /** The daemon version reported by System.Version. */
  version: string;
  log: Logger;
}

export interface RunningGrpcServer {
  /** Stops accepting calls, lets calls in flight finish (up to a grace period) and removes the socket. */
  close(): Promise<void>;
}

/** In-flight calls get this long to finish on close before they are cut. */
const SHUTDOWN_GRACE_MS = 5000;

/**
 * A request whose bytes did not decode. grpc-js would answer a throwing
 * deserializer with INTERNAL; a malformed request is the client's fault, so
 * the handler answers INVALID_ARGUMENT instead.
 */
class MalformedRequest {
  constructor(readonly reason: string) {}
}

function tolerantDefinition(definition: ServiceDefinition): ServiceDefinition {
  const methods = Object.entries(definition).map(([name, method]) => {
    const requestDeserialize = (bytes: Buffer): Message => {
      try {
        return method.requestDeserialize(bytes);
      } catch (err) {
        return new MalformedRequest(err instanceof Error ? err.message : String(err)) as unknown as Message;
      }
    };
    return [name, { ...method, requestDeserialize }];
  });
  return Object.fromEntries(methods) as ServiceDefinition;
}

function unaryCall(rpc: string, handler: Handler, log: Logger) {
  return (call: ServerUnaryCall<Message, Message>, callback: sendUnaryData<Message>): void => {
    const run = async (): Promise<Message> => {
      if (call.request instanceof MalformedRequest) throw badRequest(`malformed request: ${call.request.reason}`);
      return handler(call.request);
    };
    run().then(
      (response) => callback(null, response),
      (err: unknown) => {
        const status = statusFromError(err);
        const code = status.metadata.get(ERROR_CODE_METADATA)[0];
        if (status.code === GrpcStatus.INTERNAL) log.error({ rpc, code, err }, 'rpc failed');
        else log.debug({ rpc, code, details: status.details }, 'rpc refused');
        callback(status);
      },
    );
  };
}

function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { socketPath, log } = opts;
  const pkg = loadWeftProto();
  const server = new Server();
  for (const [service, handlers] of Object.entries(handlerTable(opts.api, opts.version))) {
    const definition = tolerantDefinition(serviceDefinition(pkg, service));
    const implementation: UntypedServiceImplementation = {};
    for (const [method, handler] of Object.entries(handlers)) {
      implementation[method] = unaryCall(`${service}/${method}`, handler, log);
    }
    server.addService(definition, implementation);
  }
  await prepareSocketPath(socketPath);
  let inode: number;
  try {
    inode = await bindUnixSocket(server, socketPath);
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
  log.info({ socket: socketPath }, 'gRPC API listening');
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= shutdown(server).then(() => {
        removeOwnSocket(socketPath, inode);
        log.info({ socket: socketPath }, 'gRPC API closed');
      });
      return closing;
    },
  };
}
