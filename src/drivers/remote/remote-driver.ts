/**
 * A third-party Docker network plugin as a weft Driver (reference §2). The
 * plugin does its own kernel work, so a network's plan is empty and carries
 * no firewall intent. Where weft owns the sandbox (placement `netns`) weft
 * also plays the engine: createEndpoint runs CreateEndpoint and Join, and
 * returns the ops that move the plugin's device into the sandbox and
 * configure it. Leave, DeleteEndpoint and DeleteNetwork are the hooks the
 * controller calls when objects go.
 */
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type {
  Driver,
  DriverCapabilities,
  EndpointInfo,
  EndpointPlacement,
  EndpointPlan,
  EndpointSpec,
  JoinInfo,
  NetworkInfo,
  NetworkPlan,
  NetworkSpec,
} from '../driver.js';
import type { PluginClient } from './client.js';
import { joinOps } from './join-plan.js';
import { createEndpointRequest, createNetworkRequest, endpointAnswer, joinAnswer, joinRequest } from './protocol.js';

/** Where named sandboxes live; the SandboxKey a plugin gets. */
export const NETNS_DIR = '/run/netns';

/** What weft keeps of an endpoint for later calls (driverData). */
interface RemoteEndpointData {
  plugin: string;
  sandboxKey?: string;
  join?: JoinInfo;
}

export class RemoteDriver implements Driver {
  constructor(
    readonly name: string,
    private readonly client: PluginClient,
    private readonly caps: DriverCapabilities,
  ) {}

  capabilities(): DriverCapabilities {
    return this.caps;
  }

  async createNetwork(spec: NetworkSpec): Promise<NetworkPlan> {
    await this.client.call('NetworkDriver.CreateNetwork', createNetworkRequest(spec));
    return { ops: [], data: { plugin: this.name } };
  }

  async createEndpoint(network: NetworkInfo, endpoint: EndpointSpec, placement: EndpointPlacement): Promise<EndpointPlan> {
    const created = endpointAnswer(this.name, endpoint, await this.client.call('NetworkDriver.CreateEndpoint', createEndpointRequest(endpoint)));
    const mac = endpoint.mac ?? created.mac;
    if (placement.kind === 'host') {
      const data: RemoteEndpointData = { plugin: this.name };
      return { ops: [], data: { ...data }, ...(mac && { mac }) };
    }
    const sandboxKey = `${NETNS_DIR}/${placement.netns}`;
    let join: JoinInfo;
    try {
      join = await this.joinNow(network.id, endpoint.id, sandboxKey);
    } catch (err) {
      await this.undoEndpoint(network.id, endpoint.id, err);
      throw err;
    }
    const addresses = [endpoint.addressV4, endpoint.addressV6].filter((a): a is string => a !== undefined);
    const ops = joinOps(join, { ...placement, srcName: join.interfaceName!.srcName, addresses, mac });
    const data: RemoteEndpointData = { plugin: this.name, sandboxKey, join };
    return { ops, data: { ...data }, ...(mac && { mac }) };
  }

  /** The answer of the Join made with the endpoint (weft's sandboxes); otherwise a Join now. */
  async join(network: NetworkInfo, endpoint: EndpointInfo): Promise<JoinInfo> {
    const data = endpoint.driverData as Partial<RemoteEndpointData>;
    if (data.join) return data.join;
    return joinAnswer(this.name, await this.client.call('NetworkDriver.Join', joinRequest(network.id, endpoint.id, data.sandboxKey ?? '')));
  }

  async leave(network: NetworkInfo, endpoint: EndpointInfo): Promise<void> {
    await this.client.call('NetworkDriver.Leave', { NetworkID: network.id, EndpointID: endpoint.id });
  }

  async deleteEndpoint(network: NetworkInfo, endpoint: EndpointInfo): Promise<void> {
    await this.client.call('NetworkDriver.DeleteEndpoint', { NetworkID: network.id, EndpointID: endpoint.id });
  }

  async deleteNetwork(network: NetworkInfo): Promise<void> {
    await this.client.call('NetworkDriver.DeleteNetwork', { NetworkID: network.id });
  }

  private async joinNow(networkId: string, endpointId: string, sandboxKey: string): Promise<JoinInfo> {
    const join = joinAnswer(this.name, await this.client.call('NetworkDriver.Join', joinRequest(networkId, endpointId, sandboxKey)));
    if (!join.interfaceName) {
      // dockerd would join without an interface; a weft sandbox would then have none on this network.
      throw new WeftError(ErrorCodes.PLUGIN_BAD_RESPONSE, 'Internal', `plugin "${this.name}": NetworkDriver.Join: no "InterfaceName.SrcName" to move into the sandbox`, {
        details: { plugin: this.name, method: 'NetworkDriver.Join' },
      });
    }
    return join;
  }

  /**
   * A Join that failed is rolled back as dockerd does, with DeleteEndpoint
   * (Leave first when the plugin had joined). Not when the plugin is
   * unreachable or hung: another call would only wait as long again.
   */
  private async undoEndpoint(networkId: string, endpointId: string, cause: unknown): Promise<void> {
    if (cause instanceof WeftError && cause.code === ErrorCodes.PLUGIN_UNAVAILABLE) return;
    const ids = { NetworkID: networkId, EndpointID: endpointId };
    if (cause instanceof WeftError && cause.code === ErrorCodes.PLUGIN_BAD_RESPONSE) {
      await this.client.call('NetworkDriver.Leave', ids).catch(() => undefined);
    }
    await this.client.call('NetworkDriver.DeleteEndpoint', ids).catch(() => undefined);
  }
}
