/**
 * What this kernel can do, found out by trying: every link kind is created
 * for real in a scratch namespace, nftables gets a table there, xfrm gets a
 * netlink socket there and ESP an AES-GCM state. Module lists and config
 * files lie (built-in vs. module, autoloading, containers); a try does not.
 * The scratch namespace is deleted afterwards, taking everything with it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createGenericNetlink, createNetlink, genl, Protocol } from 'netlink';
import type { KernelFeatures } from '../kernel.js';
import type { LinkSpec } from '../ops.js';
import type { NetnsAddon } from './addon.js';
import { bareLinkInfo, IFLA, strAttr, u32Attr } from './attrs.js';
import { errnoOf } from './errno.js';
import { addLink } from './links.js';
import type { KernelLogger } from './logger.js';
import type { NetnsRegistry } from './netns.js';
import type { Nft } from './nft.js';
import { CREATE_EXCL, type Rtnl, type RtnlPool } from './rtnl.js';

export interface ProbeDeps {
  addon: NetnsAddon;
  registry: NetnsRegistry;
  rtnl: RtnlPool;
  nft: Nft;
  logger?: KernelLogger;
  /** The `ip` binary, for the ESP probe (building XFRM_MSG_NEWSA by hand is not worth it). */
  ip?: string;
}

/** A 20-byte rfc4106 key (16 key + 4 salt) and the 128-bit ICV that overlay encryption uses. */
const ESP_GCM_PROBE = [
  'xfrm', 'state', 'add', 'src', '192.0.2.1', 'dst', '192.0.2.2', 'proto', 'esp', 'spi', '0x100',
  'mode', 'transport', 'aead', 'rfc4106(gcm(aes))', `0x${'11'.repeat(20)}`, '128',
];

export async function probeFeatures(deps: ProbeDeps): Promise<KernelFeatures> {
  const scratch = `weft-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  deps.registry.create(scratch);
  try {
    const rtnl = deps.rtnl.get(scratch);
    const links = await probeLinks(rtnl, deps.logger);
    const [nftables, esp, ipvs] = await Promise.all([
      succeeds('nftables', () => deps.nft.apply('add table inet weft_probe\n', scratch), deps.logger),
      succeeds('esp', () => run(deps.ip ?? 'ip', ['-n', scratch, ...ESP_GCM_PROBE]), deps.logger),
      genlFamilyExists('IPVS'),
    ]);
    const xfrm = xfrmSocketOpens(deps.addon, deps.registry.handle(scratch).fd);
    return { ...links, nftables, esp, ipvs, xfrm };
  } finally {
    deps.registry.delete(scratch);
  }
}

type LinkFeatures = Pick<KernelFeatures, 'veth' | 'bridge' | 'vxlan' | 'macvlan' | 'dummy' | 'vlan' | 'ipvlan' | 'wireguard'>;

async function probeLinks(rtnl: Rtnl, logger?: KernelLogger): Promise<LinkFeatures> {
  const tryLink = (spec: LinkSpec) => succeeds(spec.kind, () => addLink(rtnl, spec), logger);
  // The veth pair comes first: macvlan, vlan and ipvlan need an Ethernet parent.
  const veth = await tryLink({ name: 'probe0', kind: 'veth', veth: { name: 'probe1' } });
  const parent = veth ? await rtnl.indexOf('probe0') : undefined;
  const [bridge, vxlan, dummy, macvlan, vlan, ipvlan, wireguard] = await Promise.all([
    tryLink({ name: 'probebr', kind: 'bridge' }),
    tryLink({ name: 'probevx', kind: 'vxlan', vxlan: { vni: 4242 } }),
    tryLink({ name: 'probedu', kind: 'dummy' }),
    parent ? tryLink({ name: 'probemv', kind: 'macvlan', macvlan: { parent: 'probe0', mode: 'bridge' } }) : false,
    parent ? tryLink({ name: 'probevl', kind: 'vlan', vlan: { parent: 'probe0', id: 42 } }) : false,
    parent ? succeeds('ipvlan', () => rawLink(rtnl, 'probeiv', 'ipvlan', parent), logger) : false,
    succeeds('wireguard', () => rawLink(rtnl, 'probewg', 'wireguard'), logger),
  ]);
  return { veth, bridge, vxlan, dummy, macvlan, vlan, ipvlan, wireguard };
}

/** Kinds that LinkSpec does not model (weft only needs to know whether they exist). */
function rawLink(rtnl: Rtnl, name: string, kind: string, parent?: number): Promise<unknown> {
  const attrs = [strAttr(IFLA.IFNAME, name), bareLinkInfo(kind)];
  if (parent) attrs.push(u32Attr(IFLA.LINK, parent));
  return rtnl.newLink({}, attrs, CREATE_EXCL);
}

async function succeeds(feature: string, attempt: () => Promise<unknown>, logger?: KernelLogger): Promise<boolean> {
  try {
    await attempt();
    return true;
  } catch (err) {
    logger?.debug({ feature, errno: errnoOf(err), err: err instanceof Error ? err.message : String(err) }, 'kernel feature probe failed');
    return false;
  }
}

async function genlFamilyExists(name: string): Promise<boolean> {
  const sock = createGenericNetlink();
  sock.socket.on('error', () => undefined); // unhandled, it would abort the process from inside the addon
  try {
    const found = await sock.ctrlRequest(genl.Commands.GET_FAMILY, { familyName: name }, { flags: 0 });
    return found.length > 0;
  } catch {
    return false;
  } finally {
    sock.socket.close();
  }
}

/** NETLINK_XFRM exists only with xfrm_user; socket() says EPROTONOSUPPORT otherwise. */
function xfrmSocketOpens(addon: NetnsAddon, nsFd: number): boolean {
  try {
    const sock = addon.inNetns(nsFd, () => createNetlink(Protocol.XFRM));
    sock.on('error', () => undefined);
    sock.close();
    return true;
  } catch {
    return false;
  }
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, (err, _stdout, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve()));
  });
}
