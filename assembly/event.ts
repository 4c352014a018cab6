// Event: a shared flag threads wait for (Win32 events; the lecture notes' signals).
//
//   state UNSET ──set()──▶ SET ──reset()──▶ UNSET
//   manual-reset: set() wakes every waiter; the event stays SET (waits return at once) until
//                 reset()
//   auto-reset:   set() wakes one waiter; a wait consumes the SET (CAS SET → UNSET), so each
//                 set() lets exactly one wait through (a set with nobody waiting is kept for
//                 the next one; two sets before anyone waits are one)
// Waiting: a waiter counts itself, re-checks, and parks on the state word while it reads
// UNSET; set() stores SET before it reads the count (both sequentially consistent), so either
// the waiter sees SET or set() sees the waiter. A woken auto-reset waiter that finds the SET
// taken by a newcomer parks again. The async path parks on the same word (ev_try arms it).
// Containment: a state other than UNSET/SET, or a mode other than 0/1, is corrupted (a wait
// parked on UNSET would return at once, again and again, on any other value).
import { OK, E_AGAIN, E_CLOSED, E_TIMEOUT, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { park, wake, deadlineFrom, expired, TIMED_OUT } from './futex';
import { armWait } from './local';

const F_STATE: usize = OBJ_HEADER;
const F_MANUAL: usize = OBJ_HEADER + 4;
const F_WAITERS: usize = OBJ_HEADER + 8;
export const EVENT_SIZE: usize = OBJ_HEADER + 12;
const UNSET: u32 = 0;
const SET: u32 = 1;

export function eventInit(obj: usize, manual: u32, initial: u32): i32 {
  store<u32>(obj, manual != 0 ? 1 : 0, F_MANUAL);
  store<u32>(obj, initial != 0 ? SET : UNSET, F_STATE);
  return OK;
}

@inline function isManual(obj: usize): bool { return load<u32>(obj, F_MANUAL) != 0; }

export function ev_set(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (atomic.xchg<u32>(obj + F_STATE, SET) == UNSET) {
    // async waiters park on the word without counting themselves: always notify
    wake(obj + F_STATE, isManual(obj) ? i32.MAX_VALUE : 1);
  }
  return OK;
}

export function ev_reset(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  atomic.store<u32>(obj, UNSET, F_STATE);
  return OK;
}

export function ev_is_set(obj: usize): i32 { return atomic.load<u32>(obj, F_STATE) == SET ? 1 : 0; }
export function ev_manual(obj: usize): i32 { return isManual(obj) ? 1 : 0; }

/** One attempt: OK if the event lets this wait through (consuming it if auto-reset), else E_AGAIN armed on the state word. */
export function ev_try(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (atomic.load<u32>(obj, F_STATE) > SET || load<u32>(obj, F_MANUAL) > 1) return E_CORRUPT;
  if (isManual(obj) ? atomic.load<u32>(obj, F_STATE) == SET : atomic.cmpxchg<u32>(obj + F_STATE, SET, UNSET) == SET) return OK;
  return armWait(obj + F_STATE, <i32>UNSET);
}

/** Wait until set: OK, E_TIMEOUT, E_CLOSED once removed. */
export function ev_wait(obj: usize, timeoutMs: f64): i32 {
  let rc = ev_try(obj);
  if (rc != E_AGAIN) return rc;
  const deadline = deadlineFrom(timeoutMs);
  atomic.add<u32>(obj + F_WAITERS, 1);
  while (true) {
    rc = ev_try(obj);
    if (rc != E_AGAIN) break;
    if (park(obj + F_STATE, <i32>UNSET, deadline) == TIMED_OUT || expired(deadline)) {
      rc = ev_try(obj);
      if (rc == E_AGAIN) rc = E_TIMEOUT;
      break;
    }
  }
  atomic.sub<u32>(obj + F_WAITERS, 1);
  return rc;
}

/** Removed: wake everyone so they see E_CLOSED. */
export function eventWakeAll(obj: usize): void { wake(obj + F_STATE, i32.MAX_VALUE); }

/** ipcs: [set, manual, waiters] */
export function eventSummary(obj: usize, out: usize): void {
  store<u32>(out, atomic.load<u32>(obj, F_STATE));
  store<u32>(out, load<u32>(obj, F_MANUAL), 4);
  store<u32>(out, atomic.load<u32>(obj, F_WAITERS), 8);
}
