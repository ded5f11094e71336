/**
 * weft.proto at run time (no generated code to keep in step): as protobufjs's
 * JSON descriptor, compiled from the .proto by `npm run build`
 * (scripts/build-proto.ts → dist/proto/weft.json) or, when that is missing or
 * older than the .proto (running from src/ under vitest, or after a bare
 * `tsc`), from the .proto itself. The server loads it with proto-loader; the
 * client encodes and decodes with codec.ts, so that the CLI loads neither
 * protobufjs nor gRPC. Also names the methods that the server and the client share.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { MethodDefinition } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { resolveType, type MessageType, type NamespaceJson } from './codec.js';

/** Fully qualified service names, as in the proto. */
export const SERVICES = {
  networks: 'weft.v1.Networks',
  sandboxes: 'weft.v1.Sandboxes',
  system: 'weft.v1.System',
} as const;

/** A decoded message: proto-loader gives plain objects with camelCase keys. */
export type Message = Record<string, unknown>;
export type Method = MethodDefinition<Message, Message>;
export type ServiceDefinition = Record<string, Method>;

// The module runs both from src/api/grpc (vitest) and from dist/src/api/grpc
// (the built daemon); the proto directory sits at the repository root.
const PROTO_CANDIDATES = ['../../../proto/weft.proto', '../../../../proto/weft.proto'];
/** Where `npm run build` puts the compiled descriptor: dist/proto/, seen from dist/src/api/grpc. */
const BUILT_DESCRIPTOR = '../../../proto/weft.json';

export function protoPath(): string {
  for (const rel of PROTO_CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`proto/weft.proto not found relative to ${fileURLToPath(import.meta.url)}`);
}

/** Loads CommonJS packages on demand, so that importing this module costs nothing. */
function requireCjs<T>(id: string): T {
  return createRequire(import.meta.url)(id) as T;
}

/** Parses a .proto with protobufjs as proto-loader does (camelCase field names) and returns its JSON descriptor. */
export function descriptorFromProto(path: string): NamespaceJson {
  const protobuf = requireCjs<typeof import('protobufjs')>('protobufjs');
  const root = new protobuf.Root().loadSync(path, { keepCase: false });
  root.resolveAll();
  return JSON.parse(JSON.stringify(root.toJSON())) as NamespaceJson;
}

/** The descriptor of weft.proto: the one `npm run build` compiled if it is current, else compiled now. */
export function weftDescriptor(): NamespaceJson {
  const proto = protoPath();
  const built = fileURLToPath(new URL(BUILT_DESCRIPTOR, import.meta.url));
  if (existsSync(built) && statSync(built).mtimeMs >= statSync(proto).mtimeMs) {
    return JSON.parse(readFileSync(built, 'utf8')) as NamespaceJson;
  }
  return descriptorFromProto(proto);
}

export function loadWeftProto(descriptor: NamespaceJson = weftDescriptor()): PackageDefinition {
  const protoLoader = requireCjs<typeof import('@grpc/proto-loader')>('@grpc/proto-loader');
  return protoLoader.fromJSON(descriptor as Parameters<typeof protoLoader.fromJSON>[0], {
    longs: String,
    enums: String,
    // Absent fields stay absent (undefined) so that handlers see what was sent.
    defaults: false,
    arrays: false,
    objects: false,
    oneofs: true,
  });
}

/** The method definitions of one service of the loaded package. */
export function serviceDefinition(pkg: PackageDefinition, service: string): ServiceDefinition {
  const def = pkg[service];
  if (def === undefined || 'format' in def) throw new Error(`service ${service} missing from weft.proto`);
  return def as unknown as ServiceDefinition;
}

/** One method as the client codec needs it: the HTTP/2 path and the message types. */
export interface MethodTypes {
  path: string;
  request: MessageType;
  response: MessageType;
}

/** `service` is fully qualified (SERVICES); undefined if the service has no such method. */
export function methodTypes(descriptor: NamespaceJson, service: string, method: string): MethodTypes | undefined {
  const scope = service.split('.');
  let node: NamespaceJson | undefined = descriptor;
  for (const part of scope) node = node?.nested?.[part];
  const rpc = node?.methods?.[method];
  if (rpc === undefined) return undefined;
  const pkg = scope.slice(0, -1);
  return { path: `/${service}/${method}`, request: resolveType(descriptor, pkg, rpc.requestType), response: resolveType(descriptor, pkg, rpc.responseType) };
}
