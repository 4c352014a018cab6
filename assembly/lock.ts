// The core's internal lock: guards the registry and the large-block list, for a few
// hundred instructions at most. It is Drepper's three-state futex mutex ("Futexes Are
// Tricky", mutex2), the same protocol as Rust std's sys/sync/mutex/futex.rs.
//
//   0 unlocked ──lock (CAS 0→1)──▶ 1 locked ──unlock (swap 0)──▶ 0
//   1 locked ──a waiter swaps in 2──▶ 2 locked, maybe waiters ──unlock (swap 0, was 2)──▶ 0 + wake one
//
// Fast path: one CAS to lock, one swap to unlock, no wake when nobody waited. Slow path:
// spin while locked, then mark contended (2) and park; a thread woken re-locks with state 2
// so that its own unlock wakes the next waiter.
import { waitWhile, wake, spinWhile } from './futex';

const UNLOCKED: i32 = 0;
const LOCKED: i32 = 1;
const CONTENDED: i32 = 2;

@inline export function lockAcquire(addr: usize): void {
  if (atomic.cmpxchg<i32>(addr, UNLOCKED, LOCKED) != UNLOCKED) lockContended(addr);
}

@inline export function lockRelease(addr: usize): void {
  if (atomic.xchg<i32>(addr, UNLOCKED) == CONTENDED) wake(addr, 1);
}

function lockContended(addr: usize): void {
  let state = atomic.load<i32>(addr);
  if (state == LOCKED) {
    spinWhile(addr, LOCKED);
    state = atomic.cmpxchg<i32>(addr, UNLOCKED, LOCKED);
    if (state == UNLOCKED) return;
  }
  while (atomic.xchg<i32>(addr, CONTENDED) != UNLOCKED) {
    waitWhile(addr, CONTENDED, -1);
  }
}
