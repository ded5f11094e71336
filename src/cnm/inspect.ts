/** Records rendered in Docker's inspect shapes. */
import type { NetworkInspect, PortBinding, SandboxEndpointInspect, SandboxInspect } from './api-types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './records.js';
import type { Repository } from './repository.js';

export function inspectNetwork(repo: Repository, net: NetworkRecord): NetworkInspect {
  const containers: NetworkInspect['Containers'] = {};
  for (const ep of repo.endpointsOf({ networkId: net.id })) {
    const sandbox = repo.sandboxes.get(ep.sandboxId);
    // Engine endpoints have no weft sandbox (the container is the engine's): keyed by endpoint id.
    containers[ep.sandboxId || ep.id] = {
      Name: sandbox?.name ?? '',
      EndpointID: ep.id,
      MacAddress: ep.mac ?? '',
      IPv4Address: ep.addressV4 ?? '',
      IPv6Address: ep.addressV6 ?? '',
    };
  }
  return {
    Name: net.name,
    Id: net.id,
    Created: net.created,
    Scope: net.scope,
    Driver: net.driver,
    EnableIPv6: net.ipv6,
    IPAM: {
      Driver: net.ipamDriver,
      Options: net.ipamOptions,
      Config: [...net.v4, ...net.v6].map((s) => ({
        Subnet: s.subnet,
        ...(s.ipRange ? { IPRange: s.ipRange } : {}),
        ...(s.gateway ? { Gateway: s.gateway.split('/')[0] } : {}),
        ...(Object.keys(s.auxAddresses).length > 0 ? { AuxiliaryAddresses: s.auxAddresses } : {}),
      })),
    },
    Internal: net.internal,
    Attachable: net.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: net.options,
    Labels: net.labels,
  };
}

export function inspectSandbox(repo: Repository, sandbox: SandboxRecord): SandboxInspect {
  const networks: Record<string, SandboxEndpointInspect> = {};
  for (const ep of repo.endpointsOf({ sandboxId: sandbox.id })) {
    const net = repo.networks.get(ep.networkId);
    if (net) networks[net.name] = endpointInspect(net, ep);
  }
  const ports: Record<string, PortBinding[]> = {};
  for (const spec of sandbox.publish) ports[`${spec.containerPort}/${spec.proto}`] ??= [];
  for (const p of sandbox.ports) {
    (ports[`${p.containerPort}/${p.proto}`] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
  }
  return {
    Name: sandbox.name,
    Id: sandbox.id,
    Created: sandbox.created,
    SandboxKey: `/run/netns/${sandbox.netns}`,
    Hostname: sandbox.hostname,
    Dns: sandbox.dns,
    DnsSearch: sandbox.dnsSearch,
    Ports: ports,
    Networks: networks,
  };
}

function endpointInspect(net: NetworkRecord, ep: EndpointRecord): SandboxEndpointInspect {
  const [ip4, len4] = split(ep.addressV4);
  const [ip6, len6] = split(ep.addressV6);
  return {
    NetworkID: net.id,
    NetworkName: net.name,
    EndpointID: ep.id,
    Interface: ep.ifname,
    MacAddress: ep.mac ?? '',
    IPAddress: ip4,
    IPPrefixLen: len4,
    Gateway: net.v4.find((s) => s.gateway && ep.poolV4 === s.poolId)?.gateway?.split('/')[0] ?? '',
    GlobalIPv6Address: ip6,
    GlobalIPv6PrefixLen: len6,
    IPv6Gateway: net.v6.find((s) => s.gateway && ep.poolV6 === s.poolId)?.gateway?.split('/')[0] ?? '',
    Aliases: ep.aliases,
  };
}

function split(cidr: string | undefined): [string, number] {
  if (!cidr) return ['', 0];
  const [ip, len] = cidr.split('/');
  return [ip!, Number(len)];
}
