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
//
// Interrupts (rt.interrupt(tid), the way a signal ends a blocking call): the interrupter sets
// the target's pending flag in the thread table, then wakes the address the target says it
// is parked on. A park checks the flag before and after publishing that address, and sleeps
// in slices of INTERRUPT_SLICE_MS, so an interrupt that lands between the check and the sleep
// is seen within one slice. An interrupted park returns TIMED_OUT and expired() says true:
// every protocol's timeout path (give up, leave the object as it was) runs, and the host
// turns the timeout into InterruptedError when it finds the flag (thread_take_interrupt).
// Waits that must complete (the internal lock, a condition's relock) mask interrupts.
import { canBlock, now, selfTid } from './local';
import { slotOf, isAlive, S_INTR, S_PARKED } from './slots';
import { OK, E_DEAD_PEER } from './status';

export const WAITED: i32 = 0;      // woken (or spurious): re-check the condition
export const NOT_EQUAL: i32 = 1;   // the word had already changed
export const TIMED_OUT: i32 = 2;

const SPIN_MIN: i32 = 512;
const SPIN_MAX: i32 = 131072;
const SHORT_PARK_MS: f64 = 0.2;
let spinLimit: i32 = 4096;
let spinMax: i32 = SPIN_MAX;   // this thread's ceiling (thread_spin_max)

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

/** True once a deadline (from deadlineFrom) has passed, or an interrupt is pending. */
export function expired(deadline: f64): bool {
  return (deadline >= 0 && now() >= deadline) || interruptPending();
}

const INTERRUPT_SLICE_MS: f64 = 50;
/** > 0 while the waits of this thread must not be interrupted (thread-local). */
let masked: i32 = 0;
export function maskInterrupts(): void { masked++; }
export function unmaskInterrupts(): void { masked--; }

/** An interrupt waits for this thread's current or next interruptible wait. */
@inline export function interruptPending(): bool {
  return masked == 0 && selfTid != 0 && atomic.load<u32>(slotOf(selfTid), S_INTR) != 0;
}

/** Spin while (word & mask) equals `expected`, for the adaptive budget. True if it changed. */
export function spinWhile(addr: usize, expected: i32, mask: i32 = -1): bool {
  const limit = spinLimit;
  for (let i = 0; i < limit; i++) {
    if ((atomic.load<i32>(addr) & mask) != expected) return true;
  }
  return false;
}

/**
 * Spin while the word equals `expected` for at least `rounds` re-reads (within this thread's
 * ceiling): for waits whose end is expected soon whatever the adaptive budget learnt from the
 * thread's other waits, a call's reply above all. True if it changed.
 */
export function spinAtLeast(addr: usize, expected: i32, rounds: i32): bool {
  const limit = max(spinLimit, min(rounds, spinMax));
  for (let i = 0; i < limit; i++) if (atomic.load<i32>(addr) != expected) return true;
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
  if (masked != 0 || selfTid == 0) return sleep(addr, expected, deadline, adapt);
  const parked = slotOf(selfTid) + S_PARKED;
  if (interruptPending()) return TIMED_OUT;
  atomic.store<u32>(parked, <u32>addr);
  let r: i32 = TIMED_OUT;
  while (!interruptPending()) {
    const slice = now() + INTERRUPT_SLICE_MS;
    r = sleep(addr, expected, deadline >= 0 && deadline < slice ? deadline : slice, adapt);
    if (r != TIMED_OUT || (deadline >= 0 && now() >= deadline)) break;
    if (atomic.load<i32>(addr) != expected) { r = NOT_EQUAL; break; }
  }
  atomic.store<u32>(parked, 0);
  return interruptPending() ? TIMED_OUT : r;
}

function sleep(addr: usize, expected: i32, deadline: f64, adapt: bool): i32 {
  const ns = remainingNs(deadline);
  if (ns == 0) return TIMED_OUT;
  if (!adapt) return memory.atomic.wait32(addr, expected, ns);
  const t0 = now();
  const r = memory.atomic.wait32(addr, expected, ns);
  if (r == WAITED) {
    spinLimit = now() - t0 < SHORT_PARK_MS ? min(spinLimit << 1, spinMax) : max(spinLimit >> 1, SPIN_MIN);
  }
  return r;
}

/** Uninterruptible park (the internal lock: its holder runs a few instructions). */
export function parkMasked(addr: usize, expected: i32, deadline: f64): i32 {
  masked++;
  const r = park(addr, expected, deadline, false);
  masked--;
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

/**
 * Interrupt thread tid: its current interruptible wait (or its next) ends, and the host
 * reports InterruptedError. OK, or E_DEAD_PEER when tid is not a living thread.
 */
export function thread_interrupt(tid: u32): i32 {
  if (!isAlive(tid)) return E_DEAD_PEER;
  const slot = slotOf(tid);
  atomic.store<u32>(slot, 1, S_INTR);
  const addr = <usize>atomic.load<u32>(slot, S_PARKED);
  if (addr != 0) atomic.notify(addr, i32.MAX_VALUE);   // the others woken re-check and park again
  return OK;
}

/** 1 if an interrupt was pending for this thread (it is then cleared). */
export function thread_take_interrupt(): i32 {
  if (selfTid == 0) return 0;
  return atomic.xchg<u32>(slotOf(selfTid) + S_INTR, 0) != 0 ? 1 : 0;
}

/** Block while the word at addr equals expected (spin first). 0 woken, 1 not equal, 2 timed out. */
export function futex_wait(addr: usize, expected: i32, timeoutMs: f64): i32 {
  return waitWhile(addr, expected, deadlineFrom(timeoutMs));
}

/** Wake up to `count` waiters (count < 0: all). Returns how many were woken. */
export function futex_wake(addr: usize, count: i32): i32 {
  return wake(addr, count < 0 ? i32.MAX_VALUE : count);
}

/**
 * Cap this thread's spin budget at `rounds` re-reads (SPIN_MIN..SPIN_MAX): for a thread whose
 * waits are long next to a hand-off, or one of more threads than cores, whose spinning would
 * take the core from the thread it waits for (a pool's workers). Returns the cap now.
 */
export function thread_spin_max(rounds: i32): i32 {
  spinMax = min(max(rounds, SPIN_MIN), SPIN_MAX);
  spinLimit = min(spinLimit, spinMax);
  return spinMax;
}

/** Spin (no park) while the word equals expected. 1 if it changed. For the host's async path. */
export function futex_spin(addr: usize, expected: i32): i32 {
  return spinWhile(addr, expected) ? 1 : 0;
}
