/**
 * Published ports: Docker's -p syntax (parsePortSpec), host-port allocation
 * without clashes (allocatePorts), and the controller binding them for a
 * sandbox: a clash refuses the whole sandbox and leaves nothing behind.
 */
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { Controller } from '../../src/cnm/controller.js';
import { allocatePorts, EPHEMERAL_PORTS, parsePortSpec } from '../../src/cnm/ports.js';
import type { PortSpec, PublishedPort } from '../../src/cnm/records.js';
import { builtinDrivers } from '../../src/drivers/index.js';
import { DefaultIpam } from '../../src/ipam/default-ipam.js';
import { FakeKernel } from '../../src/kernel/fake/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MemorySandboxFiles } from '../helpers/memory-sandbox-files.js';

describe('parsePortSpec', () => {
  it.each<[string, PortSpec]>([
    ['80', { proto: 'tcp', hostIp: '', hostPortStart: 0, hostPortEnd: 0, containerPort: 80 }],
    ['53/udp', { proto: 'udp', hostIp: '', hostPortStart: 0, hostPortEnd: 0, containerPort: 53 }],
    ['8080:80', { proto: 'tcp', hostIp: '', hostPortStart: 8080, hostPortEnd: 8080, containerPort: 80 }],
    ['127.0.0.1:8080:80', { proto: 'tcp', hostIp: '127.0.0.1', hostPortStart: 8080, hostPortEnd: 8080, containerPort: 80 }],
    ['127.0.0.1::80', { proto: 'tcp', hostIp: '127.0.0.1', hostPortStart: 0, hostPortEnd: 0, containerPort: 80 }],
    ['0.0.0.0:8080:80', { proto: 'tcp', hostIp: '', hostPortStart: 8080, hostPortEnd: 8080, containerPort: 80 }],
    ['8000-8010:80/udp', { proto: 'udp', hostIp: '', hostPortStart: 8000, hostPortEnd: 8010, containerPort: 80 }],
    ['[::1]:8080:80', { proto: 'tcp', hostIp: '::1', hostPortStart: 8080, hostPortEnd: 8080, containerPort: 80 }],
    ['[2001:db8::1]::443/sctp', { proto: 'sctp', hostIp: '2001:db8::1', hostPortStart: 0, hostPortEnd: 0, containerPort: 443 }],
  ])('%s', (text, spec) => {
    expect(parsePortSpec(text)).toEqual(spec);
  });

  it.each([
    ['80:99999', 'port 99999 is out of range'],
    ['99999', 'port 99999 is out of range'],
    ['abc', '"abc" is not a port number'],
    ['80/icmp', 'unknown protocol "icmp"'],
    ['1:2:3:4', 'too many colons'],
    ['0', 'container port must be 1-65535'],
    ['0:80', 'host port range must be 1-65535'],
    ['8010-8000:80', 'host port range must be 1-65535, start <= end'],
    ['300.1.1.1:8080:80', 'bad host address "300.1.1.1"'],
    ['localhost:8080:80', 'bad host address "localhost"'],
    ['[::1:8080:80', 'unterminated IPv6 address'],
    ['', '"" is not a port number'],
  ])('refuses %j: WEFT_BAD_PORT_SPEC naming the spec', (text, why) => {
    expect(() => parsePortSpec(text)).toThrow(expect.objectContaining({ code: 'WEFT_BAD_PORT_SPEC', kind: 'BadRequest' }));
    expect(() => parsePortSpec(text)).toThrow(`invalid port specification "${text}": ${why}`);
  });
});

describe('allocatePorts', () => {
  const target = { networkId: 'n1', containerIp: '10.5.0.2' };
  const spec = (text: string) => parsePortSpec(text);
  const bound = (hostIp: string, hostPort: number, proto: PublishedPort['proto'] = 'tcp'): PublishedPort => ({
    proto,
    hostIp,
    hostPort,
    containerPort: 80,
    networkId: 'n0',
    containerIp: '10.9.0.2',
  });

  it('binds a fixed port and says where', () => {
    expect(allocatePorts([spec('8080:80')], [], target)).toEqual([
      { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, networkId: 'n1', containerIp: '10.5.0.2' },
    ]);
  });

  it('refuses a fixed port already bound: WEFT_PORT_CONFLICT in Docker words', () => {
    expect(() => allocatePorts([spec('8080:80')], [bound('', 8080)], target)).toThrow(
      expect.objectContaining({ code: 'WEFT_PORT_CONFLICT', message: 'Bind for 0.0.0.0:8080/tcp failed: port is already allocated' }),
    );
    expect(() => allocatePorts([spec('127.0.0.1:8080:80')], [bound('', 8080)], target)).toThrow(
      'Bind for 127.0.0.1:8080/tcp failed: port is already allocated',
    );
  });

  it('lets different host addresses share a port, but every-address ("") clashes with any', () => {
    const inUse = [bound('127.0.0.1', 8080)];
    expect(allocatePorts([spec('127.0.0.2:8080:80')], inUse, target)[0]!.hostPort).toBe(8080);
    expect(allocatePorts([spec('127.0.0.3:8080:80')], inUse, target)[0]!.hostPort).toBe(8080);
    expect(() => allocatePorts([spec('8080:80')], inUse, target)).toThrow(expect.objectContaining({ code: 'WEFT_PORT_CONFLICT' }));
    expect(() => allocatePorts([spec('127.0.0.1:8080:80')], inUse, target)).toThrow(expect.objectContaining({ code: 'WEFT_PORT_CONFLICT' }));
  });

  it('refuses a host address of another family than the sandbox address', () => {
    expect(() => allocatePorts([spec('[::1]:8080:80')], [], target)).toThrow(
      expect.objectContaining({ code: 'WEFT_BAD_PORT_SPEC', message: expect.stringMatching(/differ in family/) }),
    );
  });

  it.each(['[::1]:8080:80:90', '[::1]:8080:80:'])('refuses %s (too many colons after a bracketed host)', (text) => {
    expect(() => parsePortSpec(text)).toThrow(expect.objectContaining({ code: 'WEFT_BAD_PORT_SPEC' }));
  });

  it('keeps protocols apart', () => {
    expect(allocatePorts([spec('8080:80/udp'), spec('8080:80/sctp')], [bound('', 8080, 'tcp')], target).map((p) => p.hostPort)).toEqual([8080, 8080]);
  });

  it('picks the first free port of a range, and refuses a range with none free', () => {
    expect(allocatePorts([spec('8000-8002:80')], [bound('', 8000), bound('', 8001)], target)[0]!.hostPort).toBe(8002);
    expect(() => allocatePorts([spec('8000-8001:80')], [bound('', 8000), bound('', 8001)], target)).toThrow(
      expect.objectContaining({ code: 'WEFT_PORT_CONFLICT', message: 'no free host port in range 8000-8001/tcp' }),
    );
  });

  it('picks random host ports from 49153-60999, distinct from each other and from those in use', () => {
    const inUse = [bound('', EPHEMERAL_PORTS.start), bound('', EPHEMERAL_PORTS.start + 2)];
    const ports = allocatePorts([spec('80'), spec('81'), spec('82'), spec('127.0.0.1::83')], inUse, target).map((p) => p.hostPort);
    expect(EPHEMERAL_PORTS).toEqual({ start: 49153, end: 60999 });
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(49153);
      expect(p).toBeLessThanOrEqual(60999);
    }
    expect(new Set([...ports, ...inUse.map((p) => p.hostPort)]).size).toBe(ports.length + inUse.length);
  });

  it('refuses two specs of one request that want the same port', () => {
    expect(() => allocatePorts([spec('8080:80'), spec('8080:81')], [], target)).toThrow(expect.objectContaining({ code: 'WEFT_PORT_CONFLICT' }));
  });
});

describe('publishing through the controller', () => {
  let store: MemoryStore;
  let kernel: FakeKernel;
  let files: MemorySandboxFiles;
  let controller: Controller;

  beforeEach(async () => {
    store = new MemoryStore();
    kernel = new FakeKernel();
    files = new MemorySandboxFiles();
    const ipam = await DefaultIpam.open({ store });
    ({ controller } = await Controller.start({ store, kernel, ipam, drivers: builtinDrivers(), files, log: pino({ level: 'silent' }) }));
    await controller.createNetwork({ name: 'front', subnets: ['10.5.0.0/24'] });
  });

  async function state() {
    const snapshot = kernel.snapshot();
    for (const ns of Object.values(snapshot)) ns.nftTables = ns.nftTables.map((t) => ({ ...t, handle: 0 }));
    const entries = async (prefix: string) => Object.fromEntries((await store.list(prefix)).map((e) => [e.key, e.value]));
    return { snapshot, firewall: kernel.nftScripts().at(-1), ipam: await entries('ipam/'), records: await entries('cnm/'), files: [...files.current.keys()] };
  }

  it('shows the bindings in Docker\'s Ports shape', async () => {
    const sb = await controller.createSandbox({ name: 'web', networks: ['front'], publish: ['8080:80', '127.0.0.1::53/udp', '8443-8445:443'] });
    expect(sb.Ports).toEqual({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: String(EPHEMERAL_PORTS.start) }],
      '443/tcp': [{ HostIp: '0.0.0.0', HostPort: '8443' }],
    });
  });

  it('gives two sandboxes publishing the same container port distinct random host ports', async () => {
    const a = await controller.createSandbox({ name: 'a', networks: ['front'], publish: ['80'] });
    const b = await controller.createSandbox({ name: 'b', networks: ['front'], publish: ['80'] });
    const portOf = (s: typeof a) => Number(s.Ports['80/tcp']![0]!.HostPort);
    expect(portOf(a)).not.toBe(portOf(b));
    for (const p of [portOf(a), portOf(b)]) expect(p).toBeGreaterThanOrEqual(EPHEMERAL_PORTS.start);
  });

  // Names with a non-hex letter: a lookup of a hex-only name also matches sandbox ids by prefix, as in Docker.
  it('refuses a sandbox whose fixed port is taken, leaving nothing; the port is free once its holder is gone', async () => {
    await controller.createSandbox({ name: 'holder', networks: ['front'], publish: ['8080:80'] });
    const before = await state();
    await expect(controller.createSandbox({ name: 'late', networks: ['front'], ipv4: '10.5.0.77', publish: ['9090:90', '8080:80'] })).rejects.toMatchObject({
      name: 'WeftError',
      code: 'WEFT_PORT_CONFLICT',
      message: 'Bind for 0.0.0.0:8080/tcp failed: port is already allocated',
    });
    expect(await state()).toEqual(before);
    expect(await kernel.netnsExists('late')).toBe(false);
    await expect(controller.inspectSandbox('late')).rejects.toMatchObject({ code: 'WEFT_SANDBOX_NOT_FOUND' });
    await controller.removeSandbox('holder');
    const late = await controller.createSandbox({ name: 'late', networks: ['front'], ipv4: '10.5.0.77', publish: ['9090:90', '8080:80'] });
    expect(late.Ports['80/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: '8080' }]);
  });

  it('refuses a bad spec before anything is made', async () => {
    const before = await state();
    await expect(controller.createSandbox({ name: 'web', networks: ['front'], publish: ['80/icmp'] })).rejects.toMatchObject({
      code: 'WEFT_BAD_PORT_SPEC',
      message: expect.stringContaining('"80/icmp"'),
    });
    expect(await state()).toEqual(before);
  });

  it('binds ports on the network that provides the default route, not on an internal one', async () => {
    await controller.createNetwork({ name: 'int', subnets: ['10.7.0.0/24'], internal: true });
    const sb = await controller.createSandbox({ name: 'web', networks: ['int', 'front'], publish: ['8080:80'] });
    expect(sb.Ports['80/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: '8080' }]);
    const record = [...controller.repository.sandboxes.values()].find((s) => s.name === 'web')!;
    const front = await controller.inspectNetwork('front');
    expect(record.ports).toEqual([
      { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, networkId: front.Id, containerIp: sb.Networks.front!.IPAddress },
    ]);
  });
});
