/** A DnsEngine with a fixed topology, a fake clock and a scripted upstream, for unit tests. */
import { DnsEngine, type Transport } from '../../src/dns/engine.js';
import type { StoreOp } from '../../src/dns/record-store.js';
import { ExchangeError, type Exchanger, type Upstream } from '../../src/dns/upstream-exchange.js';

export type UpstreamScript = (upstream: Upstream, packet: Buffer, transport: Transport) => Buffer | 'timeout' | Promise<Buffer | 'timeout'>;

/** Records every exchange and answers from a script. */
export class ScriptedUpstreams implements Exchanger {
  readonly calls: { upstream: string; transport: Transport; packet: Buffer }[] = [];
  constructor(public script: UpstreamScript = () => 'timeout') {}

  udp(upstream: Upstream, packet: Buffer): Promise<Buffer> {
    return this.run(upstream, packet, 'udp');
  }

  tcp(upstream: Upstream, packet: Buffer): Promise<Buffer> {
    return this.run(upstream, packet, 'tcp');
  }

  private async run(upstream: Upstream, packet: Buffer, transport: Transport): Promise<Buffer> {
    this.calls.push({ upstream: upstream.address, transport, packet: Buffer.from(packet) });
    const out = await this.script(upstream, packet, transport);
    if (out === 'timeout') throw new ExchangeError('timeout', `${upstream.address} timed out`);
    return out;
  }
}

export interface TestEngine {
  engine: DnsEngine;
  upstreams: ScriptedUpstreams;
  clock: { now: number };
  host: { servers: string[] };
  /** Sends a query as sandbox `sandboxId` and resolves with the reply (undefined if dropped). */
  ask(sandboxId: string, query: Buffer, transport?: Transport): Promise<Buffer | undefined>;
  apply(...ops: StoreOp[]): void;
}

export function testEngine(options: { maxInFlight?: number } = {}): TestEngine {
  const upstreams = new ScriptedUpstreams();
  const clock = { now: 1_000_000 };
  const host = { servers: ['192.0.2.53'] };
  const engine = new DnsEngine({
    hostResolvers: { nameservers: () => host.servers },
    log: { debug: () => undefined, warn: () => undefined },
    exchanger: upstreams,
    nowMs: () => clock.now,
    maxInFlight: options.maxInFlight,
  });
  return {
    engine,
    upstreams,
    clock,
    host,
    apply: (...ops) => ops.forEach((op) => engine.apply(op)),
    ask(sandboxId, query, transport = 'udp') {
      return new Promise((resolve) => {
        let answered = false;
        engine.handle(engine.context(sandboxId), query, transport, (r) => {
          answered = true;
          resolve(r);
        });
        setTimeout(() => answered || resolve(undefined), 50);
      });
    },
  };
}

/**
 * front 10.5.0.0/24 + fd00:5::/64, back 10.6.0.0/24, int (internal) 10.7.0.0/24, none;
 * web on front; api on front (alias cache) and back; db on back (alias cache); iso on int; lone on none.
 */
export function topology(): StoreOp[] {
  const net = (id: string, subnets: string[], forwarding = true): StoreOp => ({ kind: 'network', put: { id, name: id, forwarding, subnets } });
  const sb = (id: string, upstreams: string[] = []): StoreOp => ({ kind: 'sandbox', put: { id, name: id, netns: id, upstreams } });
  const ep = (id: string, networkId: string, sandboxId: string, names: string[], v4?: string, v6?: string): StoreOp => ({
    kind: 'endpoint',
    put: { id, networkId, sandboxId, names, v4, v6 },
  });
  return [
    net('front', ['10.5.0.0/24', 'fd00:5::/64']),
    net('back', ['10.6.0.0/24']),
    net('int', ['10.7.0.0/24'], false),
    net('none', [], false),
    sb('web'),
    sb('api', ['198.51.100.1', '198.51.100.2']),
    sb('db'),
    sb('iso'),
    sb('lone'),
    ep('e-web', 'front', 'web', ['web', 'www'], '10.5.0.2', 'fd00:5::2'),
    ep('e-api1', 'front', 'api', ['api', 'cache'], '10.5.0.3'),
    ep('e-api2', 'back', 'api', ['api'], '10.6.0.3'),
    ep('e-db', 'back', 'db', ['db', 'cache'], '10.6.0.4'),
    ep('e-iso', 'int', 'iso', ['iso'], '10.7.0.2'),
    ep('e-lone', 'none', 'lone', ['lone']),
  ];
}
