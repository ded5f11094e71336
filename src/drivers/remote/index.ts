/**
 * Remote drivers: third-party Docker network and IPAM plugins used through
 * weft's own API (`weft network create -d PLUGIN --ipam-driver PLUGIN`).
 */
export { DEFAULT_PLUGIN_TIMEOUTS, PluginClient, type PluginTimeouts } from './client.js';
export { DEFAULT_PLUGIN_DIRS, findPlugin, type PluginAddress } from './discovery.js';
export { PluginRegistry, type PluginRegistryOptions } from './plugins.js';
export { RemoteDriver } from './remote-driver.js';
export { RemoteDriverRegistry } from './registry.js';
