/**
 * The client's protobuf codec (src/api/grpc/codec.ts) against protobufjs as
 * proto-loader configures it for the server: every request of weft.proto that
 * the codec encodes decodes to the same object there, and every response that
 * the server encodes decodes to the same object here.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, resolveType, type FieldJson, type MessageType, type NamespaceJson } from '../../src/api/grpc/codec.js';
import { loadWeftProto, methodTypes, serviceDefinition, SERVICES, weftDescriptor, type Message } from '../../src/api/grpc/proto.js';

const descriptor = weftDescriptor();
const pkg = loadWeftProto(descriptor);

/** Every field set, with values that tell fields apart. */
function sample(type: MessageType, depth = 0): Message {
  const out: Message = {};
  for (const [name, field] of Object.entries(type.fields)) {
    const one = (i: number): unknown =>
      field.type === 'string' ? `${name}-${i}-é` : field.type === 'bool' ? true : sample(resolveType(descriptor, type.scope, field.type), depth + 1);
    if (field.keyType) out[name] = { a: `${name}-a`, 'b.c': '' };
    else if (field.rule === 'repeated') out[name] = [one(1), one(2)];
    else out[name] = one(1);
  }
  return out;
}

const methods = Object.values(SERVICES).flatMap((service) =>
  Object.keys(serviceDefinition(pkg, service)).map((method) => [service, method] as const),
);

describe('the client codec matches protobufjs', () => {
  it.each(methods)('%s/%s request: codec → protobufjs', (service, method) => {
    const types = methodTypes(descriptor, service, method)!;
    const def = serviceDefinition(pkg, service)[method]!;
    const request = sample(types.request);
    expect(def.requestDeserialize(encodeMessage(descriptor, types.request, request))).toEqual(request);
    expect(encodeMessage(descriptor, types.request, request)).toEqual(def.requestSerialize(request));
  });

  it.each(methods)('%s/%s response: protobufjs → codec', (service, method) => {
    const types = methodTypes(descriptor, service, method)!;
    const def = serviceDefinition(pkg, service)[method]!;
    const response = sample(types.response);
    expect(decodeMessage(descriptor, types.response, def.responseSerialize(response))).toEqual(response);
  });

  it('leaves out absent fields and empty lists, and sends empty strings and false as given', () => {
    const types = methodTypes(descriptor, SERVICES.networks, 'Create')!;
    const def = serviceDefinition(pkg, SERVICES.networks)['Create']!;
    const request = { name: '', driver: undefined, subnets: [], labels: {}, internal: false, ipv6: null };
    const bytes = encodeMessage(descriptor, types.request, request);
    expect(bytes).toEqual(def.requestSerialize(request));
    expect(decodeMessage(descriptor, types.request, bytes)).toEqual({ name: '', internal: false });
  });

  it('coerces and rejects as protobufjs does', () => {
    const types = methodTypes(descriptor, SERVICES.networks, 'Create')!;
    expect(decodeMessage(descriptor, types.request, encodeMessage(descriptor, types.request, { name: 7, internal: 'yes' }))).toEqual({ name: '7', internal: true });
    expect(() => encodeMessage(descriptor, types.request, { subnets: 'x' })).toThrow(/subnets: array expected/);
    expect(() => encodeMessage(descriptor, types.request, { labels: 'x' })).toThrow(/labels: object expected/);
  });

  it('skips unknown fields of every wire type', () => {
    const types = methodTypes(descriptor, SERVICES.system, 'Version')!;
    // 15: varint 300, 14: fixed64, 13: fixed32, 12: bytes "zz", then version (1) = "v"
    const bytes = Buffer.from([0x78, 0xac, 0x02, 0x71, 1, 2, 3, 4, 5, 6, 7, 8, 0x6d, 1, 2, 3, 4, 0x62, 2, 0x7a, 0x7a, 0x0a, 1, 0x76]);
    expect(decodeMessage(descriptor, types.response, bytes)).toEqual({ version: 'v' });
  });

  it('refuses truncated input and field types it does not handle', () => {
    const types = methodTypes(descriptor, SERVICES.system, 'Version')!;
    expect(() => decodeMessage(descriptor, types.response, Buffer.from([0x0a, 5, 0x76]))).toThrow(/out of range/);
    const fields: Record<string, FieldJson> = { count: { type: 'int32', id: 1 } };
    const root: NamespaceJson = { nested: { t: { fields } } };
    expect(() => encodeMessage(root, resolveType(root, [], 't'), { count: 1 })).toThrow(/int32, which the weft client codec does not handle/);
  });
});
