/**
 * Finding and activating plugins, once per daemon process as dockerd does
 * (reference §1.4): look the name up (once: unlike dockerd, a name with no
 * file fails at once), POST /Plugin.Activate, and keep
 * the answer. A failed activation is forgotten, so the next use tries again;
 * a plugin that restarts later is simply reached again at the same address.
 */
import type { Logger } from 'pino';
import { DEFAULT_PLUGIN_TIMEOUTS, PluginClient, type PluginTimeouts } from './client.js';
import { DEFAULT_PLUGIN_DIRS, describeAddress, findPlugin, type PluginAddress } from './discovery.js';
import { pluginNotFound, pluginUnsupported } from './errors.js';
import { AnswerReader, fieldOf } from './json.js';

export type PluginInterface = 'NetworkDriver' | 'IpamDriver';

export interface ActivePlugin {
  name: string;
  client: PluginClient;
  /** The Implements list of its activation answer. */
  implements: string[];
}

export interface PluginRegistryOptions {
  /** Directories searched for NAME.sock, NAME.spec, NAME.json (dockerd's by default). */
  dirs?: readonly string[];
  timeouts?: Partial<PluginTimeouts>;
  log?: Logger;
}

export class PluginRegistry {
  readonly dirs: readonly string[];
  private readonly timeouts: PluginTimeouts;
  private readonly activations = new Map<string, Promise<ActivePlugin>>();

  constructor(private readonly options: PluginRegistryOptions = {}) {
    this.dirs = options.dirs ?? DEFAULT_PLUGIN_DIRS;
    const given = options.timeouts ?? {};
    this.timeouts = {
      requestMs: given.requestMs ?? DEFAULT_PLUGIN_TIMEOUTS.requestMs,
      retryWindowMs: given.retryWindowMs ?? DEFAULT_PLUGIN_TIMEOUTS.retryWindowMs,
    };
  }

  /** The plugin, activated on first use; WEFT_PLUGIN_UNSUPPORTED when it does not implement `iface`. */
  async get(name: string, iface: PluginInterface): Promise<ActivePlugin> {
    let activation = this.activations.get(name);
    if (!activation) {
      activation = this.activate(name);
      this.activations.set(name, activation);
      const pending = activation;
      pending.catch(() => {
        if (this.activations.get(name) === pending) this.activations.delete(name);
      });
    }
    const plugin = await activation;
    if (!plugin.implements.includes(iface)) {
      throw pluginUnsupported(name, `Plugin does not implement the requested driver: ${iface} (it implements ${JSON.stringify(plugin.implements)})`);
    }
    return plugin;
  }

  private async activate(name: string): Promise<ActivePlugin> {
    const address = await this.locate(name);
    const client = new PluginClient(name, address, this.timeouts);
    const answer = await client.call('Plugin.Activate');
    const read = new AnswerReader(name, 'Plugin.Activate');
    const list = fieldOf(answer, 'Implements');
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw read.fail('"Implements" must be an array of strings');
    this.options.log?.info({ plugin: name, address: describeAddress(address), implements: list }, 'plugin activated');
    return { name, client, implements: list as string[] };
  }

  /**
   * dockerd retries a lookup that finds nothing for ~15 s, in case the plugin
   * is still starting; weft answers at once (a typo in `-d` should not cost
   * 15 s). A plugin that exists but does not answer yet is retried by the client.
   */
  private async locate(name: string): Promise<PluginAddress> {
    const address = await findPlugin(name, this.dirs);
    if (!address) throw pluginNotFound(name, this.dirs);
    return address;
  }

}
