/**
 * What the fake kernel can do. The default mirrors the machine weft was
 * measured on (see ARCHITECTURE.md): no dummy, 802.1Q VLAN, ipvlan, IPVS,
 * ESP/GCM or WireGuard; everything else present.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { Feature, KernelFeatures } from '../kernel.js';

export const DEFAULT_FAKE_FEATURES: Readonly<KernelFeatures> = Object.freeze({
  veth: true,
  bridge: true,
  vxlan: true,
  macvlan: true,
  dummy: false,
  vlan: false,
  ipvlan: false,
  ipvs: false,
  esp: false,
  wireguard: false,
  nftables: true,
  xfrm: true,
});

const FEATURE_LABELS: Readonly<Record<Feature, string>> = {
  veth: 'veth pairs',
  bridge: 'Linux bridges',
  vxlan: 'VXLAN devices',
  macvlan: 'macvlan devices',
  dummy: 'dummy devices',
  vlan: '802.1Q VLAN devices',
  ipvlan: 'ipvlan devices',
  ipvs: 'IPVS',
  esp: 'ESP (IPsec) with AES-GCM',
  wireguard: 'WireGuard',
  nftables: 'nftables',
  xfrm: 'xfrm (IPsec policies and states)',
};

/** The WEFT_KERNEL_UNSUPPORTED error both `require()` and a link add of a missing kind raise. */
export function unsupported(feature: Feature, purpose: string, details: Record<string, unknown> = {}): WeftError {
  return new WeftError(
    ErrorCodes.KERNEL_UNSUPPORTED,
    'NotImplemented',
    `this kernel lacks ${FEATURE_LABELS[feature]} (${feature}), needed for ${purpose}`,
    { details: { feature, purpose, errno: 'EOPNOTSUPP', ...details } },
  );
}
