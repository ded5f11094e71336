/**
 * A third-party Docker IPAM plugin as weft's Ipam (reference §3): the port
 * has the protocol's shapes, so this is a thin client. Answers are checked
 * (pools and addresses are CIDRs of the right family, a PoolID is given) so
 * that nothing malformed reaches the records. The default address spaces are
 * read once, when the plugin is registered.
 */
import { isIP } from 'node:net';
import type { PluginClient } from '../../drivers/remote/client.js';
import { AnswerReader, type JsonObject } from '../../drivers/remote/json.js';
import type { AddressRequest, AddressResponse, AddressSpaces, Ipam, PoolRequest, PoolResponse } from '../ipam.js';

export class RemoteIpam implements Ipam {
  private constructor(
    readonly name: string,
    private readonly client: PluginClient,
    private readonly spaces: AddressSpaces,
  ) {}

  /** From the plugin's GetDefaultAddressSpaces answer. */
  static fromAnswer(name: string, client: PluginClient, answer: JsonObject): RemoteIpam {
    const read = new AnswerReader(name, 'IpamDriver.GetDefaultAddressSpaces');
    const spaces = {
      localDefaultAddressSpace: read.string(answer, 'LocalDefaultAddressSpace'),
      globalDefaultAddressSpace: read.string(answer, 'GlobalDefaultAddressSpace'),
    };
    return new RemoteIpam(name, client, spaces);
  }

  defaultAddressSpaces(): AddressSpaces {
    return { ...this.spaces };
  }

  async requestPool(req: PoolRequest): Promise<PoolResponse> {
    const method = 'IpamDriver.RequestPool';
    const answer = await this.client.call(method, {
      AddressSpace: req.addressSpace,
      Pool: req.pool ?? '',
      SubPool: req.subPool ?? '',
      Options: req.options ?? {},
      V6: req.v6 ?? false,
    });
    const read = new AnswerReader(this.name, method);
    const poolId = read.string(answer, 'PoolID');
    if (poolId === '') throw read.fail('no "PoolID"');
    const pool = read.cidr(answer, 'Pool', false);
    checkFamily(read, 'Pool', pool, req.v6 ?? false);
    return { poolId, pool, data: read.stringMap(answer, 'Data') };
  }

  async releasePool(poolId: string): Promise<void> {
    await this.client.call('IpamDriver.ReleasePool', { PoolID: poolId });
  }

  async requestAddress(req: AddressRequest): Promise<AddressResponse> {
    const method = 'IpamDriver.RequestAddress';
    const answer = await this.client.call(method, { PoolID: req.poolId, Address: req.address ?? '', Options: req.options ?? null });
    const read = new AnswerReader(this.name, method);
    if (read.string(answer, 'Address') === '') throw read.fail('No address returned');
    const address = read.cidr(answer, 'Address', false);
    if (req.address && address.split('/')[0] !== req.address) throw read.fail(`asked for ${req.address}, got ${address}`);
    return { address, data: read.stringMap(answer, 'Data') };
  }

  async releaseAddress(poolId: string, address: string): Promise<void> {
    await this.client.call('IpamDriver.ReleaseAddress', { PoolID: poolId, Address: address });
  }
}

function checkFamily(read: AnswerReader, field: string, cidr: string, v6: boolean): void {
  const family = isIP(cidr.split('/')[0]!);
  if (family !== (v6 ? 6 : 4)) throw read.fail(`"${field}" ${cidr} is not an IPv${v6 ? 6 : 4} subnet`);
}
