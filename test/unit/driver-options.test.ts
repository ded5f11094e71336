/**
 * Option validation of the bridge and nat drivers: every bad value is
 * WEFT_INVALID_OPTION (BadRequest) naming the option and the value, thrown
 * before anything is planned; good values parse as Docker parses them.
 */
import { describe, expect, it } from 'vitest';
import { BridgeDriver, NatDriver } from '../../src/drivers/index.js';
import type { NetworkSpec } from '../../src/drivers/driver.js';
import { defaultBridgeName, endpointDeviceName, idHex } from '../../src/drivers/common/names.js';
import { macFromId, macFromIpv4 } from '../../src/drivers/common/mac.js';
import { WeftError } from '../../src/errors/index.js';

function spec(options: Record<string, string>, overrides: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    id: 'c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc',
    name: 'n',
    options,
    labels: {},
    internal: false,
    attachable: false,
    ipv6: false,
    v4: [{ poolId: 'p', subnet: '10.9.0.0/24', gateway: '10.9.0.1/24', auxAddresses: {} }],
    v6: [],
    ...overrides,
  };
}

function failure(fn: () => unknown): WeftError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WeftError) return err;
    throw err;
  }
  throw new Error('expected a WeftError');
}

const MTU = 'com.docker.network.driver.mtu';
const ICC = 'com.docker.network.bridge.enable_icc';
const MASQ = 'com.docker.network.bridge.enable_ip_masquerade';
const BIND = 'com.docker.network.bridge.host_binding_ipv4';
const NAME = 'com.docker.network.bridge.name';

describe.each([
  ['bridge', new BridgeDriver()],
  ['nat', new NatDriver()],
])('%s driver options', (_name, driver) => {
  it.each([
    [MTU, '67', 'from 68 to 65535'],
    [MTU, '65536', 'from 68 to 65535'],
    [MTU, '1500.5', 'integer'],
    [MTU, '-1', 'integer'],
    [MTU, '', 'integer'],
    [MTU, 'jumbo', 'integer'],
    [ICC, 'yes', 'boolean'],
    [ICC, '', 'boolean'],
    [MASQ, 'enabled', 'boolean'],
    [MASQ, '2', 'boolean'],
    [BIND, '10.0.0', 'IPv4 address'],
    [BIND, '::1', 'IPv4 address'],
  ])('%s=%j is WEFT_INVALID_OPTION', (option, value, why) => {
    const err = failure(() => driver.createNetwork(spec({ [option]: value })));
    expect(err.code).toBe('WEFT_INVALID_OPTION');
    expect(err.kind).toBe('BadRequest');
    expect(err.message).toContain(option);
    expect(err.message).toContain(JSON.stringify(value));
    expect(err.message).toContain(why);
    expect(err.details).toEqual({ option, value });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['t', true],
    ['TRUE', true],
    ['True', true],
    ['false', false],
    ['0', false],
    ['F', false],
    ['FALSE', false],
  ])('accepts the boolean %j (strconv.ParseBool)', (value, expected) => {
    expect(driver.createNetwork(spec({ [ICC]: value, [MASQ]: value })).data).toMatchObject({ icc: expected, masquerade: expected });
  });

  it('parses MTU bounds and host_binding_ipv4, 0.0.0.0 meaning every address', () => {
    expect(driver.createNetwork(spec({ [MTU]: '68' })).data).toMatchObject({ mtu: 68 });
    expect(driver.createNetwork(spec({ [MTU]: '65535' })).data).toMatchObject({ mtu: 65535 });
    const bound = driver.createNetwork(spec({ [BIND]: '192.168.5.5' }));
    expect(bound.data).toMatchObject({ hostBindingIpv4: '192.168.5.5' });
    expect(bound.firewall?.hostBindingIpv4).toBe('192.168.5.5');
    expect(driver.createNetwork(spec({ [BIND]: '0.0.0.0' })).data.hostBindingIpv4).toBeUndefined();
  });

  it('defaults: MTU 1500, icc and masquerade on; icc=false reaches the firewall intent', () => {
    expect(driver.createNetwork(spec({})).data).toMatchObject({ mtu: 1500, icc: true, masquerade: true, internal: false });
    expect(driver.createNetwork(spec({ [ICC]: 'false', [MASQ]: 'false' })).firewall).toMatchObject({ icc: false, masquerade: false });
  });

  it('ignores options it does not know, as Docker does', () => {
    expect(() => driver.createNetwork(spec({ 'com.example.whatever': 'x' }))).not.toThrow();
  });

  it('refuses more than one subnet per family with WEFT_INVALID_ARGUMENT', () => {
    const two = [
      { poolId: 'a', subnet: '10.9.0.0/24', gateway: '10.9.0.1/24', auxAddresses: {} },
      { poolId: 'b', subnet: '10.9.1.0/24', gateway: '10.9.1.1/24', auxAddresses: {} },
    ];
    const err = failure(() => driver.createNetwork(spec({}, { v4: two })));
    expect(err).toMatchObject({ code: 'WEFT_INVALID_ARGUMENT', kind: 'BadRequest' });
    expect(err.message).toContain('one IPv4 subnet');
  });

  it('refuses a bad sandbox interface name in the placement', () => {
    const net = { ...spec({}), driverData: driver.createNetwork(spec({})).data };
    const ep = { id: 'e1', networkId: net.id, addressV4: '10.9.0.2/24', options: {} };
    const err = failure(() => driver.createEndpoint(net, ep, { kind: 'netns', netns: 'sb', ifname: 'eth0/x', defaultGateway: true }));
    expect(err.code).toBe('WEFT_INVALID_ARGUMENT');
  });
});

describe('bridge name option', () => {
  const driver = new BridgeDriver();

  it.each([
    ['sixteen-chars-xx', '1 to 15 characters'],
    ['br 0', 'letters, digits'],
    ['br/0', 'letters, digits'],
    ['br"0', 'letters, digits'],
    ['br.0', 'letters, digits'],
  ])('refuses %j', (name, why) => {
    const err = failure(() => driver.createNetwork(spec({ [NAME]: name })));
    expect(err.code).toBe('WEFT_INVALID_OPTION');
    expect(err.message).toContain(NAME);
    expect(err.message).toContain(why);
  });

  it('accepts a 15-character name, and an empty one means the default', () => {
    expect(driver.createNetwork(spec({ [NAME]: 'br-fifteen-char' })).data.bridge).toBe('br-fifteen-char');
    expect(driver.createNetwork(spec({ [NAME]: '' })).data.bridge).toBe('weft-c0ffee0011');
  });

  it('validates the other options of a custom-named bridge too', () => {
    expect(() => driver.createNetwork(spec({ [NAME]: 'ok', [MTU]: '1' }))).toThrow(expect.objectContaining({ code: 'WEFT_INVALID_OPTION' }));
  });
});

describe('names and MACs', () => {
  it('derives device names from ids, within IFNAMSIZ', () => {
    expect(defaultBridgeName('0123456789abcdef')).toBe('weft-0123456789');
    expect(endpointDeviceName('wv', 'ABCDEF0123456789')).toBe('wvabcdef012345');
    // Non-hex ids are hashed: still short, valid and stable.
    const hashed = defaultBridgeName('my network!');
    expect(hashed).toMatch(/^weft-[0-9a-f]{10}$/);
    expect(defaultBridgeName('my network!')).toBe(hashed);
    expect(idHex('abc', 12)).toMatch(/^[0-9a-f]{12}$/);
  });

  it('derives MACs like Docker from IPv4, else from the id', () => {
    expect(macFromIpv4('172.17.0.2')).toBe('02:42:ac:11:00:02');
    expect(macFromId('x')).toMatch(/^06(:[0-9a-f]{2}){5}$/);
    expect(macFromId('x')).not.toBe(macFromId('y'));
  });
});
