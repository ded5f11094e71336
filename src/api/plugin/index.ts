export { startPluginServer, pluginRoutes, type PluginServerOptions, type RunningPluginServer } from './server.js';
export type { MethodStats } from './stats.js';
