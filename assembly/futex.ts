// Futex helpers: the one place that parks a thread.
//
// A wait is spin-then-park: a futex wake costs tens of microseconds here while a
// cache-line hand-off costs well under one, so a waiter first re-reads the word for a
// bounded number of rounds, and only then sleeps in memory.atomic.wait32.
//
// The budget is per thread and adapts to how long parks turn out to last. A short park
// (woken within SHORT_PARK_MS) means the event came just after we gave up: spinning longer
// would have caught it, and avoided two futex wake latencies (without this, two threads
// handing a turn back and forth fall into a state where each parks because the other's
// wake-up is slow). A long park means the event was far off: spin less. The budget stays
// between SPIN_MIN (~0.4 us) and SPIN_MAX (~100 us) of re-reading one word.
//
// Deadlines are absolute times on the host's clock (ms); a deadline < 0 means none.
import { canBlock, now } from './local';

export const WAITED: i32 = 0;      // woken (or spurious): re-check the condition
export const NOT_EQUAL: i32 = 1;   // the word had already changed
export const TIMED_OUT: i32 = 2;

const SPIN_MIN: i32 = 512;
const SPIN_MAX: i32 = 131072;
const SHORT_PARK_MS: f64 = 0.2;
let spinLimit: i32 = 4096;

/** Deadline (ms, host clock) from a timeout in ms; -1 for none (negative or infinite). */
export function deadlineFrom(timeoutMs: f64): f64 {
  if (timeoutMs < 0 || !isFinite(timeoutMs)) return -1;
  return now() + timeoutMs;
}

/** Remaining ns until the deadline for wait32: -1 for none, 0 when past. */
function remainingNs(deadline: f64): i64 {
  if (deadline < 0) return -1;
  const left = deadline - now();
  return left <= 0 ? 0 : <i64>(left * 1e6);
}

/** True once a deadline (from deadlineFrom) has passed. */
export function expired(deadline: f64): bool {
  return deadline >= 0 && now() >= deadline;
}

/** Spin while (word & mask) equals `expected`, for the adaptive budget. True if it changed. */
export function spinWhile(addr: usize, expected: i32, mask: i32 = -1): bool {
  const limit = spinLimit;
  for (let i = 0; i < limit; i++) {
    if ((atomic.load<i32>(addr) & mask) != expected) return true;
  }
  return false;
}

const BRIEF: i32 = 100;

/**
 * Spin a short, fixed while (the word equals expected): locks use this instead of the
 * adaptive budget, as Rust std's futex locks do. Under contention, letting the running
 * holder keep its cache line beats waiters bouncing it between cores. True if it changed.
 */
export function spinBriefly(addr: usize, expected: i32): bool {
  for (let i = 0; i < BRIEF; i++) if (atomic.load<i32>(addr) != expected) return true;
  return false;
}

/**
 * Park while the word equals `expected`, until woken or the deadline. Returns WAITED,
 * NOT_EQUAL or TIMED_OUT. `adapt`: time the park to tune the spin budget (waits that spin
 * with spinWhile); locks pass false and save the two clock reads. A thread that may not block polls instead (a caller on such a
 * thread should have used the try form; internal locks held for a few instructions are
 * the only users of this path).
 */
export function park(addr: usize, expected: i32, deadline: f64, adapt: bool = true): i32 {
  if (!canBlock) {
    while (atomic.load<i32>(addr) == expected) {
      if (expired(deadline)) return TIMED_OUT;
    }
    return NOT_EQUAL;
  }
  const ns = remainingNs(deadline);
  if (ns == 0) return TIMED_OUT;
  if (!adapt) return memory.atomic.wait32(addr, expected, ns);
  const t0 = now();
  const r = memory.atomic.wait32(addr, expected, ns);
  if (r == WAITED) {
    spinLimit = now() - t0 < SHORT_PARK_MS ? min(spinLimit << 1, SPIN_MAX) : max(spinLimit >> 1, SPIN_MIN);
  }
  return r;
}

/** Spin, then park, while the word equals `expected`. */
export function waitWhile(addr: usize, expected: i32, deadline: f64): i32 {
  if (spinWhile(addr, expected)) return NOT_EQUAL;
  return park(addr, expected, deadline);
}

export function wake(addr: usize, count: i32): i32 {
  return atomic.notify(addr, count);
}

// ABI

/** Block while the word at addr equals expected (spin first). 0 woken, 1 not equal, 2 timed out. */
export function futex_wait(addr: usize, expected: i32, timeoutMs: f64): i32 {
  return waitWhile(addr, expected, deadlineFrom(timeoutMs));
}

/** Wake up to `count` waiters (count < 0: all). Returns how many were woken. */
export function futex_wake(addr: usize, count: i32): i32 {
  return wake(addr, count < 0 ? i32.MAX_VALUE : count);
}

/** Spin (no park) while the word equals expected. 1 if it changed. For the host's async path. */
export function futex_spin(addr: usize, expected: i32): i32 {
  return spinWhile(addr, expected) ? 1 : 0;
}
