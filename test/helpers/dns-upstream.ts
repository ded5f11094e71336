/**
 * An upstream DNS server run by the test itself: dns2 on UDP and TCP sockets
 * opened inside a test namespace by the kernel layer. It answers from a fixed
 * table (NXDOMAIN otherwise) and records every question with its transport,
 * so tests can tell what the resolver under test sent on.
 */
import dns2 from 'dns2';
import type net from 'node:net';
import type { Kernel } from '../../src/kernel/kernel.js';

const { Packet } = dns2;

export interface UpstreamQuestion {
  name: string;
  type: number;
  transport: 'udp' | 'tcp';
}

export interface TestUpstream {
  readonly questions: UpstreamQuestion[];
  /** Questions seen for `name` (case-insensitive). */
  asked(name: string): UpstreamQuestion[];
  close(): void;
}

/** name → A addresses; a name with many addresses gives an answer too big for UDP. */
export type UpstreamZone = Record<string, string[]>;

export function startUpstream(kernel: Kernel, netns: string, address: string, zone: UpstreamZone): TestUpstream {
  const questions: UpstreamQuestion[] = [];
  const handle = (request: InstanceType<typeof Packet>, send: (r: InstanceType<typeof Packet>) => unknown, client: unknown) => {
    const question = request.questions[0]!;
    const transport = client && typeof (client as net.Socket).write === 'function' ? 'tcp' : 'udp';
    questions.push({ name: question.name.toLowerCase(), type: question.type, transport });
    const response = Packet.createResponseFromRequest(request);
    response.header.ra = 1;
    const addresses = question.type === Packet.TYPE.A ? zone[question.name.toLowerCase()] : undefined;
    if (!zone[question.name.toLowerCase()]) response.header.rcode = Packet.RCODE.NXDOMAIN;
    for (const a of addresses ?? []) response.answers.push({ name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 300, address: a } as never);
    void send(response);
  };
  const udp = dns2.createUDPServer(handle as never);
  udp.bind({ fd: kernel.openSocket(netns, 4, 'udp', address, 53) });
  const tcp = dns2.createTCPServer(handle as never);
  tcp.listen({ fd: kernel.openSocket(netns, 4, 'tcp', address, 53) });
  return {
    questions,
    asked: (name) => questions.filter((q) => q.name === name.toLowerCase()),
    close() {
      udp.close();
      tcp.close();
    },
  };
}
