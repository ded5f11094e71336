/**
 * The protobuf wire format for the message shapes weft.proto uses (strings,
 * bools, nested messages, repeated strings and messages, string maps), driven
 * by the proto's JSON descriptor (protobufjs `Root.toJSON`, precompiled at
 * build time). It exists so that the CLI can speak the API without loading
 * protobufjs, whose reflection code costs more start-up time than a whole
 * `weft network ls` may take.
 *
 * It follows protobufjs and proto-loader as the daemon's side is configured
 * (proto.ts): on encode, a field that is null or undefined is left out, an
 * empty list is left out, strings and bools are coerced with String/Boolean,
 * a list that is not an array or a map that is not an object is a TypeError;
 * on decode, only fields present on the wire appear (no defaults), unknown
 * fields are skipped. The unit tests cross-check both directions against
 * protobufjs. A field type outside that set is refused loudly rather than
 * mis-encoded.
 */

/** The parts of a protobufjs JSON descriptor that the codec reads. */
export interface FieldJson {
  type: string;
  id: number;
  rule?: string;
  keyType?: string;
}

export interface NamespaceJson {
  nested?: Record<string, NamespaceJson>;
  fields?: Record<string, FieldJson>;
  methods?: Record<string, { requestType: string; responseType: string }>;
}

/** A message type with its fully qualified name and the namespace its type names are relative to. */
export interface MessageType {
  fullName: string;
  fields: Record<string, FieldJson>;
  scope: string[];
}

const SCALAR_TYPES = new Set([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes',
]);

/** What the codec does with a (non-map) field's values; repeated bools would be packed, which it does not do. */
function kindOf(field: FieldJson): 'string' | 'bool' | 'message' | 'unsupported' {
  if (field.type === 'string') return 'string';
  if (field.type === 'bool') return field.rule === 'repeated' ? 'unsupported' : 'bool';
  return SCALAR_TYPES.has(field.type) ? 'unsupported' : 'message';
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

function lookup(root: NamespaceJson, path: readonly string[]): NamespaceJson | undefined {
  let node: NamespaceJson | undefined = root;
  for (const part of path) node = node?.nested?.[part];
  return node;
}

/**
 * Resolves a type name as protobuf does: a leading dot is absolute; otherwise
 * the innermost enclosing namespace that has it wins.
 */
export function resolveType(root: NamespaceJson, scope: readonly string[], name: string): MessageType {
  const parts = name.replace(/^\./, '').split('.');
  const scopes = name.startsWith('.') ? [[]] : scope.map((_, i) => scope.slice(0, scope.length - i)).concat([[]]);
  for (const base of scopes) {
    const node = lookup(root, [...base, ...parts]);
    if (node?.fields) {
      const path = [...base, ...parts];
      return { fullName: path.join('.'), fields: node.fields, scope: path.slice(0, -1) };
    }
  }
  throw new Error(`message type ${name} not found in the weft.proto descriptor`);
}

class Writer {
  private readonly bytes: number[] = [];
  private readonly chunks: Buffer[] = [];

  varint(value: number): void {
    let v = value >>> 0;
    while (v > 127) {
      this.bytes.push((v & 127) | 128);
      v >>>= 7;
    }
    this.bytes.push(v);
  }

  tag(id: number, wire: number): void {
    this.varint((id << 3) | wire);
  }

  lengthDelimited(data: Buffer): void {
    this.varint(data.length);
    this.flush();
    this.chunks.push(data);
  }

  finish(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks);
  }

  private flush(): void {
    if (this.bytes.length === 0) return;
    this.chunks.push(Buffer.from(this.bytes));
    this.bytes.length = 0;
  }
}

function unsupported(type: MessageType, name: string, field: FieldJson): Error {
  return new Error(`field ${type.fullName}.${name} has type ${field.keyType ? `map<${field.keyType}, ${field.type}>` : field.type}, which the weft client codec does not handle`);
}

function writeValue(w: Writer, root: NamespaceJson, type: MessageType, name: string, field: FieldJson, value: unknown): void {
  switch (kindOf(field)) {
    case 'string':
      w.tag(field.id, WIRE_LENGTH);
      w.lengthDelimited(Buffer.from(String(value), 'utf8'));
      return;
    case 'bool':
      w.tag(field.id, WIRE_VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'message':
      if (typeof value !== 'object' || value === null) throw new TypeError(`.${type.fullName}.${name}: object expected`);
      w.tag(field.id, WIRE_LENGTH);
      w.lengthDelimited(encodeMessage(root, resolveType(root, type.scope, field.type), value as Record<string, unknown>));
      return;
    case 'unsupported':
      throw unsupported(type, name, field);
  }
}

function writeMap(w: Writer, type: MessageType, name: string, field: FieldJson, value: unknown): void {
  if (field.keyType !== 'string' || field.type !== 'string') throw unsupported(type, name, field);
  if (typeof value !== 'object') throw new TypeError(`.${type.fullName}.${name}: object expected`);
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const entry = new Writer();
    entry.tag(1, WIRE_LENGTH);
    entry.lengthDelimited(Buffer.from(key, 'utf8'));
    entry.tag(2, WIRE_LENGTH);
    entry.lengthDelimited(Buffer.from(String(item), 'utf8'));
    w.tag(field.id, WIRE_LENGTH);
    w.lengthDelimited(entry.finish());
  }
}

/** A plain object (the request as the API types shape it) as protobuf bytes. */
export function encodeMessage(root: NamespaceJson, type: MessageType, message: Record<string, unknown>): Buffer {
  const w = new Writer();
  const fields = Object.entries(type.fields).sort(([, a], [, b]) => a.id - b.id);
  for (const [name, field] of fields) {
    const value = message[name];
    if (value === null || value === undefined) continue;
    if (field.keyType !== undefined) writeMap(w, type, name, field, value);
    else if (field.rule === 'repeated') {
      if (!Array.isArray(value)) throw new TypeError(`.${type.fullName}.${name}: array expected`);
      for (const item of value) writeValue(w, root, type, name, field, item);
    } else writeValue(w, root, type, name, field, value);
  }
  return w.finish();
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** A varint as a number (exact up to 2^53; only tags, lengths and bools are read as numbers). */
  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.buf.length) throw new RangeError('index out of range: truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 127) * 2 ** shift;
      if (byte < 128) return result;
    }
    throw new Error('invalid varint encoding');
  }

  bytes(): Buffer {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.buf.length) throw new RangeError(`index out of range: ${this.pos} + ${length} > ${this.buf.length}`);
    const data = this.buf.subarray(this.pos, end);
    this.pos = end;
    return data;
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_LENGTH) this.bytes();
    else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      this.pos += wire === WIRE_FIXED64 ? 8 : 4;
      if (this.pos > this.buf.length) throw new RangeError('index out of range: truncated fixed field');
    } else throw new Error(`invalid wire type ${wire} at offset ${this.pos}`);
  }
}

function expectWire(type: MessageType, name: string, got: number, want: number): void {
  if (got !== want) throw new Error(`invalid wire type ${got} for ${type.fullName}.${name}`);
}

function readMapEntry(data: Buffer): [string, string] {
  const r = new Reader(data);
  let key = '';
  let value = '';
  while (!r.done) {
    const tag = r.varint();
    if (tag === (1 << 3) + WIRE_LENGTH) key = r.bytes().toString('utf8');
    else if (tag === (2 << 3) + WIRE_LENGTH) value = r.bytes().toString('utf8');
    else r.skip(tag & 7);
  }
  return [key, value];
}

function readValue(r: Reader, root: NamespaceJson, type: MessageType, name: string, field: FieldJson, wire: number): unknown {
  switch (kindOf(field)) {
    case 'string':
      expectWire(type, name, wire, WIRE_LENGTH);
      return r.bytes().toString('utf8');
    case 'bool':
      expectWire(type, name, wire, WIRE_VARINT);
      return r.varint() !== 0;
    case 'message':
      expectWire(type, name, wire, WIRE_LENGTH);
      return decodeMessage(root, resolveType(root, type.scope, field.type), r.bytes());
    case 'unsupported':
      throw unsupported(type, name, field);
  }
}

/** Protobuf bytes as a plain object holding the fields that were sent. */
export function decodeMessage(root: NamespaceJson, type: MessageType, data: Buffer): Record<string, unknown> {
  const byId = new Map(Object.entries(type.fields).map(([name, field]) => [field.id, { name, field }]));
  const out: Record<string, unknown> = {};
  const r = new Reader(data);
  while (!r.done) {
    const tag = r.varint();
    const wire = tag & 7;
    const known = byId.get(Math.floor(tag / 8));
    if (!known) {
      r.skip(wire);
      continue;
    }
    const { name, field } = known;
    if (field.keyType !== undefined) {
      if (field.keyType !== 'string' || field.type !== 'string') throw unsupported(type, name, field);
      expectWire(type, name, wire, WIRE_LENGTH);
      const [key, value] = readMapEntry(r.bytes());
      ((out[name] ??= {}) as Record<string, string>)[key] = value;
    } else if (field.rule === 'repeated') {
      ((out[name] ??= []) as unknown[]).push(readValue(r, root, type, name, field, wire));
    } else {
      out[name] = readValue(r, root, type, name, field, wire);
    }
  }
  return out;
}
