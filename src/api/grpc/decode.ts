/**
 * Request messages → the controller's request types. Protobuf already fixes
 * the wire types, but a message decoded by proto-loader is still an untyped
 * object, so every field is checked here before the controller sees it:
 * strings are strings, lists hold non-empty strings, map keys are non-empty,
 * and names that identify something are present.
 */
import type {
  ConnectRequest,
  NetworkCreateRequest,
  NetworkFilter,
  SandboxCreateRequest,
} from '../../cnm/api-types.js';
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { Message } from './proto.js';

export function badRequest(message: string): WeftError {
  return new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', message);
}

export function requiredString(msg: Message, field: string): string {
  const value = msg[field];
  if (value === undefined || value === '') throw badRequest(`${field} is required`);
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
  return value;
}

/** An empty string means "not given" in weft.proto. */
export function optionalString(msg: Message, field: string): string | undefined {
  const value = msg[field];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
  return value;
}

export function stringList(msg: Message, field: string): string[] | undefined {
  const value = msg[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw badRequest(`${field} must be a list of strings`);
  for (const item of value) {
    if (typeof item !== 'string' || item === '') throw badRequest(`${field} must hold non-empty strings`);
  }
  return value.length === 0 ? undefined : (value as string[]);
}

export function stringMap(msg: Message, field: string): Record<string, string> | undefined {
  const value = msg[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`${field} must be a map of strings`);
  }
  const entries = Object.entries(value);
  for (const [key, item] of entries) {
    if (key === '') throw badRequest(`${field} has an empty key`);
    if (typeof item !== 'string') throw badRequest(`${field}.${key} must be a string`);
  }
  return entries.length === 0 ? undefined : (value as Record<string, string>);
}

/** false and absent are the same in proto3; only true is passed on. */
export function flag(msg: Message, field: string): true | undefined {
  const value = msg[field];
  if (value === undefined || value === false) return undefined;
  if (value !== true) throw badRequest(`${field} must be a boolean`);
  return true;
}

export function decodeNetworkCreate(msg: Message): NetworkCreateRequest {
  return {
    name: requiredString(msg, 'name'),
    driver: optionalString(msg, 'driver'),
    subnets: stringList(msg, 'subnets'),
    gateways: stringList(msg, 'gateways'),
    ipRanges: stringList(msg, 'ipRanges'),
    auxAddresses: stringMap(msg, 'auxAddresses'),
    ipamDriver: optionalString(msg, 'ipamDriver'),
    ipamOptions: stringMap(msg, 'ipamOptions'),
    options: stringMap(msg, 'options'),
    labels: stringMap(msg, 'labels'),
    internal: flag(msg, 'internal'),
    attachable: flag(msg, 'attachable'),
    ipv6: flag(msg, 'ipv6'),
  };
}

/** Undefined when no filter key was given. */
export function decodeNetworkFilter(msg: Message): NetworkFilter | undefined {
  const filter: NetworkFilter = {};
  for (const key of ['driver', 'name', 'label', 'id'] as const) {
    const values = stringList(msg, key);
    if (values) filter[key] = values;
  }
  return Object.keys(filter).length === 0 ? undefined : filter;
}

export function decodeConnect(msg: Message): ConnectRequest {
  return {
    network: requiredString(msg, 'network'),
    sandbox: requiredString(msg, 'sandbox'),
    ipv4: optionalString(msg, 'ipv4'),
    ipv6: optionalString(msg, 'ipv6'),
    aliases: stringList(msg, 'aliases'),
  };
}

export function decodeSandboxCreate(msg: Message): SandboxCreateRequest {
  return {
    name: requiredString(msg, 'name'),
    networks: stringList(msg, 'networks'),
    ipv4: optionalString(msg, 'ipv4'),
    ipv6: optionalString(msg, 'ipv6'),
    aliases: stringList(msg, 'aliases'),
    publish: stringList(msg, 'publish'),
    dns: stringList(msg, 'dns'),
    dnsSearch: stringList(msg, 'dnsSearch'),
    dnsOptions: stringList(msg, 'dnsOptions'),
    hostname: optionalString(msg, 'hostname'),
  };
}
