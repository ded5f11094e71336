/**
 * Decoding plugin request bodies the way the engine's Go side encodes them:
 * field names match case-insensitively (as Go's encoding/json does), unknown
 * fields are ignored, types must match. Every failure is
 * WEFT_PLUGIN_BAD_REQUEST naming the field (HTTP 400).
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';

export type Body = Record<string, unknown>;

export function badRequest(message: string): WeftError {
  return new WeftError(ErrorCodes.PLUGIN_BAD_REQUEST, 'BadRequest', message);
}

export function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body as an object; an empty body is `{}` (methods without arguments send none). */
export function parseBody(text: string): Body {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`request body is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw badRequest('request body must be a JSON object');
  return parsed;
}

/** A field by exact name, else case-insensitively (Go's rule). */
export function field(body: Body, name: string): unknown {
  if (name in body) return body[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(body)) if (key.toLowerCase() === lower) return body[key];
  return undefined;
}

export function requiredString(body: Body, name: string): string {
  const value = field(body, name);
  if (typeof value !== 'string' || value === '') throw badRequest(`${name} must be a non-empty string`);
  return value;
}

/** A string field; absent or null is ''. */
export function optionalString(body: Body, name: string): string {
  const value = field(body, name);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw badRequest(`${name} must be a string`);
  return value;
}

export function optionalBool(body: Body, name: string): boolean {
  const value = field(body, name);
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw badRequest(`${name} must be a boolean`);
  return value;
}

/** An object field; absent or null is {}. */
export function optionalObject(body: Body, name: string): Body {
  const value = field(body, name);
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw badRequest(`${name} must be an object`);
  return value;
}

/** An array field; absent or null is []. */
export function optionalArray(body: Body, name: string): unknown[] {
  const value = field(body, name);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest(`${name} must be an array`);
  return value;
}

/** A string→string map; absent or null is {}. */
export function stringMap(body: Body, name: string): Record<string, string> {
  const map = optionalObject(body, name);
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') throw badRequest(`${name}.${key} must be a string`);
  }
  return map as Record<string, string>;
}

/** An integer field within [min, max]; absent or null is `fallback`. */
export function optionalInt(body: Body, name: string, min: number, max: number, fallback = 0): number {
  const value = field(body, name);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badRequest(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}
