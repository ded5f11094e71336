/**
 * How errors cross the gRPC API: kind → status code, "[CODE] message" as the
 * status message, the code in the weft-error-code trailer, and back into the
 * same WeftError on the client. Malformed and incomplete requests are
 * INVALID_ARGUMENT and never reach the controller.
 */
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type WeftClient } from '../../src/api/grpc/client.js';
import { decodeConnect, decodeNetworkCreate, decodeNetworkFilter } from '../../src/api/grpc/decode.js';
import { loadWeftProto, serviceDefinition, type Message } from '../../src/api/grpc/proto.js';
import { ERROR_CODE_METADATA } from '../../src/api/grpc/status.js';
import { WeftError, type ErrorKind } from '../../src/errors/index.js';
import { startFakeDaemon, type FakeDaemon } from '../helpers/fake-network-api.js';

let daemon: FakeDaemon;
let client: WeftClient;
let raw: Client;

beforeEach(async () => {
  daemon = await startFakeDaemon();
  client = connect(daemon.target);
  raw = new Client(daemon.target, credentials.createInsecure());
});

afterEach(async () => {
  client.close();
  raw.close();
  await daemon.stop();
});

/** Calls Service/Method with `body` (a message, or raw bytes sent as they are) and returns the failure. */
function failingCall(service: string, method: string, body: Message | Buffer): Promise<ServiceError> {
  const def = serviceDefinition(loadWeftProto(), `weft.v1.${service}`)[method];
  if (!def) throw new Error(`no method ${method}`);
  const serialize = Buffer.isBuffer(body) ? (b: Buffer) => b : def.requestSerialize;
  return new Promise((resolve, reject) => {
    raw.makeUnaryRequest(def.path, serialize as (v: unknown) => Buffer, def.responseDeserialize, body, (err) =>
      err ? resolve(err) : reject(new Error('call succeeded')),
    );
  });
}

describe('error kinds become gRPC statuses', () => {
  const cases: [ErrorKind, string, status][] = [
    ['BadRequest', 'WEFT_BAD_CIDR', status.INVALID_ARGUMENT],
    ['NotFound', 'WEFT_NETWORK_NOT_FOUND', status.NOT_FOUND],
    ['Conflict', 'WEFT_NETWORK_EXISTS', status.ALREADY_EXISTS],
    ['Conflict', 'WEFT_ENDPOINT_EXISTS', status.ALREADY_EXISTS],
    ['Conflict', 'WEFT_NETWORK_IN_USE', status.FAILED_PRECONDITION],
    ['Conflict', 'WEFT_POOL_EXHAUSTED', status.FAILED_PRECONDITION],
    ['Forbidden', 'WEFT_PREDEFINED_NETWORK', status.PERMISSION_DENIED],
    ['Unavailable', 'WEFT_STORE_FAILED', status.UNAVAILABLE],
    ['NotImplemented', 'WEFT_KERNEL_UNSUPPORTED', status.UNIMPLEMENTED],
    ['Internal', 'WEFT_KERNEL_OP_FAILED', status.INTERNAL],
  ];

  it.each(cases)('%s %s → %s', async (kind, code, grpcStatus) => {
    daemon.api.failNext('inspectNetwork', new WeftError(code, kind, 'it went wrong'));
    const err = await failingCall('Networks', 'Inspect', { name: 'x' });
    expect(err.code).toBe(grpcStatus);
    expect(err.details).toBe(`[${code}] it went wrong`);
    expect(err.metadata.get(ERROR_CODE_METADATA)).toEqual([code]);

    daemon.api.failNext('inspectNetwork', new WeftError(code, kind, 'it went wrong'));
    const back = await client.inspectNetwork('x').catch((e: unknown) => e);
    expect(back).toBeInstanceOf(WeftError);
    expect(back).toMatchObject({ code, kind, message: 'it went wrong' });
  });

  it('a non-WeftError is INTERNAL with WEFT_INTERNAL', async () => {
    daemon.api.failNext('listSandboxes', new TypeError('cannot read properties of undefined'));
    const err = await failingCall('Sandboxes', 'List', {});
    expect(err.code).toBe(status.INTERNAL);
    expect(err.details).toBe('[WEFT_INTERNAL] cannot read properties of undefined');
    expect(err.metadata.get(ERROR_CODE_METADATA)).toEqual(['WEFT_INTERNAL']);
  });

  it('real controller errors keep their code and message end to end', async () => {
    await client.createNetwork({ name: 'dup' });
    await expect(client.createNetwork({ name: 'dup' })).rejects.toMatchObject({
      code: 'WEFT_NETWORK_EXISTS',
      kind: 'Conflict',
      message: 'network with name dup already exists',
    });
    await expect(client.removeNetwork('bridge')).rejects.toMatchObject({ code: 'WEFT_PREDEFINED_NETWORK', kind: 'Forbidden' });
  });

  it('an unreachable daemon is WEFT_DAEMON_UNREACHABLE naming the address', async () => {
    const target = `unix://${daemon.socketPath}.missing`;
    const lost = connect(target);
    try {
      await expect(lost.version()).rejects.toMatchObject({
        code: 'WEFT_DAEMON_UNREACHABLE',
        kind: 'Unavailable',
        message: `cannot connect to the weft daemon at ${target}: is weftd running?`,
      });
    } finally {
      lost.close();
    }
  });
});

describe('bad requests are INVALID_ARGUMENT and never reach the controller', () => {
  const missing: [string, string, Message, string][] = [
    ['Networks', 'Create', { driver: 'bridge' }, 'name is required'],
    ['Networks', 'Inspect', {}, 'name is required'],
    ['Networks', 'Remove', { name: '' }, 'name is required'],
    ['Networks', 'Connect', { network: 'n' }, 'sandbox is required'],
    ['Networks', 'Disconnect', { sandbox: 's' }, 'network is required'],
    ['Sandboxes', 'Create', { networks: ['n'] }, 'name is required'],
    ['Sandboxes', 'Inspect', {}, 'name is required'],
    ['Sandboxes', 'Remove', { force: true }, 'name is required'],
  ];

  it.each(missing)('%s/%s without a required field', async (service, method, body, message) => {
    const err = await failingCall(service, method, body);
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe(`[WEFT_INVALID_ARGUMENT] ${message}`);
    expect(err.metadata.get(ERROR_CODE_METADATA)).toEqual(['WEFT_INVALID_ARGUMENT']);
    expect(daemon.api.calls).toEqual([]);
  });

  it('list items must not be empty strings', async () => {
    const err = await failingCall('Networks', 'Create', { name: 'n', subnets: ['10.0.0.0/8', ''] });
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe('[WEFT_INVALID_ARGUMENT] subnets must hold non-empty strings');
    expect(daemon.api.calls).toEqual([]);
  });

  it('bytes of the wrong wire type (a string where the bool `internal` goes) are malformed', async () => {
    // field 1 (name) = "x", then field 11 (internal, a bool) sent length-delimited as "yes"
    const err = await failingCall('Networks', 'Create', Buffer.from([0x0a, 0x01, 0x78, 0x5a, 0x03, 0x79, 0x65, 0x73]));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^\[WEFT_INVALID_ARGUMENT\] malformed request: /);
    expect(daemon.api.calls).toEqual([]);
  });

  it('the decoders check JavaScript types too', () => {
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(bad(() => decodeNetworkCreate({ name: 5 }))).toMatchObject({ code: 'WEFT_INVALID_ARGUMENT', message: 'name must be a string' });
    expect(bad(() => decodeNetworkCreate({ name: 'n', subnets: '10.0.0.0/8' }))).toMatchObject({ message: 'subnets must be a list of strings' });
    expect(bad(() => decodeNetworkCreate({ name: 'n', labels: { a: 1 } }))).toMatchObject({ message: 'labels.a must be a string' });
    expect(bad(() => decodeNetworkCreate({ name: 'n', labels: ['a'] }))).toMatchObject({ message: 'labels must be a map of strings' });
    expect(bad(() => decodeNetworkCreate({ name: 'n', internal: 'yes' }))).toMatchObject({ message: 'internal must be a boolean' });
    expect(bad(() => decodeConnect({ network: 'n', sandbox: 's', ipv4: 4 }))).toMatchObject({ message: 'ipv4 must be a string' });
    expect(bad(() => decodeNetworkFilter({ driver: [1] }))).toMatchObject({ message: 'driver must hold non-empty strings' });
  });
});
