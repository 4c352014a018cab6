// CondVar: a sequence counter that waiters watch, plus a count of waiters so that a notify
// with nobody waiting costs no futex wake (Rust std's futex Condvar, with that counter).
//
//   wait(m):   waiters++; s = seq; unlock m; park while seq == s; waiters--; relock m
//   notify:    seq++; if waiters: wake one      notifyAll: seq++; if waiters: wake all
//
// No lost wake-up: the waiter reads seq before it unlocks the mutex, so a notify that
// follows the unlock changes seq and the park returns at once; waiters++ (a RMW) precedes
// the read of seq, and the notifier's seq++ (a RMW) precedes its read of waiters, so one
// of the two sees the other. Wake-ups may be spurious: callers re-check their condition.
// The relock ignores the timeout (as pthread_cond_timedwait does) and reports owner death.
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_PERM, E_OWNER_DEAD, E_NOT_RECOVERABLE, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { waitWhile, deadlineFrom, wake, TIMED_OUT, maskInterrupts, unmaskInterrupts } from './futex';
import { mutexUnlock, mutexLock, mutex_owner } from './mutex';
import { selfTid, armWait, wait_value } from './local';

const C_SEQ: usize = 0;
const C_WAITERS: usize = 4;
export const CONDVAR_SIZE: usize = 8;

/** Register as a waiter and release the mutex: E_AGAIN armed on the sequence, or E_PERM. */
export function cvBegin(cv: usize, mutexObj: usize): i32 {
  if (mutex_owner(mutexObj) != selfTid) return E_PERM;
  atomic.add<u32>(cv + C_WAITERS, 1);
  const seq = atomic.load<i32>(cv, C_SEQ);
  mutexUnlock(mutexObj + OBJ_HEADER);
  return armWait(cv + C_SEQ, seq);
}

/** Done waiting (woken, timed out or aborted): unregister. The caller relocks. */
export function cvEnd(cv: usize): void { atomic.sub<u32>(cv + C_WAITERS, 1); }

function cvWait(cvObj: usize, cv: usize, mutexObj: usize, timeoutMs: f64): i32 {
  const rc = cvBegin(cv, mutexObj);
  if (rc != E_AGAIN) return rc;
  const seq = wait_value();
  const r = waitWhile(cv + C_SEQ, seq, deadlineFrom(timeoutMs));
  cvEnd(cv);
  maskInterrupts();   // the relock must complete: an interrupt ends the wait, not the relock
  const relock = mutexLock(mutexObj, mutexObj + OBJ_HEADER, -1);
  unmaskInterrupts();
  if (relock == E_OWNER_DEAD || relock == E_CLOSED || relock == E_NOT_RECOVERABLE || relock == E_CORRUPT) return relock;   // (E_OWNER_DEAD: relocked from a dead owner; the others: not held)
  if (objRemoved(cvObj)) return E_CLOSED;
  return r == TIMED_OUT && atomic.load<i32>(cv, C_SEQ) == seq ? E_TIMEOUT : OK;
}

export function cvNotify(cv: usize, all: bool): void {
  atomic.add<i32>(cv + C_SEQ, 1);
  if (atomic.load<u32>(cv, C_WAITERS) != 0) wake(cv + C_SEQ, all ? i32.MAX_VALUE : 1);
}

/** ipcs: [waiters, seq] */
export function cvSummary(cv: usize, out: usize): void {
  store<u32>(out, atomic.load<u32>(cv, C_WAITERS));
  store<i32>(out, atomic.load<i32>(cv, C_SEQ), 4);
}

export function cvWakeAll(cv: usize): void {
  atomic.add<i32>(cv + C_SEQ, 1);
  wake(cv + C_SEQ, i32.MAX_VALUE);
}

// ABI: the CondVar kind (its words after the header), and the Monitor kind (a mutex and a
// condvar in one object: mutex words at OBJ_HEADER, as in a Mutex, condvar words after them).
export const MONITOR_CV: usize = OBJ_HEADER + 8;

export function cv_wait(cv: usize, mutexObj: usize, timeoutMs: f64): i32 {
  if (objRemoved(cv) || objRemoved(mutexObj)) return E_CLOSED;
  return cvWait(cv, cv + OBJ_HEADER, mutexObj, timeoutMs);
}
export function cv_begin(cv: usize, mutexObj: usize): i32 {
  if (objRemoved(cv) || objRemoved(mutexObj)) return E_CLOSED;
  return cvBegin(cv + OBJ_HEADER, mutexObj);
}
export function cv_end(cv: usize): void { cvEnd(cv + OBJ_HEADER); }
export function cv_notify(cv: usize, all: i32): i32 {
  if (objRemoved(cv)) return E_CLOSED;
  cvNotify(cv + OBJ_HEADER, all != 0);
  return OK;
}

export function monitor_wait(obj: usize, timeoutMs: f64): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  return cvWait(obj, obj + MONITOR_CV, obj, timeoutMs);
}
export function monitor_begin(obj: usize): i32 { return objRemoved(obj) ? E_CLOSED : cvBegin(obj + MONITOR_CV, obj); }
export function monitor_end(obj: usize): void { cvEnd(obj + MONITOR_CV); }
export function monitor_notify(obj: usize, all: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  cvNotify(obj + MONITOR_CV, all != 0);
  return OK;
}
