/**
 * `weft sandbox ...` and `weft version` run in-process against a real gRPC
 * server over the fake controller. `sandbox exec` runs through an injected
 * runner, so no namespace is touched.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, type CliIo } from '../../src/cli/main.js';
import { weftVersion } from '../../src/version.js';
import { startFakeDaemon, type FakeDaemon } from '../helpers/fake-network-api.js';

let daemon: FakeDaemon;

beforeEach(async () => {
  daemon = await startFakeDaemon('7.7.7');
});

afterEach(async () => {
  await daemon.stop();
});

async function weft(argv: string[], extra: Partial<CliIo> = {}) {
  const run = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: { write: (s: string) => (run.stdout += s) },
    stderr: { write: (s: string) => (run.stderr += s) },
    env: {},
    isTTY: false,
    ...extra,
  };
  const code = await main(['-H', daemon.target, ...argv], io);
  return { code, ...run };
}

describe('sandbox create', () => {
  it('prints the id and sends every flag, repeated ones accumulated', async () => {
    await daemon.api.createNetwork({ name: 'n1', subnets: ['10.4.0.0/24'] });
    await daemon.api.createNetwork({ name: 'n2' });
    const spy = vi.spyOn(daemon.api, 'createSandbox');
    const r = await weft([
      'sandbox', 'create', '--network', 'n1', '--network=n2', '--ip', '10.4.0.5', '--ip6', 'fd00::5',
      '--alias', 'a', '--alias', 'b', '-p', '8080:80', '--publish', '127.0.0.1:53:53/udp', '--dns', '1.1.1.1',
      '--dns', '9.9.9.9', '--dns-search', 'example.org', '--dns-option', 'ndots:1', '--dns-option', 'timeout:2',
      '--hostname', 'box', 'web',
    ]);
    expect(r).toEqual({ code: 0, stdout: `${(await daemon.api.inspectSandbox('web')).Id}\n`, stderr: '' });
    expect(spy).toHaveBeenCalledWith({
      name: 'web',
      networks: ['n1', 'n2'],
      ipv4: '10.4.0.5',
      ipv6: 'fd00::5',
      aliases: ['a', 'b'],
      publish: ['8080:80', '127.0.0.1:53:53/udp'],
      dns: ['1.1.1.1', '9.9.9.9'],
      dnsSearch: ['example.org'],
      dnsOptions: ['ndots:1', 'timeout:2'],
      hostname: 'box',
    });
  });

  it('daemon errors: exists and port conflict exit 1, a bad port spec exits 2', async () => {
    await weft(['sandbox', 'create', '-p', '8080:80', 'a']);
    expect(await weft(['sandbox', 'create', 'a'])).toEqual({ code: 1, stdout: '', stderr: 'Error: sandbox with name a already exists\n' });
    expect(await weft(['sandbox', 'create', '-p', '8080:80', 'b'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Bind for 0.0.0.0:8080 failed: port is already allocated\n',
    });
    expect(await weft(['sandbox', 'create', '-p', 'http', 'c'])).toEqual({ code: 2, stdout: '', stderr: 'Error: invalid port specification "http"\n' });
  });
});

describe('sandbox ls', () => {
  beforeEach(async () => {
    await daemon.api.createNetwork({ name: 'n' });
    await daemon.api.createSandbox({ name: 'zeta' });
    await daemon.api.createSandbox({ name: 'alpha', networks: ['n', 'bridge'], publish: ['8080:80', '127.0.0.1:5353:53/udp'] });
  });

  it('prints a table sorted by name', async () => {
    const id = async (name: string) => (await daemon.api.inspectSandbox(name)).Id.slice(0, 12);
    const r = await weft(['sandbox', 'ls']);
    expect(r.stdout).toBe(
      [
        'SANDBOX ID     NAME      NETWORKS   PORTS',
        `${await id('alpha')}   alpha     n,bridge   0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp`,
        `${await id('zeta')}   zeta                 `,
        '',
      ].join('\n'),
    );
  });

  it('-q and --format json', async () => {
    const alpha = await daemon.api.inspectSandbox('alpha');
    const zeta = await daemon.api.inspectSandbox('zeta');
    expect((await weft(['sandbox', 'ls', '-q'])).stdout).toBe(`${alpha.Id.slice(0, 12)}\n${zeta.Id.slice(0, 12)}\n`);
    const lines = (await weft(['sandbox', 'ls', '--format', 'json'])).stdout.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { ID: alpha.Id.slice(0, 12), Name: 'alpha', Networks: 'n,bridge', Ports: '0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp' },
      { ID: zeta.Id.slice(0, 12), Name: 'zeta', Networks: '', Ports: '' },
    ]);
  });
});

describe('sandbox inspect', () => {
  it('prints a JSON array (indent 4) with docker-style field names', async () => {
    await daemon.api.createNetwork({ name: 'n', subnets: ['10.6.0.0/24'] });
    await daemon.api.createSandbox({ name: 's', networks: ['n'], aliases: ['web'] });
    const r = await weft(['sandbox', 'inspect', 's']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify([await daemon.api.inspectSandbox('s')], null, 4)}\n`);
    const [sbx] = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>[];
    expect(Object.keys(sbx ?? {})).toEqual(['Name', 'Id', 'Created', 'SandboxKey', 'Hostname', 'Dns', 'DnsSearch', 'Ports', 'Networks']);
    expect(Object.keys(sbx?.Networks?.n ?? {})).toEqual([
      'NetworkID', 'NetworkName', 'EndpointID', 'Interface', 'MacAddress', 'IPAddress', 'IPPrefixLen', 'Gateway',
      'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'IPv6Gateway', 'Aliases',
    ]);
  });

  it('reports each missing sandbox, exit 1', async () => {
    await daemon.api.createSandbox({ name: 's' });
    const r = await weft(['sandbox', 'inspect', 'nope', 's']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { Name: string }[]).map((s) => s.Name)).toEqual(['s']);
    expect(r.stderr).toBe('Error: no such sandbox: nope\n');
  });
});

describe('sandbox rm', () => {
  it('removes each, reports failures, passes -f', async () => {
    await daemon.api.createSandbox({ name: 'a' });
    await daemon.api.createSandbox({ name: 'b' });
    const spy = vi.spyOn(daemon.api, 'removeSandbox');
    expect(await weft(['sandbox', 'rm', 'a', 'nope', 'b'])).toEqual({ code: 1, stdout: 'a\nb\n', stderr: 'Error: no such sandbox: nope\n' });
    expect(spy).toHaveBeenCalledWith('a', false);
    await daemon.api.createSandbox({ name: 'c' });
    expect(await weft(['sandbox', 'rm', '-f', 'c'])).toEqual({ code: 0, stdout: 'c\n', stderr: '' });
    expect(spy).toHaveBeenLastCalledWith('c', true);
  });
});

describe('sandbox exec', () => {
  it('runs ip netns exec in the sandbox namespace and exits with the command\'s code', async () => {
    await daemon.api.createSandbox({ name: 'box' });
    const run = vi.fn(async () => 3);
    const r = await weft(['sandbox', 'exec', 'box', '--', 'ip', '-br', 'addr', '--help'], { run });
    expect(r).toEqual({ code: 3, stdout: '', stderr: '' });
    expect(run).toHaveBeenCalledWith('ip', ['netns', 'exec', 'weft-box', 'ip', '-br', 'addr', '--help']);
  });

  it('takes the command without -- too', async () => {
    await daemon.api.createSandbox({ name: 'box' });
    const run = vi.fn(async () => 0);
    expect((await weft(['sandbox', 'exec', 'box', 'ping', '-c1', '10.0.0.1'], { run })).code).toBe(0);
    expect(run).toHaveBeenCalledWith('ip', ['netns', 'exec', 'weft-box', 'ping', '-c1', '10.0.0.1']);
  });

  it('without a command is bad usage; an unknown sandbox runs nothing', async () => {
    const run = vi.fn(async () => 0);
    const noCommand = await weft(['sandbox', 'exec', 'box', '--'], { run });
    expect(noCommand).toEqual({
      code: 2,
      stdout: '',
      stderr: `Error: "weft sandbox exec" requires a command to run (see 'weft sandbox exec --help')\n`,
    });
    expect(daemon.api.calls).toEqual([]);
    expect(await weft(['sandbox', 'exec', 'nope', 'true'], { run })).toEqual({ code: 1, stdout: '', stderr: 'Error: no such sandbox: nope\n' });
    expect(run).not.toHaveBeenCalled();
  });
});

describe('sandbox usage and help', () => {
  it.each([['create'], ['ls'], ['inspect'], ['rm'], ['exec']])('sandbox %s --help', async (cmd) => {
    const r = await weft(['sandbox', cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^\\nUsage:  weft sandbox ${cmd} `));
  });

  it.each([
    [['sandbox', 'create'], `Error: "weft sandbox create" requires exactly 1 argument (see 'weft sandbox create --help')`],
    [['sandbox', 'create', '--net', 'x', 's'], "Error: unknown flag: --net (see 'weft sandbox create --help')"],
    [['sandbox', 'rm'], `Error: "weft sandbox rm" requires at least 1 argument (see 'weft sandbox rm --help')`],
    [['sandbox', 'ls', 'x'], `Error: "weft sandbox ls" accepts no arguments (see 'weft sandbox ls --help')`],
  ])('%j is bad usage', async (argv, line) => {
    expect(await weft(argv)).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
    expect(daemon.api.calls).toEqual([]);
  });
});

describe('version', () => {
  it('prints the client and the daemon version', async () => {
    expect(await weft(['version'])).toEqual({
      code: 0,
      stdout: `Client:\n Version:  ${weftVersion()}\n\nServer:\n Version:  7.7.7\n`,
      stderr: '',
    });
  });

  it('prints the client part and one error line when no daemon answers', async () => {
    const out = { stdout: '', stderr: '' };
    const io: CliIo = {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
      env: { WEFT_HOST: `unix://${daemon.socketPath}.gone` },
      isTTY: false,
    };
    expect(await main(['version'], io)).toBe(1);
    expect(out.stdout).toBe(`Client:\n Version:  ${weftVersion()}\n`);
    expect(out.stderr).toBe(`Error: cannot connect to the weft daemon at unix://${daemon.socketPath}.gone: is weftd running?\n`);
  });

  it('--version prints the client version only', async () => {
    expect(await weft(['--version'])).toEqual({ code: 0, stdout: `weft version ${weftVersion()}\n`, stderr: '' });
  });
});
