/**
 * The Linux kernel backend. `createLinuxKernel` is the only thing the rest
 * of weft needs; the parts are exported for tools and tests.
 */
import { loadNetnsAddon } from './addon.js';
import { LinuxKernel } from './linux-kernel.js';
import type { KernelLogger } from './logger.js';
import { NETNS_DIR, NetnsRegistry } from './netns.js';

export interface LinuxKernelOptions {
  logger?: KernelLogger;
  /** Where named namespaces live; /run/netns (as iproute2) by default. */
  netnsDir?: string;
  /** Path of the compiled weft_netns addon; found next to the package by default. */
  addonPath?: string;
}

export function createLinuxKernel(options: LinuxKernelOptions = {}): LinuxKernel {
  const addon = loadNetnsAddon(options.addonPath);
  const registry = new NetnsRegistry(addon, options.netnsDir ?? NETNS_DIR);
  return new LinuxKernel({ addon, registry, logger: options.logger });
}

export { LinuxKernel } from './linux-kernel.js';
export type { KernelLogger } from './logger.js';
export { sysctlPath } from './sysctl.js';
