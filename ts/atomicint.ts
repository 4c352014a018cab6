// AtomicInt and AtomicInt64 (assembly/atomicint.ts): named shared integers. Every operation
// is one atomic instruction in the core; add, sub, exchange and compareExchange return the
// previous value.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { checkInt, describe } from './errors';

const int32 = (v: unknown, name = 'value'): number => checkInt(v, name, -0x8000_0000, 0xffff_ffff) | 0;

export class AtomicInt extends IpcObject {
  readonly kind = Kind.atomic;
  load(): number { this.liveChecked(); return this.segment.core.a32_load(this.offset); }
  store(v: number): void { this.liveChecked(); this.segment.core.a32_store(this.offset, int32(v)); }
  add(v: number): number { this.liveChecked(); return this.segment.core.a32_add(this.offset, int32(v)); }
  sub(v: number): number { this.liveChecked(); return this.segment.core.a32_sub(this.offset, int32(v)); }
  exchange(v: number): number { this.liveChecked(); return this.segment.core.a32_xchg(this.offset, int32(v)); }
  /** Store `v` if the value is `expected`; returns the value found (=== expected on success). */
  compareExchange(expected: number, v: number): number {
    this.liveChecked();
    return this.segment.core.a32_cas(this.offset, int32(expected, 'expected'), int32(v));
  }
  get value(): number { return this.load(); }
}

const MIN64 = -(2n ** 63n);
const MAX64 = 2n ** 64n - 1n;
function int64(v: unknown, name = 'value'): bigint {
  if (typeof v !== 'bigint') throw new TypeError(`${name} must be a bigint, got ${describe(v)}`);
  if (v < MIN64 || v > MAX64) throw new RangeError(`${name} must fit in 64 bits, got ${v}`);
  return BigInt.asIntN(64, v);
}

export class AtomicInt64 extends IpcObject {
  readonly kind = Kind.atomic64;
  load(): bigint { this.liveChecked(); return this.segment.core.a64_load(this.offset); }
  store(v: bigint): void { this.liveChecked(); this.segment.core.a64_store(this.offset, int64(v)); }
  add(v: bigint): bigint { this.liveChecked(); return this.segment.core.a64_add(this.offset, int64(v)); }
  sub(v: bigint): bigint { this.liveChecked(); return this.segment.core.a64_sub(this.offset, int64(v)); }
  exchange(v: bigint): bigint { this.liveChecked(); return this.segment.core.a64_xchg(this.offset, int64(v)); }
  compareExchange(expected: bigint, v: bigint): bigint {
    this.liveChecked();
    return this.segment.core.a64_cas(this.offset, int64(expected, 'expected'), int64(v));
  }
  get value(): bigint { return this.load(); }
}
