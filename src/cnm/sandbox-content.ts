/** The files of a sandbox (hosts, resolv.conf), derived from its record and endpoints. */
import type { ControllerContext } from './context.js';
import type { SandboxRecord } from './records.js';

/** nameservers a sandbox can reach: loopback resolvers of the host are not reachable from inside it. */
function reachable(nameservers: string[]): string[] {
  return nameservers.filter((ns) => !ns.startsWith('127.') && ns !== '::1');
}

export function refreshSandboxFiles(ctx: ControllerContext, sb: SandboxRecord): void {
  if (sb.hostNetwork) return;
  const host = ctx.files.hostResolv();
  const addresses = ctx.repo
    .endpointsOf({ sandboxId: sb.id })
    .flatMap((e) => [e.addressV4, e.addressV6])
    .filter((a): a is string => !!a)
    .map((a) => a.split('/')[0]!);
  try {
    ctx.files.write(sb.netns, {
      hostname: sb.hostname,
      addresses,
      nameservers: sb.dns.length > 0 ? sb.dns : reachable(host.nameservers),
      search: sb.dnsSearch.length > 0 ? sb.dnsSearch : host.search,
      options: sb.dnsOptions.length > 0 ? sb.dnsOptions : host.options,
    });
  } catch (err) {
    ctx.log.warn({ err, sandbox: sb.id }, 'cannot write sandbox files');
  }
}
