/**
 * The RPC handlers: decode and validate → call the controller → encode.
 * Nothing else happens here; errors travel up to the server, which renders them.
 */
import type { NetworkApi } from '../../cnm/api-types.js';
import {
  decodeConnect,
  decodeNetworkCreate,
  decodeNetworkFilter,
  decodeSandboxCreate,
  flag,
  requiredString,
} from './decode.js';
import { SERVICES, type Message } from './proto.js';

export type Handler = (request: Message) => Promise<Message>;
/** Service name → method name (as in the proto) → handler. */
export type HandlerTable = Record<string, Record<string, Handler>>;

/** Inspect results travel as Docker-shaped JSON text (see proto/weft.proto). */
function asJson(inspect: object): Message {
  return { json: JSON.stringify(inspect) };
}

function networkHandlers(api: NetworkApi): Record<string, Handler> {
  return {
    Create: async (m) => asJson(await api.createNetwork(decodeNetworkCreate(m))),
    List: async (m) => ({ networks: (await api.listNetworks(decodeNetworkFilter(m))).map(asJson) }),
    Inspect: async (m) => asJson(await api.inspectNetwork(requiredString(m, 'name'))),
    Remove: async (m) => {
      await api.removeNetwork(requiredString(m, 'name'));
      return {};
    },
    Prune: async () => ({ removed: await api.pruneNetworks() }),
    Connect: async (m) => {
      await api.connect(decodeConnect(m));
      return {};
    },
    Disconnect: async (m) => {
      const network = requiredString(m, 'network');
      const sandbox = requiredString(m, 'sandbox');
      await api.disconnect(network, sandbox, flag(m, 'force') ?? false);
      return {};
    },
  };
}

function sandboxHandlers(api: NetworkApi): Record<string, Handler> {
  return {
    Create: async (m) => asJson(await api.createSandbox(decodeSandboxCreate(m))),
    List: async () => ({ sandboxes: (await api.listSandboxes()).map(asJson) }),
    Inspect: async (m) => asJson(await api.inspectSandbox(requiredString(m, 'name'))),
    Remove: async (m) => {
      const name = requiredString(m, 'name');
      await api.removeSandbox(name, flag(m, 'force') ?? false);
      return {};
    },
  };
}

export function handlerTable(api: NetworkApi, version: string): HandlerTable {
  return {
    [SERVICES.networks]: networkHandlers(api),
    [SERVICES.sandboxes]: sandboxHandlers(api),
    [SERVICES.system]: { Version: async () => ({ version }) },
  };
}
