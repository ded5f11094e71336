/**
 * sysctl reads and writes, per namespace. Per-device keys
 * (net.ipv4.conf.DEV.*) live on the link and vanish with it; writing
 * conf.all.forwarding (or its alias net.ipv4.ip_forward) also sets
 * conf.default and every device, as the kernel's forward-change handler does.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import { errno } from './errno.js';
import type { FakeNamespace } from './model.js';
import { CONF_DEFAULTS, SYSCTL_ALIASES } from './sysctl-defaults.js';

const CONF_KEY = /^net\.(ipv4|ipv6)\.conf\.(.+)\.([^.]+)$/;
const INTEGERS = /^-?\d+(\t-?\d+)*$/;

interface Slot {
  store: Map<string, string>;
  name: string;
}

/**
 * 'net/ipv4/ip_forward' and 'net.ipv4.ip_forward' name the same key; aliases
 * resolve to the real one. Only net.* keys are per namespace; like the Linux
 * implementation, anything else is refused rather than read or written.
 */
export function canonicalSysctlKey(key: string): string {
  const dotted = key.trim().replaceAll('/', '.');
  if (!dotted.startsWith('net.')) {
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'BadRequest', `invalid sysctl key ${JSON.stringify(key)}: only keys under net/ are allowed`, {
      details: { key },
    });
  }
  return SYSCTL_ALIASES[dotted] ?? dotted;
}

function slotOf(ns: FakeNamespace, key: string): Slot | undefined {
  const conf = CONF_KEY.exec(key);
  if (conf) {
    const [, proto, dev, leaf] = conf as unknown as [string, 'ipv4' | 'ipv6', string, string];
    if (CONF_DEFAULTS[proto][leaf] === undefined) return undefined;
    if (dev === 'all' || dev === 'default') return { store: ns.sysctls, name: key };
    const link = ns.links.get(dev);
    return link && { store: link.sysctls, name: `${proto}.${leaf}` };
  }
  return ns.sysctls.has(key) ? { store: ns.sysctls, name: key } : undefined;
}

/** The value, or undefined when the key does not exist in this namespace. */
export function readSysctl(ns: FakeNamespace, key: string): string | undefined {
  const slot = slotOf(ns, canonicalSysctlKey(key));
  return slot?.store.get(slot.name);
}

export interface SysctlWrite {
  changed: boolean;
  prev: string;
}

export function writeSysctl(ns: FakeNamespace, key: string, value: string): SysctlWrite {
  const canonical = canonicalSysctlKey(key);
  const slot = slotOf(ns, canonical);
  if (!slot) throw errno('ENOENT', `no sysctl ${key} in this namespace`);
  const prev = slot.store.get(slot.name)!;
  const next = normaliseValue(key, prev, value);
  if (next === prev) return { changed: false, prev };
  slot.store.set(slot.name, next);
  const forwarding = /^net\.(ipv4|ipv6)\.conf\.all\.forwarding$/.exec(canonical);
  if (forwarding) {
    const proto = forwarding[1]!;
    ns.sysctls.set(`net.${proto}.conf.default.forwarding`, next);
    for (const link of ns.links.values()) link.sysctls.set(`${proto}.forwarding`, next);
  }
  return { changed: true, prev };
}

/** Integer keys take integers (the kernel's proc_dointvec answers EINVAL otherwise), tab-separated when several. */
function normaliseValue(key: string, prev: string, value: string): string {
  if (!INTEGERS.test(prev)) return value.trim();
  const parts = value.trim().split(/\s+/);
  const count = prev.split('\t').length;
  if (parts.length !== count || !parts.every((p) => /^-?\d+$/.test(p))) {
    throw errno('EINVAL', `sysctl ${key} takes ${count === 1 ? 'an integer' : `${count} integers`}, not '${value}'`);
  }
  return parts.map((p) => String(Number(p))).join('\t');
}
