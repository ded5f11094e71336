/**
 * Published ports: Docker's `-p` syntax, and host-port allocation without
 * conflicts. `[hostIP:]hostPort[-end]:containerPort[/proto]`, `hostIP::containerPort`
 * or `containerPort[/proto]` (random host port).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { WeftError } from '../errors/index.js';
import type { PortSpec, PublishedPort } from './records.js';

/** Docker's default ephemeral range for random host ports. */
export const EPHEMERAL_PORTS = { start: 49153, end: 60999 } as const;

export function parsePortSpec(text: string): PortSpec {
  const bad = (why: string) =>
    new WeftError('WEFT_BAD_PORT_SPEC', 'BadRequest', `invalid port specification "${text}": ${why}`);
  let rest = text.trim();
  let proto: PortSpec['proto'] = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw bad(`unknown protocol "${p}"`);
    proto = p;
    rest = rest.slice(0, slash);
  }
  let hostIp = '';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']:');
    if (close < 0) throw bad('unterminated IPv6 address');
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  } else {
    const parts = rest.split(':');
    if (parts.length > 3) throw bad('too many colons (write IPv6 host addresses in brackets)');
    if (parts.length === 3) {
      hostIp = parts[0]!;
      rest = `${parts[1]}:${parts[2]}`;
    }
  }
  if (hostIp !== '' && !isIPv4(hostIp) && !isIPv6(hostIp)) throw bad(`bad host address "${hostIp}"`);
  const parts = rest.split(':');
  if (parts.length > 2) throw bad('too many colons');
  const [hostPart, containerPart] = parts.length === 2 ? parts : ['', rest];
  const containerPort = parsePort(containerPart!, bad);
  if (containerPort === 0) throw bad('container port must be 1-65535');
  let hostPortStart = 0;
  let hostPortEnd = 0;
  if (hostPart !== '') {
    const [start, end] = hostPart!.split('-');
    hostPortStart = parsePort(start!, bad);
    hostPortEnd = end === undefined ? hostPortStart : parsePort(end, bad);
    if (hostPortStart === 0 || hostPortEnd < hostPortStart) throw bad('host port range must be 1-65535, start <= end');
  }
  return { proto, hostIp: hostIp === '0.0.0.0' ? '' : hostIp, hostPortStart, hostPortEnd, containerPort };
}

function parsePort(text: string, bad: (why: string) => WeftError): number {
  if (!/^\d{1,5}$/.test(text)) throw bad(`"${text}" is not a port number`);
  const n = Number(text);
  if (n > 65535) throw bad(`port ${n} is out of range`);
  return n;
}

/** Two bindings clash when protocol and port match and their host addresses overlap ('' is every address). */
function clashes(a: { proto: string; hostIp: string; hostPort: number }, b: { proto: string; hostIp: string; hostPort: number }) {
  return a.proto === b.proto && a.hostPort === b.hostPort && (a.hostIp === '' || b.hostIp === '' || a.hostIp === b.hostIp);
}

/**
 * Pick host ports for `specs`, avoiding `inUse` and each other. Throws
 * WEFT_PORT_CONFLICT naming the port when a fixed port is taken.
 */
export function allocatePorts(
  specs: readonly PortSpec[],
  inUse: readonly PublishedPort[],
  target: { networkId: string; containerIp: string },
): PublishedPort[] {
  const taken: { proto: string; hostIp: string; hostPort: number }[] = [...inUse];
  const out: PublishedPort[] = [];
  for (const spec of specs) {
    if (spec.hostIp !== '' && isIPv6(spec.hostIp) !== isIPv6(target.containerIp)) {
      throw new WeftError(
        'WEFT_BAD_PORT_SPEC',
        'BadRequest',
        `cannot publish ${spec.hostIp}:${spec.hostPortStart || ''}:${spec.containerPort}: host address and sandbox address ${target.containerIp} differ in family`,
      );
    }
    const [start, end] =
      spec.hostPortStart === 0 ? [EPHEMERAL_PORTS.start, EPHEMERAL_PORTS.end] : [spec.hostPortStart, spec.hostPortEnd];
    let chosen = 0;
    for (let port = start; port <= end && chosen === 0; port++) {
      if (!taken.some((t) => clashes(t, { proto: spec.proto, hostIp: spec.hostIp, hostPort: port }))) chosen = port;
    }
    if (chosen === 0) {
      const message =
        start === end
          ? `Bind for ${spec.hostIp || '0.0.0.0'}:${start}/${spec.proto} failed: port is already allocated`
          : `no free host port in range ${start}-${end}/${spec.proto}`;
      throw new WeftError('WEFT_PORT_CONFLICT', 'Conflict', message);
    }
    const binding = { proto: spec.proto, hostIp: spec.hostIp, hostPort: chosen, containerPort: spec.containerPort, ...target };
    taken.push(binding);
    out.push(binding);
  }
  return out;
}
