/**
 * The sysctls a fresh network namespace has, with the values this machine's
 * kernel gives a new namespace (read with `ip netns exec … sysctl`). Only
 * the keys networking code plausibly touches are modelled; any other key is
 * "No such file" (ENOENT), as it is for a key the kernel does not have.
 */

/** Namespace-wide keys. `net.ipv4.ip_forward` is an alias, see SYSCTL_ALIASES. */
const GLOBAL_DEFAULTS: Readonly<Record<string, string>> = {
  'net.core.somaxconn': '4096',
  'net.ipv4.ip_local_port_range': '32768\t60999',
  'net.ipv4.ip_nonlocal_bind': '0',
  'net.ipv4.ip_unprivileged_port_start': '1024',
  'net.ipv4.ip_default_ttl': '64',
  'net.ipv4.ping_group_range': '1\t0',
  'net.ipv4.ip_forward_use_pmtu': '0',
  'net.ipv4.fib_multipath_hash_policy': '0',
  'net.ipv6.ip_nonlocal_bind': '0',
  'net.ipv6.fib_multipath_hash_policy': '0',
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.bridge.bridge-nf-call-arptables': '1',
  'net.netfilter.nf_conntrack_tcp_be_liberal': '0',
};

/** Per-interface leaves of net.ipv4.conf.{all,default,DEV}. */
const IPV4_CONF_DEFAULTS: Readonly<Record<string, string>> = {
  forwarding: '0',
  rp_filter: '0',
  proxy_arp: '0',
  proxy_arp_pvlan: '0',
  route_localnet: '0',
  accept_local: '0',
  accept_redirects: '1',
  send_redirects: '1',
  secure_redirects: '1',
  arp_ignore: '0',
  arp_announce: '0',
  arp_filter: '0',
  arp_accept: '0',
  arp_notify: '0',
  promote_secondaries: '0',
  src_valid_mark: '0',
  disable_policy: '0',
  disable_xfrm: '0',
  log_martians: '0',
};

/** Per-interface leaves of net.ipv6.conf.{all,default,DEV}. */
const IPV6_CONF_DEFAULTS: Readonly<Record<string, string>> = {
  forwarding: '0',
  disable_ipv6: '0',
  accept_ra: '1',
  accept_dad: '1',
  autoconf: '1',
  proxy_ndp: '0',
  addr_gen_mode: '0',
  keep_addr_on_down: '0',
  accept_redirects: '1',
  hop_limit: '64',
  mtu: '1280',
  dad_transmits: '1',
};

export const CONF_DEFAULTS: Readonly<Record<'ipv4' | 'ipv6', Readonly<Record<string, string>>>> = {
  ipv4: IPV4_CONF_DEFAULTS,
  ipv6: IPV6_CONF_DEFAULTS,
};

/** Keys that are another name for one value (the kernel keeps one variable behind both). */
export const SYSCTL_ALIASES: Readonly<Record<string, string>> = {
  'net.ipv4.ip_forward': 'net.ipv4.conf.all.forwarding',
};

/** Every namespace-wide key with its default, including conf.all.* and conf.default.*. */
export function namespaceSysctlDefaults(): Map<string, string> {
  const values = new Map(Object.entries(GLOBAL_DEFAULTS));
  for (const proto of ['ipv4', 'ipv6'] as const) {
    for (const scope of ['all', 'default']) {
      for (const [leaf, value] of Object.entries(CONF_DEFAULTS[proto])) {
        values.set(`net.${proto}.conf.${scope}.${leaf}`, value);
      }
    }
  }
  return values;
}
