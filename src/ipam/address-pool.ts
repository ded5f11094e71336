/**
 * One pool in memory: its subnet, the range automatic allocation draws from,
 * the allocated set and the round-robin cursor. Everything here is
 * synchronous, so a caller can reserve an address before its first await.
 */
import { createAllocationSet, type AllocationSet } from './allocation-set.js';
import { type Cidr, cidrLast, cidrSize, familyBits, formatCidr, formatIp, tryParseIp } from './cidr.js';
import { addressOutOfRange, badAddress } from './errors.js';

export interface PoolSpec {
  id: string;
  addressSpace: string;
  cidr: Cidr;
  subPool?: Cidr;
  /** Chosen from the default pools rather than requested. */
  auto: boolean;
  options: Record<string, string>;
}

export class AddressPool {
  readonly id: string;
  readonly addressSpace: string;
  readonly cidr: Cidr;
  readonly subPool: Cidr | undefined;
  readonly auto: boolean;
  readonly options: Record<string, string>;
  /** The subnet as text, e.g. `10.1.0.0/16`. */
  readonly subnet: string;
  readonly subPoolText: string | undefined;
  /** The last address of the subnet. */
  readonly last: bigint;
  readonly allocations: AllocationSet;
  /** Offsets that may be handed out at all (no network, v4 broadcast or v6 anycast address). */
  readonly usableLo: bigint;
  readonly usableHi: bigint;
  /** Offsets that automatic allocation draws from (the subPool, if any). */
  readonly rangeLo: bigint;
  readonly rangeHi: bigint;
  /** Store version of the pool key (0 until persisted): a delete event older than this is not about this pool. */
  storeVersion = 0;
  private cursor: bigint;
  /** Offsets whose release is being persisted: still allocated, not releasable twice. */
  private readonly releasing = new Set<number | bigint>();

  constructor(spec: PoolSpec) {
    this.id = spec.id;
    this.addressSpace = spec.addressSpace;
    this.cidr = spec.cidr;
    this.subPool = spec.subPool;
    this.auto = spec.auto;
    this.options = spec.options;
    this.subnet = formatCidr(spec.cidr);
    this.subPoolText = spec.subPool && formatCidr(spec.subPool);
    this.last = cidrLast(spec.cidr);
    const size = cidrSize(spec.cidr);
    this.allocations = createAllocationSet(size);
    [this.usableLo, this.usableHi] = usableRange(spec.cidr, size);
    const sub = spec.subPool ?? spec.cidr;
    const subLo = sub.network - spec.cidr.network;
    const subHi = cidrLast(sub) - spec.cidr.network;
    this.rangeLo = subLo > this.usableLo ? subLo : this.usableLo;
    this.rangeHi = subHi < this.usableHi ? subHi : this.usableHi;
    this.cursor = this.rangeLo;
  }

  /** Plain address text of an offset. */
  addressAt(offset: bigint): string {
    return formatIp(this.cidr.family, this.cidr.network + offset);
  }

  /** `address/prefix`, as IPAM responses carry it. */
  cidrAt(offset: bigint): string {
    return `${this.addressAt(offset)}/${this.cidr.prefix}`;
  }

  /**
   * The offset of a caller-given address: a plain IP, or `IP/prefix` with
   * this pool's prefix. Throws BAD_ADDRESS (unparsable, wrong family or
   * prefix) or ADDRESS_OUT_OF_RANGE (outside the subnet).
   */
  offsetOf(text: string): bigint {
    const slash = text.indexOf('/');
    const plain = slash < 0 ? text : text.slice(0, slash);
    if (slash >= 0 && text.slice(slash + 1) !== String(this.cidr.prefix)) {
      throw badAddress(text, `the prefix length differs from pool ${this.id}; pass a plain address`, this.id);
    }
    const ip = tryParseIp(plain);
    if (!ip) throw badAddress(text, 'not an IPv4 or IPv6 address', this.id);
    if (ip.family !== this.cidr.family) {
      throw badAddress(text, `an IPv${ip.family} address for IPv${this.cidr.family} pool ${this.id}`, this.id);
    }
    if (ip.value < this.cidr.network || ip.value > this.last) {
      throw addressOutOfRange(plain, this.id, `is outside subnet ${this.subnet}`);
    }
    return ip.value - this.cidr.network;
  }

  /** Throws ADDRESS_OUT_OF_RANGE for the network, broadcast (v4) or subnet-router anycast (v6) address. */
  checkAssignable(offset: bigint, text: string): void {
    if (offset >= this.usableLo && offset <= this.usableHi) return;
    const what =
      offset === 0n
        ? this.cidr.family === 4
          ? 'the network address'
          : 'the subnet-router anycast address'
        : 'the broadcast address';
    throw addressOutOfRange(this.addressAt(offset), this.id, `is ${what}`);
  }

  /** Reserves the next free offset of the allocation range after the cursor (wrapping). */
  reserveNext(): bigint | undefined {
    const offset = this.allocations.nextFree(this.rangeLo, this.rangeHi, this.cursor);
    if (offset === undefined) return undefined;
    this.allocations.add(offset);
    this.cursor = offset + 1n > this.rangeHi ? this.rangeLo : offset + 1n;
    return offset;
  }

  /** Reserves the lowest free usable offset of the whole pool (the gateway's default). */
  reserveFirst(): bigint | undefined {
    const offset = this.allocations.nextFree(this.usableLo, this.usableHi, this.usableLo);
    if (offset !== undefined) this.allocations.add(offset);
    return offset;
  }

  /** Reserves a given offset; false if it is taken. */
  reserve(offset: bigint): boolean {
    return this.allocations.add(offset);
  }

  /** Undoes a reservation whose persistence failed. */
  unreserve(offset: bigint): void {
    this.allocations.delete(offset);
  }

  /** Starts a release, unless the offset is not allocated or its release is already under way. */
  beginRelease(offset: bigint): 'started' | 'absent' | 'releasing' {
    if (!this.allocations.has(offset)) return 'absent';
    const key = setKey(offset);
    if (this.releasing.has(key)) return 'releasing';
    this.releasing.add(key);
    return 'started';
  }

  isReleasing(offset: bigint): boolean {
    return this.releasing.has(setKey(offset));
  }

  /** Ends a release; the offset becomes free only if the store accepted the release. */
  endRelease(offset: bigint, released: boolean): void {
    this.releasing.delete(setKey(offset));
    if (released) this.allocations.delete(offset);
  }

  /** After loading from the store: continue round-robin after the highest allocation. */
  restoreCursor(): void {
    const max = this.allocations.max();
    if (max !== undefined && max >= this.rangeLo && max < this.rangeHi) this.cursor = max + 1n;
  }
}

/**
 * IPv4: the network and broadcast addresses are never handed out, except in
 * /31 (RFC 3021) and /32. IPv6: the subnet-router anycast address (offset 0)
 * is never handed out, except in /127 (RFC 6164) and /128.
 */
function usableRange(cidr: Cidr, size: bigint): [bigint, bigint] {
  const hostBits = familyBits(cidr.family) - cidr.prefix;
  if (hostBits <= 1) return [0n, size - 1n];
  return cidr.family === 4 ? [1n, size - 2n] : [1n, size - 1n];
}

/** Small offsets as numbers: a Set hashes them much faster than BigInts. */
function setKey(offset: bigint): number | bigint {
  return offset <= 0x1fffffffffffffn ? Number(offset) : offset;
}
