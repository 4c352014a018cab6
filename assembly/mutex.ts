// Mutex: the three-state futex mutex (Drepper, "Futexes Are Tricky"; Rust std's
// sys/sync/mutex/futex.rs), made robust like PTHREAD_MUTEX_ROBUST.
//
// Lock word (+0): 0 free, or owner tid << 2 | 1 (locked) or | 2 (locked, maybe waiters)
// or | 3 (the owner died: the death hook changed the word, so no waiter parks on it).
// Robust word (+4): CONSISTENT, INCONSISTENT (owner died, the new owner has not called
// consistent() yet), or NOT_RECOVERABLE.
//
//   free ──lock: CAS 0 → me|1──▶ locked(me)                                    fast path
//   (a locker that finds it locked without waiters spins 100 reads first; with waiters, it parks)
//   locked(o) ──a waiter: set |2, park on the word──▶ contended(o)
//   locked(me)|contended(me) ──unlock: swap 0; wake one if it was contended──▶ free
//   locked(o), o dead ──a locker: CAS → me|2──▶ locked(me), INCONSISTENT: E_OWNER_DEAD
//   INCONSISTENT ──consistent()──▶ CONSISTENT
//   INCONSISTENT ──unlock without consistent()──▶ NOT_RECOVERABLE: every lock fails, waiters woken
//   (a locker that CASes the freed word after that unlock sees NOT_RECOVERABLE and lets go)
//
// Who wakes whom: unlock wakes one waiter when the word said 2; a thread's death wakes all
// waiters of the locks it owned (kindOnThreadDeath), who find the owner dead and race to
// take over; a removal wakes all, who see E_CLOSED. A woken waiter re-locks with |2 so its
// own unlock wakes the next; a waiter that gives up (timeout, abort) passes a wake on.
// Containment: a lock word no locker writes (held bits 0, an owner that is no thread id, or
// OWNER_DIED naming a live thread) or a robust word past NOT_RECOVERABLE is corrupted
// (E_CORRUPT: a waiter would otherwise park on a value the word does not hold, and spin).
// A well-formed word naming a thread that is not alive is a lock whose owner died: taken over.
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_OWNER_DEAD, E_NOT_RECOVERABLE, E_PERM, E_INVAL, E_DEADLOCK, E_CORRUPT } from './status';
import { isTidForm } from './guard';
import { OBJ_HEADER, objRemoved } from './object';
import { park, spinBriefly, deadlineFrom, expired, wake, TIMED_OUT } from './futex';
import { selfTid, armWait, wait_value } from './local';
import { isAlive } from './slots';

export const MUTEX_SIZE: usize = 8;
const W_LOCK: usize = 0;
const W_ROBUST: usize = 4;

const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;
const OWNER_DIED: u32 = 3;
const CONSISTENT: u32 = 0;
const INCONSISTENT: u32 = 1;
const NOT_RECOVERABLE: u32 = 2;


@inline function ownerOf(v: u32): u32 { return v >> 2; }
/** A held word no locker writes. */
@inline function malformed(v: u32): bool { return (v & 3) == 0 || !isTidForm(v >> 2); }
/** The robust word's verdict before a lock: 0 to go on, or E_NOT_RECOVERABLE / E_CORRUPT. */
@inline function robustBars(m: usize): i32 {
  const r = atomic.load<u32>(m, W_ROBUST);
  return r < NOT_RECOVERABLE ? 0 : r == NOT_RECOVERABLE ? E_NOT_RECOVERABLE : E_CORRUPT;
}

// Mutex fields may sit inside another object (a Monitor): `m` is the address of the two words.

/** One attempt: OK, E_OWNER_DEAD (acquired from a dead owner), or E_AGAIN. No side effects on failure. */
export function mutexTry(m: usize): i32 {
  const barred = robustBars(m);
  if (barred != 0) return barred;
  const me = selfTid << 2;
  const v = atomic.cmpxchg<u32>(m + W_LOCK, 0, me | LOCKED);
  if (v == 0) return acquired(m);
  if (malformed(v)) return E_CORRUPT;
  if (isAlive(ownerOf(v))) return (v & 3) == OWNER_DIED ? E_CORRUPT : E_AGAIN;
  return takeOver(m, v);
}

/**
 * We hold the word. The robust word is stored before an unrecoverable unlock frees the word,
 * so reading it after our CAS tells whether we took a lock that is already NOT_RECOVERABLE.
 */
@inline function acquired(m: usize): i32 {
  if (atomic.load<u32>(m, W_ROBUST) != NOT_RECOVERABLE) return OK;
  atomic.store<u32>(m, 0, W_LOCK);
  wake(m + W_LOCK, i32.MAX_VALUE);
  return E_NOT_RECOVERABLE;
}

/** The owner died holding it: take it (keeping |2: others may wait) and mark it inconsistent. */
function takeOver(m: usize, v: u32): i32 {
  if (atomic.cmpxchg<u32>(m + W_LOCK, v, (selfTid << 2) | CONTENDED) != v) return E_AGAIN;
  atomic.store<u32>(m, INCONSISTENT, W_ROBUST);
  return E_OWNER_DEAD;
}

/**
 * Try, or arm the lock word for a park: set the contended bit so that the unlock wakes us.
 * Returns OK / E_OWNER_DEAD / E_NOT_RECOVERABLE, or E_AGAIN with the word to park on.
 */
export function mutexStep(m: usize): i32 {
  while (true) {
    const barred = robustBars(m);
    if (barred != 0) return barred;
    const v = atomic.load<u32>(m, W_LOCK);
    if (v == 0) {
      // A thread that has waited takes the lock as contended: others may still be parked.
      if (atomic.cmpxchg<u32>(m + W_LOCK, 0, (selfTid << 2) | CONTENDED) == 0) return acquired(m);
      continue;
    }
    if (malformed(v)) return E_CORRUPT;
    if (!isAlive(ownerOf(v))) {
      const rc = takeOver(m, v);
      if (rc != E_AGAIN) return rc;
      continue;
    }
    if ((v & 3) == OWNER_DIED) return E_CORRUPT;   // (marked by the death hook: never a live owner)
    if ((v & 3) == LOCKED && atomic.cmpxchg<u32>(m + W_LOCK, v, (v & ~3) | CONTENDED) != v) continue;
    return armWait(m + W_LOCK, <i32>((v & ~3) | CONTENDED));
  }
}

/** Blocking lock with a timeout (ms, < 0 none): spin while held, then park. */
export function mutexLock(obj: usize, m: usize, timeoutMs: f64): i32 {
  let rc = mutexTry(m);
  if (rc != E_AGAIN) return rc;
  const v = atomic.load<u32>(m, W_LOCK);
  if (ownerOf(v) == selfTid) return E_DEADLOCK;
  const deadline = deadlineFrom(timeoutMs);
  // Spin briefly, and only while nobody waits (Rust std does the same): once waiters park,
  // letting the running holder re-take the lock beats bouncing its cache line between cores.
  if ((v & 3) == LOCKED && spinBriefly(m + W_LOCK, <i32>v)) {
    rc = mutexTry(m);
    if (rc != E_AGAIN) return rc;
  }
  while (true) {
    if (objRemoved(obj)) return E_CLOSED;
    rc = mutexStep(m);
    if (rc != E_AGAIN) return rc;
    if (park(m + W_LOCK, wait_value(), deadline, false) == TIMED_OUT || expired(deadline)) {
      mutexGiveUp(m);
      return E_TIMEOUT;
    }
  }
}

/**
 * A waiter leaves without the lock (timeout, abort): it may have consumed the wake-up
 * meant for the next waiter, so it passes one on. A spurious wake costs a re-check; a
 * lost one would leave waiters parked on a free lock.
 */
export function mutexGiveUp(m: usize): void { wake(m + W_LOCK, 1); }

/** Unlock: E_PERM (nothing changes) if this thread does not hold it. */
export function mutexUnlock(m: usize): i32 {
  const v = atomic.load<u32>(m, W_LOCK);
  if (v == 0 || ownerOf(v) != selfTid) return E_PERM;
  if (atomic.load<u32>(m, W_ROBUST) == INCONSISTENT) {
    // Unlocked without consistent(): nobody may trust the data again.
    atomic.store<u32>(m, NOT_RECOVERABLE, W_ROBUST);
    atomic.store<u32>(m, 0, W_LOCK);
    wake(m + W_LOCK, i32.MAX_VALUE);
    return OK;
  }
  if (atomic.xchg<u32>(m + W_LOCK, 0) & CONTENDED) wake(m + W_LOCK, 1);
  return OK;
}

/** Mark the state protected by a lock taken with E_OWNER_DEAD as consistent again. */
export function mutexConsistent(m: usize): i32 {
  const v = atomic.load<u32>(m, W_LOCK);
  if (v == 0 || ownerOf(v) != selfTid) return E_PERM;
  if (atomic.load<u32>(m, W_ROBUST) != INCONSISTENT) return E_INVAL;
  atomic.store<u32>(m, CONSISTENT, W_ROBUST);
  return OK;
}

/**
 * A thread died: if it owned the lock, mark the word OWNER_DIED and wake every waiter so one
 * of them takes over. Changing the word matters: a waiter that saw the owner alive just
 * before its death may park only now, and must find the word changed (as FUTEX_OWNER_DIED).
 */
export function mutexOnDeath(m: usize, tid: u32): void {
  let v = atomic.load<u32>(m, W_LOCK);
  while (v != 0 && ownerOf(v) == tid) {
    const seen = atomic.cmpxchg<u32>(m + W_LOCK, v, (tid << 2) | OWNER_DIED);
    if (seen == v) { wake(m + W_LOCK, i32.MAX_VALUE); return; }
    v = seen;
  }
}

export function mutexWakeAll(m: usize): void { wake(m + W_LOCK, i32.MAX_VALUE); }

/** ipcs: [owner tid or 0, 1 if contended, robust state] */
export function mutexSummary(m: usize, out: usize): void {
  const v = atomic.load<u32>(m, W_LOCK);
  store<u32>(out, ownerOf(v));
  store<u32>(out, (v & 3) == CONTENDED ? 1 : 0, 4);
  store<u32>(out, atomic.load<u32>(m, W_ROBUST), 8);
}

// ABI: the Mutex kind keeps its words right after the object header.

export function mutex_try(obj: usize): i32 { return objRemoved(obj) ? E_CLOSED : mutexTry(obj + OBJ_HEADER); }
export function mutex_step(obj: usize): i32 { return objRemoved(obj) ? E_CLOSED : mutexStep(obj + OBJ_HEADER); }
export function mutex_lock(obj: usize, timeoutMs: f64): i32 { return objRemoved(obj) ? E_CLOSED : mutexLock(obj, obj + OBJ_HEADER, timeoutMs); }
export function mutex_unlock(obj: usize): i32 { return mutexUnlock(obj + OBJ_HEADER); }
export function mutex_consistent(obj: usize): i32 { return mutexConsistent(obj + OBJ_HEADER); }
export function mutex_give_up(obj: usize): void { mutexGiveUp(obj + OBJ_HEADER); }
export function mutex_owner(obj: usize): u32 { return ownerOf(atomic.load<u32>(obj + OBJ_HEADER, W_LOCK)); }
