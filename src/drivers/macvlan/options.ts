/**
 * The `-o` options of a macvlan network. Docker's names where Docker has
 * one (`parent`, `macvlan_mode`, the MTU option), weft's own under
 * `weft.macvlan.`. Every parser throws WEFT_INVALID_OPTION naming the
 * option and the value; nothing is planned before all have been parsed.
 */
import type { MacvlanMode } from '../../kernel/ops.js';
import { invalidOption } from '../common/errors.js';
import { IFNAME_MAX } from '../common/names.js';
import { boolOption, mtuOption, OPTION } from '../common/options.js';

export const MACVLAN_OPTION = {
  /** The host interface the network's macvlans sit on: IFACE, or IFACE.VLAN for an 802.1q sub-interface. */
  parent: 'parent',
  /** bridge (default), private, vepa or passthru. */
  mode: 'macvlan_mode',
  /** A macvlan of the daemon's namespace on the parent, through which the host reaches the sandboxes. */
  hostShim: 'weft.macvlan.host_shim',
} as const;

/** The `--aux-address` name that gives the host shim its address in a subnet (reserved by IPAM like any aux address). */
export const HOST_SHIM_AUX = 'host_shim';

const MODES: readonly MacvlanMode[] = ['bridge', 'private', 'vepa', 'passthru'];
const VLAN_MAX = 4094;

/** The parent as asked for. */
export interface ParentSpec {
  /** The device the macvlans sit on: `eth0`, or `eth0.10`. */
  name: string;
  /** For an 802.1q sub-interface: the device under it (`eth0`) and the VLAN id. */
  vlan?: { base: string; id: number };
}

export interface MacvlanNetworkOptions {
  /** Absent: no parent, an internal network on a dummy parent. */
  parent?: ParentSpec;
  mode: MacvlanMode;
  hostShim: boolean;
  /** Absent: the macvlans take the parent's MTU. */
  mtu?: number;
}

export function parseMacvlanOptions(options: Record<string, string>): MacvlanNetworkOptions {
  const parentValue = options[MACVLAN_OPTION.parent];
  const parent = parentValue === undefined || parentValue === '' ? undefined : parseParent(parentValue);
  const mode = parseMode(options[MACVLAN_OPTION.mode]);
  const hostShim = boolOption(options, MACVLAN_OPTION.hostShim, false);
  if (hostShim && mode !== 'bridge') {
    // The kernel switches between two macvlans of one parent only when both are in bridge mode.
    throw invalidOption(MACVLAN_OPTION.hostShim, options[MACVLAN_OPTION.hostShim]!, `the host shim reaches sandboxes only with ${MACVLAN_OPTION.mode}=bridge, not ${mode}`);
  }
  return {
    ...(parent !== undefined && { parent }),
    mode,
    hostShim,
    ...(options[OPTION.mtu] !== undefined && { mtu: mtuOption(options) }),
  };
}

function parseMode(value: string | undefined): MacvlanMode {
  if (value === undefined || value === '') return 'bridge';
  const mode = MODES.find((m) => m === value);
  if (!mode) throw invalidOption(MACVLAN_OPTION.mode, value, `expected one of ${MODES.join(', ')}`);
  return mode;
}

/** IFACE or IFACE.VLAN: interface names of letters, digits, '_' and '-', a VLAN id from 1 to 4094. */
function parseParent(value: string): ParentSpec {
  const why = `expected an interface name (IFACE) or an 802.1q sub-interface (IFACE.VLAN, VLAN from 1 to ${VLAN_MAX})`;
  if (value.length > IFNAME_MAX) throw invalidOption(MACVLAN_OPTION.parent, value, `an interface name has at most ${IFNAME_MAX} characters`);
  if (/^[A-Za-z0-9_-]+$/.test(value)) return { name: value };
  const match = /^([A-Za-z0-9_-]+)\.([1-9]\d{0,3})$/.exec(value);
  if (!match || Number(match[2]) > VLAN_MAX) throw invalidOption(MACVLAN_OPTION.parent, value, why);
  return { name: value, vlan: { base: match[1]!, id: Number(match[2]) } };
}
