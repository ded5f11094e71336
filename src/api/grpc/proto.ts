/**
 * Loads proto/weft.proto at run time (no generated code to keep in step) and
 * names the methods that the server and the client share.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MethodDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

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

export function protoPath(): string {
  for (const rel of PROTO_CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`proto/weft.proto not found relative to ${fileURLToPath(import.meta.url)}`);
}

export function loadWeftProto(): PackageDefinition {
  return loadSync(protoPath(), {
    keepCase: false,
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
