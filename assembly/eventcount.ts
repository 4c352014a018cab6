// An eventcount: a sequence number that waiters watch, with a waiters bit so that a signal
// costs no futex wake when nobody sleeps. The word is seq << 1 | WAITERS.
//
//   signal:  add 2 (seq++); if the bit was set, clear it and wake all
//   wait(seen): spin while seq == seen; then set the bit (CAS seq<<1 → seq<<1|1) and park
//               on seq<<1|1. A signal between the CAS and the park changes the word, so the
//               park returns at once: no lost wake-up.
//
// It is the building block of condition variables, events and the host's async waits: a
// waiter reads the sequence, checks its condition, and waits for the sequence to move.
import { spinWhile, park, deadlineFrom, expired, TIMED_OUT, WAITED } from './futex';

const WAITERS: i32 = 1;

@inline export function ecSeq(addr: usize): u32 { return atomic.load<u32>(addr) >> 1; }

export function ecSignal(addr: usize): void {
  const old = atomic.add<u32>(addr, 2);
  if (old & WAITERS) {
    atomic.and<u32>(addr, ~WAITERS);
    atomic.notify(addr, i32.MAX_VALUE);
  }
}

/**
 * Set the waiters bit unless the sequence has moved past `seen`. Returns the word to park
 * on, or -1 when it moved (so the caller must not park). The host's async path uses it
 * before Atomics.waitAsync.
 */
export function ecPrepare(addr: usize, seen: u32): i64 {
  while (true) {
    const v = atomic.load<u32>(addr);
    if ((v >> 1) != seen) return -1;
    if (v & WAITERS) return <i64>v;
    if (atomic.cmpxchg<u32>(addr, v, v | WAITERS) == v) return <i64>(v | WAITERS);
  }
}

/** Wait until the sequence moves past `seen`, or the deadline. WAITED when it moved, TIMED_OUT otherwise. */
export function ecWait(addr: usize, seen: u32, deadline: f64): i32 {
  if (spinWhile(addr, <i32>(seen << 1), ~WAITERS)) return WAITED;
  while (true) {
    const v = ecPrepare(addr, seen);
    if (v < 0) return WAITED;
    if (park(addr, <i32>v, deadline) == TIMED_OUT && ecSeq(addr) == seen) return TIMED_OUT;
    if (expired(deadline) && ecSeq(addr) == seen) return TIMED_OUT;
  }
}

// ABI: an eventcount at any 4-aligned word of an object the host was handed.

export function ec_seq(addr: usize): u32 { return ecSeq(addr); }
export function ec_signal(addr: usize): void { ecSignal(addr); }
export function ec_prepare(addr: usize, seen: u32): i64 { return ecPrepare(addr, seen); }
/** 0 once the sequence moved past seen, 2 on timeout. */
export function ec_wait(addr: usize, seen: u32, timeoutMs: f64): i32 {
  return ecWait(addr, seen, deadlineFrom(timeoutMs)) == TIMED_OUT ? TIMED_OUT : WAITED;
}
/** Spin only: 1 if the sequence moved past seen. */
export function ec_spin(addr: usize, seen: u32): i32 {
  return spinWhile(addr, <i32>(seen << 1), ~WAITERS) ? 1 : 0;
}

