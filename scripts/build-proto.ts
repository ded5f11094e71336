/**
 * Build step (`npm run build`, after tsc): compiles proto/weft.proto to
 * protobufjs's JSON descriptor at dist/proto/weft.json, so that neither the
 * CLI nor the daemon parses the .proto at every start (see src/api/grpc/proto.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { descriptorFromProto, protoPath } from '../src/api/grpc/proto.js';

// This file runs as dist/scripts/build-proto.js: dist/proto/ is beside it.
const out = fileURLToPath(new URL('../proto/weft.json', import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(descriptorFromProto(protoPath()))}\n`);
