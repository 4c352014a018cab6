// AtomicInt and AtomicInt64: a named shared integer (the lecture notes' count++ / count--
// race, solved): load, store, add, sub, exchange, compareExchange. Each is one atomic
// instruction of the core; add, sub, exchange and compareExchange return the old value.
import { OBJ_HEADER } from './object';

const V: usize = OBJ_HEADER;
export const ATOMIC_SIZE: usize = OBJ_HEADER + 8;

export function atomicInit(obj: usize, lo: u32, hi: u32): i32 {
  store<u64>(obj, (<u64>hi << 32) | lo, V);
  return 0;
}

export function a32_load(obj: usize): i32 { return atomic.load<i32>(obj, V); }
export function a32_store(obj: usize, v: i32): void { atomic.store<i32>(obj, v, V); }
export function a32_add(obj: usize, v: i32): i32 { return atomic.add<i32>(obj + V, v); }
export function a32_sub(obj: usize, v: i32): i32 { return atomic.sub<i32>(obj + V, v); }
export function a32_xchg(obj: usize, v: i32): i32 { return atomic.xchg<i32>(obj + V, v); }
export function a32_cas(obj: usize, expected: i32, v: i32): i32 { return atomic.cmpxchg<i32>(obj + V, expected, v); }

export function a64_load(obj: usize): i64 { return atomic.load<i64>(obj, V); }
export function a64_store(obj: usize, v: i64): void { atomic.store<i64>(obj, v, V); }
export function a64_add(obj: usize, v: i64): i64 { return atomic.add<i64>(obj + V, v); }
export function a64_sub(obj: usize, v: i64): i64 { return atomic.sub<i64>(obj + V, v); }
export function a64_xchg(obj: usize, v: i64): i64 { return atomic.xchg<i64>(obj + V, v); }
export function a64_cas(obj: usize, expected: i64, v: i64): i64 { return atomic.cmpxchg<i64>(obj + V, expected, v); }

export function atomicSummary(obj: usize, out: usize): void {
  store<i64>(out, atomic.load<i64>(obj, V));
}
