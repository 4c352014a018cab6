// CondVar: a sequence word that waiters park on, and a state word that counts waiters and
// pending signals, so that notify() wakes exactly one waiter (as a semaphore's release(1)
// does) and a notify with nobody waiting costs no futex wake.
//
//   seq   (+0, the futex word): bumped by every notify, so a parked waiter sees a change
//   state (+4): w = registered waiters (low 16 bits), s = signals not yet taken (high 16),
//                s <= w always: a signal is only ever given to a registered waiter
//
//   wait(m):    g = seq; w++; unlock m; loop { park while seq == g; g = seq; take? } ; relock m
//               take: if s > 0 { s--; w-- } — the waiter is notified and unregistered
//   timeout:    take if a signal is pending (notified after all), else w-- (timed out)
//   abort:      w--, s = min(s, w); if s > 0 wake one (the signal it may have had goes on)
//   notify:     if s < w { s++; seq++; wake one }      notifyAll: s = w; seq++; wake all
//   remove:     seq++; wake all (every waiter ends with E_CLOSED, unregistering)
//
// No lost wake-up: every state change is a sequentially consistent RMW and seq is read
// before the waiter registers (and again before each take), while a notifier gives its
// signal before it bumps seq. So a waiter that registered before a notify's signal reads
// an older seq than that notify's bump and does not sleep through it; a waiter that fails
// to take reads seq first, so a signal given after the failed take bumps seq after the read.
// Exactly one: a signal is taken once, by one waiter, so one notify returns one wait as
// notified; other waiters that see seq move (spinning, or woken by a wake meant for the
// taker) find no signal and park again. A waiter that registers just after a notify may take
// that notify's signal before an older waiter does (a "stolen" wake-up, as in glibc before
// 2.25); with the mutex held around notify, as is usual, that cannot happen.
// A waiter that dies while registered keeps its registration: at most one signal per dead
// waiter is given to nobody. The relock ignores the timeout (as pthread_cond_timedwait does)
// and reports owner death.
import { OK, E_AGAIN, E_TIMEOUT, E_LIMIT, E_CLOSED, E_PERM, E_OWNER_DEAD, E_NOT_RECOVERABLE, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { waitWhile, deadlineFrom, wake, TIMED_OUT, maskInterrupts, unmaskInterrupts } from './futex';
import { mutexUnlock, mutexLock, mutex_owner } from './mutex';
import { selfTid, armWait, wait_value } from './local';

const C_SEQ: usize = 0;
const C_STATE: usize = 4;
export const CONDVAR_SIZE: usize = 8;
const ONE_WAITER: u32 = 1;
const ONE_SIGNAL: u32 = 1 << 16;
const MAX_WAITERS: u32 = 0xFFFF;
@inline function waitersOf(st: u32): u32 { return st & 0xFFFF; }
@inline function signalsOf(st: u32): u32 { return st >>> 16; }

/** Register as a waiter and release the mutex: E_AGAIN armed on the sequence, or E_PERM/E_LIMIT. */
export function cvBegin(cv: usize, mutexObj: usize): i32 {
  if (mutex_owner(mutexObj) != selfTid) return E_PERM;
  const seq = atomic.load<i32>(cv, C_SEQ);   // before registering: see the header
  for (;;) {
    const st = atomic.load<u32>(cv, C_STATE);
    if (waitersOf(st) == MAX_WAITERS) return E_LIMIT;
    if (atomic.cmpxchg<u32>(cv + C_STATE, st, st + ONE_WAITER) == st) break;
  }
  mutexUnlock(mutexObj + OBJ_HEADER);
  return armWait(cv + C_SEQ, seq);
}

/** Take a pending signal (notified, unregistered): OK, or E_AGAIN armed on the sequence. */
export function cvTake(cv: usize): i32 {
  const seq = atomic.load<i32>(cv, C_SEQ);   // before the take: a later signal moves seq past it
  let st: u32;
  do {
    st = atomic.load<u32>(cv, C_STATE);
    if (signalsOf(st) == 0) return armWait(cv + C_SEQ, seq);
  } while (atomic.cmpxchg<u32>(cv + C_STATE, st, st - ONE_SIGNAL - ONE_WAITER) != st);
  return OK;
}

/**
 * Stop waiting without a signal in hand (timed out, interrupted, aborted, removed): take one
 * if pending (OK: notified after all), else unregister (E_TIMEOUT), in one RMW so that
 * s <= w holds. An aborted wait passes a pending signal on instead of taking it, since its
 * caller will not act on the notify.
 */
export function cvEnd(cv: usize, passOn: bool): i32 {
  let st: u32, s: u32, took: bool;
  do {
    st = atomic.load<u32>(cv, C_STATE);
    const w = waitersOf(st) - 1;
    s = signalsOf(st);
    took = s > 0 && !passOn;
    s = took ? s - 1 : min(s, w);
  } while (atomic.cmpxchg<u32>(cv + C_STATE, st, (s << 16) | (waitersOf(st) - 1)) != st);
  if (took) return OK;
  if (s > 0) { atomic.add<i32>(cv + C_SEQ, 1); wake(cv + C_SEQ, 1); }   // passed on
  return E_TIMEOUT;
}

/** cvTake, but a wait on a removed object ends (unregistered) with E_CLOSED instead of re-parking. */
function takeOrClosed(cvObj: usize, cv: usize): i32 {
  const rc = cvTake(cv);
  if (rc != E_AGAIN || !objRemoved(cvObj)) return rc;   // removal sets the flag, then bumps seq
  cvEnd(cv, false);
  return E_CLOSED;
}

function cvWait(cvObj: usize, cv: usize, mutexObj: usize, timeoutMs: f64): i32 {
  let rc = cvBegin(cv, mutexObj);
  if (rc != E_AGAIN) return rc;
  const deadline = deadlineFrom(timeoutMs);
  do {
    if (waitWhile(cv + C_SEQ, wait_value(), deadline) == TIMED_OUT) { rc = cvEnd(cv, false); break; }
    rc = takeOrClosed(cvObj, cv);
  } while (rc == E_AGAIN);
  maskInterrupts();   // the relock must complete: an interrupt ends the wait, not the relock
  const relock = mutexLock(mutexObj, mutexObj + OBJ_HEADER, -1);
  unmaskInterrupts();
  if (relock == E_OWNER_DEAD || relock == E_CLOSED || relock == E_NOT_RECOVERABLE || relock == E_CORRUPT) return relock;   // (E_OWNER_DEAD: relocked from a dead owner; the others: not held)
  if (objRemoved(cvObj)) return E_CLOSED;
  return rc;
}

/** Give one signal (all: one per waiter without one) and wake as many; nothing if none waits. */
export function cvNotify(cv: usize, all: bool): void {
  for (;;) {
    const st = atomic.load<u32>(cv, C_STATE);
    const w = waitersOf(st), s = signalsOf(st);
    if (s >= w) return;   // nobody waits, or every waiter already has its signal
    if (atomic.cmpxchg<u32>(cv + C_STATE, st, all ? (w << 16) | w : st + ONE_SIGNAL) == st) break;
  }
  atomic.add<i32>(cv + C_SEQ, 1);
  wake(cv + C_SEQ, all ? i32.MAX_VALUE : 1);
}

/** ipcs: [waiters, seq] */
export function cvSummary(cv: usize, out: usize): void {
  store<u32>(out, waitersOf(atomic.load<u32>(cv, C_STATE)));
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
export function cv_take(cv: usize): i32 { return takeOrClosed(cv, cv + OBJ_HEADER); }
export function cv_end(cv: usize, passOn: i32): i32 { return cvEnd(cv + OBJ_HEADER, passOn != 0); }
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
export function monitor_take(obj: usize): i32 { return takeOrClosed(obj, obj + MONITOR_CV); }
export function monitor_end(obj: usize, passOn: i32): i32 { return cvEnd(obj + MONITOR_CV, passOn != 0); }
export function monitor_notify(obj: usize, all: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  cvNotify(obj + MONITOR_CV, all != 0);
  return OK;
}
