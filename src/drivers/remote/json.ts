/**
 * Reading plugin answers the way Go's encoding/json does: field names match
 * case-insensitively, unknown fields are ignored, types must match. Readers
 * throw WEFT_PLUGIN_BAD_RESPONSE naming the field.
 */
import { isIP } from 'node:net';
import { badResponse } from './errors.js';

export type JsonObject = Record<string, unknown>;

/** The value of `name` (exact spelling first, then case-insensitive). */
export function fieldOf(obj: JsonObject, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : obj[key];
}

/** Reads fields of one answer, with the plugin and method for error messages. */
export class AnswerReader {
  constructor(
    private readonly plugin: string,
    private readonly method: string,
  ) {}

  fail(message: string): Error {
    return badResponse(this.plugin, this.method, message);
  }

  /** A string field; '' when absent or null. */
  string(obj: JsonObject, name: string): string {
    const value = fieldOf(obj, name);
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') throw this.fail(`"${name}" must be a string, got ${JSON.stringify(value)}`);
    return value;
  }

  /** An object field; undefined when absent or null. */
  object(obj: JsonObject, name: string): JsonObject | undefined {
    const value = fieldOf(obj, name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.fail(`"${name}" must be an object`);
    return value as JsonObject;
  }

  array(obj: JsonObject, name: string): JsonObject[] {
    const value = fieldOf(obj, name);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null)) throw this.fail(`"${name}" must be an array of objects`);
    return value as JsonObject[];
  }

  boolean(obj: JsonObject, name: string): boolean {
    const value = fieldOf(obj, name);
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') throw this.fail(`"${name}" must be a boolean`);
    return value;
  }

  number(obj: JsonObject, name: string): number {
    const value = fieldOf(obj, name);
    if (value === undefined || value === null) return 0;
    if (typeof value !== 'number') throw this.fail(`"${name}" must be a number`);
    return value;
  }

  /** A string map (Data, Options); non-string values are refused. */
  stringMap(obj: JsonObject, name: string): Record<string, string> {
    const value = this.object(obj, name) ?? {};
    for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') throw this.fail(`"${name}.${k}" must be a string`);
    return value as Record<string, string>;
  }

  /** A plain IP ('' allowed when `optional`). */
  ip(obj: JsonObject, name: string, optional = true): string {
    const value = this.string(obj, name);
    if (value === '' && optional) return '';
    if (isIP(value) === 0) throw this.fail(`"${name}" must be a plain IP address, got ${JSON.stringify(value)}`);
    return value;
  }

  /** An address with a prefix length, e.g. 10.0.0.2/24 ('' allowed when `optional`). */
  cidr(obj: JsonObject, name: string, optional = true): string {
    const value = this.string(obj, name);
    if (value === '' && optional) return '';
    if (!isCidr(value)) throw this.fail(`"${name}" must be an address with a prefix length, got ${JSON.stringify(value)}`);
    return value;
  }
}

export function isCidr(value: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!m) return false;
  const family = isIP(m[1]!);
  return family !== 0 && Number(m[2]) <= (family === 4 ? 32 : 128);
}
