// Once: an initializer that runs exactly once across threads, and Latch: a countdown.
//
// Once state (+0): NEW 0, DONE 1, or running: runner tid << 2 | 2.
//   begin: CAS NEW → me|2: the caller runs the initializer          (or DONE: nothing to do)
//   finish(ok): DONE (or back to NEW after a failure, so another caller may try); wake all
//   a runner's death puts it back to NEW and wakes the waiters (kindOnThreadDeath)
//
// Latch count (+0): count_down(n) subtracts (refusing to go below 0); the one that reaches
// 0 wakes all; waiters park on the count.
//
// Containment: a once state no step writes (not NEW, DONE or a runner's id | RUNNING) and a
// negative latch count are corrupted (E_CORRUPT); a state naming this thread as the runner is
// a run from inside its own initializer (E_DEADLOCK: it would wait for itself).
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_INVAL, E_PERM, E_CORRUPT, E_DEADLOCK } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { waitWhile, deadlineFrom, expired, wake, TIMED_OUT } from './futex';
import { selfTid, armWait } from './local';
import { isAlive } from './slots';
import { isTidForm } from './guard';

const O_STATE: usize = OBJ_HEADER;
export const ONCE_SIZE: usize = OBJ_HEADER + 8;
const NEW: u32 = 0;
const DONE: u32 = 1;
const RUNNING: u32 = 2;
export const RUN: i32 = 1;

/** RUN (1): the caller must run the initializer, then once_finish. OK (0): already done. E_AGAIN: armed. */
export function once_begin(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  while (true) {
    const s = atomic.load<u32>(obj, O_STATE);
    if (s == DONE) return OK;
    if (s != NEW && ((s & 3) != RUNNING || !isTidForm(s >> 2))) return E_CORRUPT;
    if (s == ((selfTid << 2) | RUNNING)) return E_DEADLOCK;
    if (s == NEW || !isAlive(s >> 2)) {
      if (atomic.cmpxchg<u32>(obj + O_STATE, s, (selfTid << 2) | RUNNING) == s) return RUN;
      continue;
    }
    return armWait(obj + O_STATE, <i32>s);
  }
}

export function once_finish(obj: usize, ok: i32): i32 {
  const s = atomic.load<u32>(obj, O_STATE);
  if (s != ((selfTid << 2) | RUNNING)) return E_PERM;
  atomic.store<u32>(obj, ok != 0 ? DONE : NEW, O_STATE);
  wake(obj + O_STATE, i32.MAX_VALUE);
  return OK;
}

/** Block until the state leaves s (a runner finished or died). */
export function once_wait(obj: usize, s: u32, timeoutMs: f64): i32 {
  const r = waitWhile(obj + O_STATE, <i32>s, deadlineFrom(timeoutMs));
  if (objRemoved(obj)) return E_CLOSED;
  return r == TIMED_OUT && atomic.load<u32>(obj, O_STATE) == s ? E_TIMEOUT : OK;
}

export function once_done(obj: usize): i32 { return atomic.load<u32>(obj, O_STATE) == DONE ? 1 : 0; }

export function onceOnDeath(obj: usize, tid: u32): void {
  const s = atomic.load<u32>(obj, O_STATE);
  if ((s & 3) == RUNNING && (s >> 2) == tid && atomic.cmpxchg<u32>(obj + O_STATE, s, NEW) == s) {
    wake(obj + O_STATE, i32.MAX_VALUE);
  }
}

export function onceWakeAll(obj: usize): void { wake(obj + O_STATE, i32.MAX_VALUE); }

/** ipcs: [done, runner tid] */
export function onceSummary(obj: usize, out: usize): void {
  const s = atomic.load<u32>(obj, O_STATE);
  store<u32>(out, s == DONE ? 1 : 0);
  store<u32>(out, (s & 3) == RUNNING ? s >> 2 : 0, 4);
}

// ---- Latch ----

const L_COUNT: usize = OBJ_HEADER;
export const LATCH_SIZE: usize = OBJ_HEADER + 8;

export function latchInit(obj: usize, count: u32): i32 {
  if (count > 0x7fffffff) return E_INVAL;
  store<u32>(obj, count, L_COUNT);
  return OK;
}

/** Count down by n; E_INVAL (nothing changes) below zero. Returns the new count. */
export function latch_count_down(obj: usize, n: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (n <= 0) return E_INVAL;
  let c = atomic.load<i32>(obj, L_COUNT);
  while (true) {
    if (c < 0) return E_CORRUPT;
    if (n > c) return E_INVAL;
    const seen = atomic.cmpxchg<i32>(obj + L_COUNT, c, c - n);
    if (seen == c) break;
    c = seen;
  }
  if (c == n) wake(obj + L_COUNT, i32.MAX_VALUE);
  return c - n;
}

/** OK once the count is 0; else E_AGAIN armed on the count. */
export function latch_step(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  const c = atomic.load<i32>(obj, L_COUNT);
  if (c < 0) return E_CORRUPT;
  return c == 0 ? OK : armWait(obj + L_COUNT, c);
}

export function latch_wait(obj: usize, timeoutMs: f64): i32 {
  const deadline = deadlineFrom(timeoutMs);
  while (true) {
    if (objRemoved(obj)) return E_CLOSED;
    const c = atomic.load<i32>(obj, L_COUNT);
    if (c == 0) return OK;
    if (c < 0) return E_CORRUPT;
    if (waitWhile(obj + L_COUNT, c, deadline) == TIMED_OUT || expired(deadline)) {
      return atomic.load<i32>(obj, L_COUNT) == 0 ? OK : E_TIMEOUT;
    }
  }
}

export function latch_count(obj: usize): i32 { return atomic.load<i32>(obj, L_COUNT); }
export function latchWakeAll(obj: usize): void { wake(obj + L_COUNT, i32.MAX_VALUE); }
export function latchSummary(obj: usize, out: usize): void { store<i32>(out, atomic.load<i32>(obj, L_COUNT)); }
