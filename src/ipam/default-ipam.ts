/**
 * weft's built-in IPAM: pools per address space, route-aware default pools,
 * round-robin address allocation, and every change in the store before a
 * call returns.
 *
 * Concurrency: an address is reserved in memory synchronously, before the
 * first await, so concurrent calls on one instance never pick the same one;
 * the store write is a create-only compare-and-set, so two instances over one
 * store never hand out the same one (a conflict marks the address used and
 * allocation moves on). Pool creates and releases run one at a time per
 * instance and compare-and-set a per-space guard key across instances.
 */
import { ErrorCodes, isWeftError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { AddressPool } from './address-pool.js';
import {
  type DefaultPool,
  type DefaultPoolConfig,
  WEFT_DEFAULT_POOLS,
  WEFT_DEFAULT_POOLS_V6,
  WEFT_GLOBAL_DEFAULT_POOLS,
  WEFT_GLOBAL_DEFAULT_POOLS_V6,
  parseDefaultPools,
} from './default-pools.js';
import { addressInUse, addressNotAllocated, poolExhausted, poolNotFound, unknownAddressSpace } from './errors.js';
import {
  type AddressRequest,
  type AddressResponse,
  type AddressSpaces,
  GATEWAY_REQUEST_TYPE,
  IGNORE_HOST_ROUTES_OPTION,
  type Ipam,
  MAC_ADDRESS_OPTION,
  type PoolRequest,
  type PoolResponse,
  REQUEST_ADDRESS_TYPE,
} from './ipam.js';
import { IpamState, encodeAddressRecord, type PoolRecord } from './ipam-state.js';
import { planPool } from './pool-planner.js';
import { PoolRegistry, poolFromStore } from './pool-registry.js';
import { RouteObstacles, parseRoutes } from './routes.js';
import { SerialQueue } from '../util/serial-queue.js';

export const LOCAL_DEFAULT_SPACE = 'LocalDefault';
export const GLOBAL_DEFAULT_SPACE = 'GlobalDefault';

/** The part of a pino logger the IPAM uses. */
export interface IpamLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface DefaultIpamOptions {
  store: Store;
  /** Default pools of LocalDefault (daemon.json `default-address-pools`); see default-pools.ts. */
  defaultPools?: readonly DefaultPoolConfig[];
  defaultPoolsV6?: readonly DefaultPoolConfig[];
  /** Default pools of GlobalDefault (multi-host networks). */
  globalDefaultPools?: readonly DefaultPoolConfig[];
  globalDefaultPoolsV6?: readonly DefaultPoolConfig[];
  /** CIDRs of routes and addresses in the daemon's namespace; LocalDefault pools avoid them. */
  routesInUse?: () => Promise<string[]>;
  /** Store key prefix, default `ipam/`. */
  keyPrefix?: string;
  log?: IpamLogger;
}

export interface PoolInfo {
  poolId: string;
  addressSpace: string;
  pool: string;
  subPool?: string;
  auto: boolean;
  /** Addresses allocated (including the gateway and reserved ones). */
  allocated: number;
  /** Bytes held by the allocation structure. */
  structureBytes: number;
}

/** Attempts at creating or releasing a pool when another instance changes the same space meanwhile. */
const MAX_POOL_ATTEMPTS = 5;

export class DefaultIpam implements Ipam {
  private readonly state: IpamState;
  private readonly registry = new PoolRegistry();
  /** Default pools per address space, both families (the chooser filters by family). */
  private readonly defaults: ReadonlyMap<string, readonly DefaultPool[]>;
  /** Last known version of each space guard key. */
  private readonly spaceVersions = new Map<string, number>();
  private readonly poolOps = new SerialQueue();
  private readonly routesInUse: () => Promise<string[]>;
  private readonly log: IpamLogger | undefined;
  private unwatch: (() => void) | undefined;

  /** Constructs and loads the persisted state. */
  static async open(options: DefaultIpamOptions): Promise<DefaultIpam> {
    const ipam = new DefaultIpam(options);
    await ipam.init();
    return ipam;
  }

  /** Throws WEFT_CONFIG_INVALID for bad default pools. Call init() before use. */
  constructor(options: DefaultIpamOptions) {
    this.state = new IpamState(options.store, options.keyPrefix ?? 'ipam/');
    this.routesInUse = options.routesInUse ?? (async () => []);
    this.log = options.log;
    const defaults = (v4: readonly DefaultPoolConfig[], v6: readonly DefaultPoolConfig[], label: string) => [
      ...parseDefaultPools(v4, `${label}`),
      ...parseDefaultPools(v6, `${label}V6`),
    ];
    this.defaults = new Map([
      [
        LOCAL_DEFAULT_SPACE,
        defaults(
          options.defaultPools ?? WEFT_DEFAULT_POOLS,
          options.defaultPoolsV6 ?? WEFT_DEFAULT_POOLS_V6,
          'defaultPools',
        ),
      ],
      [
        GLOBAL_DEFAULT_SPACE,
        defaults(
          options.globalDefaultPools ?? WEFT_GLOBAL_DEFAULT_POOLS,
          options.globalDefaultPoolsV6 ?? WEFT_GLOBAL_DEFAULT_POOLS_V6,
          'globalDefaultPools',
        ),
      ],
    ]);
  }

  /** Loads pools and allocations from the store, and deletes address keys of pools that no longer exist. */
  init(): Promise<void> {
    return this.poolOps.run(async () => {
      const loaded = await this.state.load();
      const pools = loaded.pools.map(poolFromStore);
      this.registry.clear();
      this.spaceVersions.clear();
      for (const pool of pools) this.registerLoaded(pool);
      for (const [space, version] of loaded.spaceVersions) this.spaceVersions.set(space, version);
      this.unwatch?.();
      this.unwatch = this.state.watchPoolDeletes((poolId, version) => this.onPoolDeleted(poolId, version));
      if (loaded.orphans.length > 0) {
        await this.state.deleteEntries(loaded.orphans).catch((err: unknown) => {
          this.log?.warn({ err, count: loaded.orphans.length }, 'ipam: could not delete orphaned address keys');
        });
      }
    });
  }

  /** Stops following the store. */
  close(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  defaultAddressSpaces(): AddressSpaces {
    return { localDefaultAddressSpace: LOCAL_DEFAULT_SPACE, globalDefaultAddressSpace: GLOBAL_DEFAULT_SPACE };
  }

  requestPool(req: PoolRequest): Promise<PoolResponse> {
    const defaults = this.defaults.get(req.addressSpace);
    if (!defaults) return Promise.reject(unknownAddressSpace(req.addressSpace, [...this.defaults.keys()]));
    return this.poolOps.run(() => this.createPool(req, defaults));
  }

  releasePool(poolId: string): Promise<void> {
    return this.poolOps.run(() => this.removePool(poolId));
  }

  async requestAddress(req: AddressRequest): Promise<AddressResponse> {
    const pool = this.registry.get(req.poolId) ?? (await this.poolFromOtherInstance(req.poolId));
    const options = req.options ?? {};
    const gateway = options[REQUEST_ADDRESS_TYPE] === GATEWAY_REQUEST_TYPE;
    const mac = options[MAC_ADDRESS_OPTION] || undefined;
    const value = encodeAddressRecord({ kind: gateway ? 'gateway' : 'address', mac });
    const durable = req.durable !== false;
    const ip = req.address
      ? await this.allocatePreferred(pool, req.address, value, durable)
      : await this.allocateFree(pool, gateway, value, durable);
    return { address: `${ip}/${pool.cidr.prefix}`, data: {} };
  }

  /**
   * Releasing an address that is not allocated throws
   * WEFT_ADDRESS_NOT_ALLOCATED (kind NotFound), as Docker's IPAM does; callers
   * that treat "already gone" as success compare by code.
   */
  async releaseAddress(poolId: string, address: string): Promise<void> {
    const pool = this.registry.get(poolId) ?? (await this.poolFromOtherInstance(poolId));
    const offset = pool.offsetOf(address);
    const ip = pool.addressAt(offset);
    const started = pool.beginRelease(offset);
    if (started === 'releasing') throw addressNotAllocated(ip, pool.id);
    if (started === 'absent') {
      // Perhaps another instance over the same store allocated it.
      if (!(await this.state.deleteAddressIfPresent(pool.id, ip))) throw addressNotAllocated(ip, pool.id);
      return;
    }
    let released = false;
    try {
      await this.state.deleteAddress(pool.id, ip);
      released = true;
    } finally {
      pool.endRelease(offset, released);
    }
  }

  async allocatedAddresses(poolId: string): Promise<{ address: string; gateway: boolean }[]> {
    return (await this.state.listAddressKinds(poolId))
      .filter((a) => a.kind !== 'reserved')
      .map((a) => ({ address: a.ip, gateway: a.kind === 'gateway' }));
  }

  /** The pools this instance knows, for diagnostics. */
  listPools(): PoolInfo[] {
    return this.registry.all().map(poolInfo);
  }

  poolInfo(poolId: string): PoolInfo | undefined {
    const pool = this.registry.get(poolId);
    return pool && poolInfo(pool);
  }

  private async createPool(req: PoolRequest, defaults: readonly DefaultPool[]): Promise<PoolResponse> {
    const space = req.addressSpace;
    // Host routes matter for local networks only; global ones live in overlay namespaces.
    const ignoreRoutes = req.pool !== undefined && req.pool !== '' && req.options?.[IGNORE_HOST_ROUTES_OPTION] === 'true';
    const routes =
      space === LOCAL_DEFAULT_SPACE && !ignoreRoutes ? new RouteObstacles(parseRoutes(await this.routesInUse())) : undefined;
    for (let attempt = 1; ; attempt++) {
      await this.syncSpace(space, attempt > 1);
      const { pool, reserved } = planPool(req, { space, registry: this.registry, defaults, routes });
      try {
        const version = await this.state.createPool(recordOf(pool), reserved, this.spaceVersion(space));
        this.spaceVersions.set(space, version);
        pool.storeVersion = version;
      } catch (err) {
        if (isWeftError(err, ErrorCodes.STORE_CONFLICT) && attempt < MAX_POOL_ATTEMPTS) continue;
        throw err;
      }
      this.registry.add(pool);
      return { poolId: pool.id, pool: pool.subnet, data: {} };
    }
  }

  private async removePool(poolId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const pool = this.registry.get(poolId) ?? (await this.syncPool(poolId));
      if (!pool) throw poolNotFound(poolId);
      try {
        const version = await this.state.deletePool(recordOf(pool), this.spaceVersion(pool.addressSpace));
        this.spaceVersions.set(pool.addressSpace, version);
      } catch (err) {
        if (!isWeftError(err, ErrorCodes.STORE_CONFLICT) || attempt >= MAX_POOL_ATTEMPTS) throw err;
        await this.syncSpace(pool.addressSpace, true);
        continue;
      }
      this.registry.remove(pool);
      // The pool is gone; leftover address keys are orphans that init() collects.
      await this.state.deleteAddresses(pool.id).catch((err: unknown) => {
        this.log?.warn({ err, poolId }, 'ipam: could not delete the addresses of a released pool');
      });
      return;
    }
  }

  /** Next free address (round-robin), or for a gateway the lowest free one of the whole pool. */
  private async allocateFree(pool: AddressPool, gateway: boolean, value: string, durable: boolean): Promise<string> {
    for (;;) {
      const offset = gateway ? pool.reserveFirst() : pool.reserveNext();
      if (offset === undefined) throw poolExhausted(pool.id);
      const ip = pool.addressAt(offset);
      if (await this.persistAddress(pool, offset, ip, value, durable)) return ip;
    }
  }

  private async allocatePreferred(pool: AddressPool, address: string, value: string, durable: boolean): Promise<string> {
    const offset = pool.offsetOf(address);
    pool.checkAssignable(offset, address);
    const ip = pool.addressAt(offset);
    if (!pool.reserve(offset)) {
      // Marked used here. The mark is stale if another instance held it and released it since.
      const held = pool.isReleasing(offset) || (await this.state.addressExists(pool.id, ip));
      if (held) throw addressInUse(ip, pool.id);
    }
    if (!(await this.persistAddress(pool, offset, ip, value, durable))) throw addressInUse(ip, pool.id);
    return ip;
  }

  /**
   * Writes a reserved address to the store. False on a compare-and-set
   * conflict (another instance holds it: it stays marked used here); any
   * other failure undoes the reservation and throws.
   */
  private async persistAddress(pool: AddressPool, offset: bigint, ip: string, value: string, durable: boolean): Promise<boolean> {
    try {
      await this.state.putAddress(pool.id, ip, value, durable);
    } catch (err) {
      if (isWeftError(err, ErrorCodes.STORE_CONFLICT)) return false;
      pool.unreserve(offset);
      throw err;
    }
    if (this.registry.get(pool.id) !== pool) {
      // The pool was released while the write was in flight.
      await this.state.deleteAddress(pool.id, ip);
      throw poolNotFound(pool.id);
    }
    return true;
  }

  /** A pool missing here may have been created by another instance over the same store. */
  private async poolFromOtherInstance(poolId: string): Promise<AddressPool> {
    const pool = await this.poolOps.run(() => this.syncPool(poolId));
    if (!pool) throw poolNotFound(poolId);
    return pool;
  }

  private async syncPool(poolId: string): Promise<AddressPool | undefined> {
    const space = poolId.slice(0, poolId.indexOf('/'));
    if (!this.defaults.has(space)) return undefined;
    await this.syncSpace(space, true);
    return this.registry.get(poolId);
  }

  /**
   * Brings this instance's view of a space's pools up to date with the store
   * if another instance changed them (the space guard's version moved), or
   * unconditionally with `force`. Known pools keep their in-memory state.
   */
  private async syncSpace(space: string, force: boolean): Promise<void> {
    const version = await this.state.spaceVersion(space);
    if (!force && version === this.spaceVersion(space)) return;
    const records = await this.state.listPools(space);
    const stored = new Set(records.map((r) => r.record.id));
    for (const pool of this.registry.inSpace(space)) if (!stored.has(pool.id)) this.registry.remove(pool);
    for (const { record, version: poolVersion } of records) {
      if (this.registry.get(record.id)) continue;
      const addresses = await this.state.listAddresses(record.id);
      this.registerLoaded(poolFromStore({ record, version: poolVersion, addresses }));
    }
    this.spaceVersions.set(space, version);
  }

  /**
   * Another instance (or this one) deleted a pool key: forget the pool, unless
   * ours is newer than the deletion (re-created since; watch events may lag).
   */
  private onPoolDeleted(poolId: string, version: number): void {
    const pool = this.registry.get(poolId);
    if (pool && pool.storeVersion < version) this.registry.remove(pool);
  }

  private registerLoaded(pool: AddressPool): void {
    if (this.registry.add(pool)) return;
    this.log?.warn({ poolId: pool.id }, 'ipam: stored pool overlaps another pool of its space; ignoring it');
  }

  private spaceVersion(space: string): number {
    return this.spaceVersions.get(space) ?? 0;
  }
}

function recordOf(pool: AddressPool): PoolRecord {
  return {
    id: pool.id,
    addressSpace: pool.addressSpace,
    pool: pool.subnet,
    subPool: pool.subPoolText,
    auto: pool.auto,
    options: pool.options,
  };
}

function poolInfo(pool: AddressPool): PoolInfo {
  return {
    poolId: pool.id,
    addressSpace: pool.addressSpace,
    pool: pool.subnet,
    subPool: pool.subPoolText,
    auto: pool.auto,
    allocated: pool.allocations.count,
    structureBytes: pool.allocations.memoryBytes(),
  };
}
