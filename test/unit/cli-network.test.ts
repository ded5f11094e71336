/**
 * `weft network ...` run in-process (main with captured io) against a real
 * gRPC server over the fake controller: output formats, flag accumulation,
 * exit codes, one-line errors, and that bad usage sends nothing.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, type CliIo } from '../../src/cli/main.js';
import { WeftError } from '../../src/errors/index.js';
import { startFakeDaemon, type FakeDaemon } from '../helpers/fake-network-api.js';

let daemon: FakeDaemon;

beforeEach(async () => {
  daemon = await startFakeDaemon();
});

afterEach(async () => {
  await daemon.stop();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function weft(argv: string[], extra: Partial<CliIo> = {}): Promise<Run> {
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

describe('network create', () => {
  it('prints the new id and sends every flag, repeated ones accumulated', async () => {
    const spy = vi.spyOn(daemon.api, 'createNetwork');
    const r = await weft([
      'network', 'create', '-d', 'bridge', '--subnet', '10.1.0.0/24', '--subnet=10.2.0.0/24', '--gateway', '10.1.0.1',
      '--ip-range', '10.1.0.128/25', '--aux-address', 'r1=10.1.0.2', '--aux-address', 'r2=10.1.0.3', '--ipam-driver', 'default',
      '--ipam-opt', 'a=b', '-o', 'mtu=1400', '--opt', 'x=y', '--internal', '--attachable', '--ipv6',
      '--label', 'tier=web', '--label', 'bare', 'front',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const id = (await daemon.api.inspectNetwork('front')).Id;
    expect(r.stdout).toBe(`${id}\n`);
    expect(spy).toHaveBeenCalledWith({
      name: 'front',
      driver: 'bridge',
      subnets: ['10.1.0.0/24', '10.2.0.0/24'],
      gateways: ['10.1.0.1'],
      ipRanges: ['10.1.0.128/25'],
      auxAddresses: { r1: '10.1.0.2', r2: '10.1.0.3' },
      ipamDriver: 'default',
      ipamOptions: { a: 'b' },
      options: { mtu: '1400', x: 'y' },
      labels: { tier: 'web', bare: '' },
      internal: true,
      attachable: true,
      ipv6: true,
    });
  });

  it('reports a daemon error in one line without the code, exit 1', async () => {
    await weft(['network', 'create', 'dup']);
    const r = await weft(['network', 'create', 'dup']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Error: network with name dup already exists\n' });
  });

  it('a BadRequest from the daemon exits 2', async () => {
    daemon.api.failNext('inspectNetwork', new WeftError('WEFT_NETWORK_AMBIGUOUS', 'BadRequest', 'network a is ambiguous'));
    expect(await weft(['network', 'inspect', 'a', 'bridge'])).toMatchObject({ code: 2, stderr: 'Error: network a is ambiguous\n' });
    daemon.api.failNext('createNetwork', new WeftError('WEFT_BAD_CIDR', 'BadRequest', 'invalid subnet 10.0.0.0/99'));
    expect(await weft(['network', 'create', '--subnet', '10.0.0.0/99', 'n'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: invalid subnet 10.0.0.0/99\n',
    });
  });
});

describe('network ls', () => {
  it('prints docker\'s table sorted by name, ids cut to 12', async () => {
    await weft(['network', 'create', '--driver', 'macvlan', 'a-rather-long-name']);
    const nets = await daemon.api.listNetworks();
    const id = (name: string) => (nets.find((n) => n.Name === name)?.Id ?? '').slice(0, 12);
    const r = await weft(['network', 'ls']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'NETWORK ID     NAME                 DRIVER    SCOPE',
        `${id('a-rather-long-name')}   a-rather-long-name   macvlan   local`,
        `${id('bridge')}   bridge               bridge    local`,
        `${id('host')}   host                 host      local`,
        `${id('none')}   none                 null      local`,
        '',
      ].join('\n'),
    );
  });

  it('-q prints short ids only, --no-trunc full ones', async () => {
    const nets = await daemon.api.listNetworks();
    const sorted = nets.map((n) => n.Id);
    expect((await weft(['network', 'ls', '-q'])).stdout).toBe(sorted.map((i) => `${i.slice(0, 12)}\n`).join(''));
    expect((await weft(['network', 'ls', '-q', '--no-trunc'])).stdout).toBe(sorted.map((i) => `${i}\n`).join(''));
  });

  it('--filter accumulates per key and filters', async () => {
    await weft(['network', 'create', '--label', 'env=prod', 'p']);
    await weft(['network', 'create', '--label', 'env=dev', 'd']);
    const spy = vi.spyOn(daemon.api, 'listNetworks');
    const r = await weft(['network', 'ls', '-q', '--filter', 'driver=bridge', '--filter', 'driver=nat', '--filter', 'label=env=prod']);
    expect(spy).toHaveBeenCalledWith({ driver: ['bridge', 'nat'], label: ['env=prod'] });
    expect(r.stdout).toBe(`${(await daemon.api.inspectNetwork('p')).Id.slice(0, 12)}\n`);
    const byName = await weft(['network', 'ls', '--filter', 'name=o', '--format', 'json']);
    expect(byName.stdout.trim().split('\n').map((l) => JSON.parse(l).Name)).toEqual(['host', 'none']);
  });

  it('--format json prints one docker-shaped object per line', async () => {
    await weft(['network', 'create', '--internal', '--label', 'a=1', '--label', 'b=2', 'j']);
    const r = await weft(['network', 'ls', '--format', 'json', '--filter', 'name=j']);
    const net = await daemon.api.inspectNetwork('j');
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual({
      CreatedAt: net.Created.replace('T', ' ').replace(/\.?0*Z$/, ' +0000 UTC'),
      Driver: 'bridge',
      ID: net.Id.slice(0, 12),
      IPv6: 'false',
      Internal: 'true',
      Labels: 'a=1,b=2',
      Name: 'j',
      Scope: 'local',
    });
  });
});

describe('network inspect', () => {
  it('prints a JSON array indented by 4 with docker\'s field names and order', async () => {
    await weft(['network', 'create', '--subnet', '10.7.0.0/24', 'i']);
    const r = await weft(['network', 'inspect', 'i']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify([await daemon.api.inspectNetwork('i')], null, 4)}\n`);
    expect(r.stdout.startsWith('[\n    {\n        "Name": "i",\n        "Id": "')).toBe(true);
    const [net] = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Object.keys(net ?? {})).toEqual([
      'Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable',
      'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels',
    ]);
    expect(net?.IPAM).toEqual({ Driver: 'default', Options: {}, Config: [{ Subnet: '10.7.0.0/24', Gateway: '10.7.0.1' }] });
  });

  it('with several names prints the found ones and one error line per missing one, exit 1', async () => {
    const r = await weft(['network', 'inspect', 'bridge', 'nope', 'host', 'gone']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { Name: string }[]).map((n) => n.Name)).toEqual(['bridge', 'host']);
    expect(r.stderr).toBe('Error: network nope not found\nError: network gone not found\n');
  });

  it('prints [] when nothing was found', async () => {
    expect(await weft(['network', 'inspect', 'nope'])).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: network nope not found\n' });
  });
});

describe('network rm', () => {
  it('removes each name, reports each failure, exit 1 if any failed', async () => {
    await weft(['network', 'create', 'a']);
    await weft(['network', 'create', 'b']);
    const r = await weft(['network', 'rm', 'a', 'bridge', 'nope', 'b']);
    expect(r).toEqual({
      code: 1,
      stdout: 'a\nb\n',
      stderr: 'Error: bridge is a pre-defined network and cannot be removed\nError: network nope not found\n',
    });
    expect((await daemon.api.listNetworks()).map((n) => n.Name)).toEqual(['bridge', 'host', 'none']);
    await weft(['network', 'create', 'c']);
    expect(await weft(['network', 'remove', 'c'])).toEqual({ code: 0, stdout: 'c\n', stderr: '' });
  });
});

describe('network prune', () => {
  beforeEach(async () => {
    await weft(['network', 'create', 'unused1']);
    await weft(['network', 'create', 'unused2']);
  });

  it('-f prunes without asking', async () => {
    expect(await weft(['network', 'prune', '-f'])).toEqual({ code: 0, stdout: 'Deleted Networks:\nunused1\nunused2\n', stderr: '' });
    expect(await weft(['network', 'prune', '--force'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('refuses without a terminal and without -f, sending nothing', async () => {
    daemon.api.calls.length = 0;
    const r = await weft(['network', 'prune'], { stdin: Readable.from(['y\n']) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: stdin is not a terminal: pass -f\/--force to prune without confirmation.*\n$/);
    expect(daemon.api.calls).toEqual([]);
  });

  it('asks on a terminal and prunes on yes', async () => {
    const r = await weft(['network', 'prune'], { isTTY: true, stdin: Readable.from(['y\n']) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'WARNING! This will remove all custom networks without endpoints.\nAre you sure you want to continue? [y/N] ' +
        'Deleted Networks:\nunused1\nunused2\n',
    );
  });

  it.each([['n\n'], ['\n'], ['']])('does nothing on the answer %j', async (answer) => {
    daemon.api.calls.length = 0;
    const r = await weft(['network', 'prune'], { isTTY: true, stdin: Readable.from(answer ? [answer] : []) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[y\/N\] $/);
    expect(daemon.api.calls).toEqual([]);
  });
});

describe('network connect / disconnect', () => {
  it('connects with --ip, --ip6 and accumulated --alias; disconnect passes -f', async () => {
    await weft(['network', 'create', '--subnet', '10.3.0.0/24', 'n']);
    await weft(['sandbox', 'create', 's']);
    const connect = vi.spyOn(daemon.api, 'connect');
    const r = await weft(['network', 'connect', '--ip', '10.3.0.9', '--ip6', 'fd00::9', '--alias', 'a', '--alias', 'b', 'n', 's']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(connect).toHaveBeenCalledWith({ network: 'n', sandbox: 's', ipv4: '10.3.0.9', ipv6: 'fd00::9', aliases: ['a', 'b'] });
    expect(await weft(['network', 'connect', 'n', 's'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: sandbox s is already connected to network n\n',
    });

    const disconnect = vi.spyOn(daemon.api, 'disconnect');
    expect((await weft(['network', 'disconnect', 'n', 's'])).code).toBe(0);
    expect(disconnect).toHaveBeenLastCalledWith('n', 's', false);
    expect((await weft(['network', 'disconnect', 'n', 's'])).stderr).toBe('Error: sandbox s is not connected to network n\n');
    expect((await weft(['network', 'disconnect', '-f', 'n', 's'])).code).toBe(0);
    expect(disconnect).toHaveBeenLastCalledWith('n', 's', true);
  });
});

describe('bad usage: exit 2, one line, nothing sent', () => {
  const cases: [string[], string][] = [
    [['network', 'create', '--bogus', 'x'], "Error: unknown flag: --bogus (see 'weft network create --help')"],
    [['network', 'create'], `Error: "weft network create" requires exactly 1 argument (see 'weft network create --help')`],
    [['network', 'create', 'a', 'b'], `Error: "weft network create" requires exactly 1 argument (see 'weft network create --help')`],
    [['network', 'create', '-o', 'novalue', 'x'], `Error: invalid value "novalue" for --opt: expected KEY=VALUE (see 'weft network create --help')`],
    [['network', 'create', '--aux-address', '=1.2.3.4', 'x'], `Error: invalid value "=1.2.3.4" for --aux-address: expected KEY=VALUE (see 'weft network create --help')`],
    [['network', 'create', 'x', '--subnet'], "Error: flag needs an argument: --subnet (see 'weft network create --help')"],
    [['network', 'ls', '--filter', 'color=red'], `Error: invalid filter "color=red": expected driver=, name=, label= or id= with a value (see 'weft network ls --help')`],
    [['network', 'ls', '--format', '{{.Name}}'], `Error: unsupported --format "{{.Name}}": use table or json (see 'weft network ls --help')`],
    [['network', 'inspect'], `Error: "weft network inspect" requires at least 1 argument (see 'weft network inspect --help')`],
    [['network', 'rm'], `Error: "weft network rm" requires at least 1 argument (see 'weft network rm --help')`],
    [['network', 'connect', 'n'], `Error: "weft network connect" requires exactly 2 arguments (see 'weft network connect --help')`],
    [['network', 'prune', 'extra'], `Error: "weft network prune" accepts no arguments (see 'weft network prune --help')`],
    [['network', 'frobnicate'], `Error: unknown command "frobnicate" for "weft network" (see 'weft network --help')`],
    [['frobnicate'], `Error: unknown command "frobnicate" for "weft" (see 'weft --help')`],
    [['--bogus', 'network', 'ls'], "Error: unknown flag: --bogus (see 'weft --help')"],
  ];

  it.each(cases)('%j', async (argv, line) => {
    const r = await weft(argv);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
    expect(daemon.api.calls).toEqual([]);
  });

  it('a bad -H is bad usage too', async () => {
    const r = await weft(['-H', 'tcp://127.0.0.1:2375', 'network', 'ls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`Error: invalid daemon address "tcp://127.0.0.1:2375": expected unix:///absolute/path/to/weft.sock (see 'weft --help')\n`);
  });
});

describe('help', () => {
  it.each([['create'], ['ls'], ['inspect'], ['rm'], ['prune'], ['connect'], ['disconnect']])('network %s --help', async (cmd) => {
    const r = await weft(['network', cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^\\nUsage:  weft network ${cmd} `));
    expect(r.stdout).toContain('-h, --help');
    expect(daemon.api.calls).toEqual([]);
  });

  it('weft, weft --help and weft network list the commands', async () => {
    for (const argv of [[], ['--help'], ['network'], ['network', '-h']]) {
      const r = await weft(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("for more information on a command.");
    }
    expect((await weft(['network'])).stdout).toContain('  prune         Remove all networks without endpoints');
  });
});

describe('daemon address', () => {
  it('an unreachable daemon is one line, exit 1', async () => {
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, env: {}, isTTY: false };
    let err = '';
    const missing = `${daemon.socketPath}.missing`;
    expect(await main(['-H', `unix://${missing}`, 'network', 'ls'], io)).toBe(1);
    expect(err).toBe(`Error: cannot connect to the weft daemon at unix://${missing}: is weftd running?\n`);
  });

  it('WEFT_HOST is used when -H is absent, -H wins over it, and a bare path is accepted', async () => {
    const out = { s: '' };
    const io = (env: Record<string, string>) => ({ stdout: { write: (s: string) => (out.s += s) }, stderr: { write: () => true }, env, isTTY: false });
    expect(await main(['network', 'ls', '-q'], io({ WEFT_HOST: daemon.target }))).toBe(0);
    expect(out.s.split('\n')).toHaveLength(4);
    expect(await main(['-H', daemon.target, 'network', 'ls', '-q'], io({ WEFT_HOST: 'unix:///nonexistent.sock' }))).toBe(0);
    expect(await main(['-H', daemon.socketPath, 'network', 'ls', '-q'], io({}))).toBe(0);
  });
});
