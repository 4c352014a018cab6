// The core's internal lock: guards the registry, the large-block list and a few objects'
// short critical sections, for a few hundred instructions at most. It is Drepper's
// three-state futex mutex ("Futexes Are Tricky", mutex2), the protocol of Rust std's
// sys/sync/mutex/futex.rs, with the holder's thread id in the word so that a lock whose
// holder died holding it (a worker terminated mid-operation) is taken over, not waited on
// for ever: the robust-futex idea, as the Mutex does it for users.
//
//   word: 0 unlocked, else holder << 2 | LOCKED, | CONTENDED once someone may wait
//   0 ──lock (CAS 0 → me|LOCKED)──▶ me|LOCKED ──unlock (swap 0)──▶ 0
//   held ──a waiter sets CONTENDED──▶ held|CONTENDED ──unlock (swap 0, was contended)──▶ 0 + wake one
//   held|CONTENDED, holder no longer alive ──a waiter's CAS → me|LOCKED|CONTENDED──▶ taken over
//
// Fast path: one CAS to lock, one swap to unlock, no wake when nobody waited. Slow path:
// spin while held, then mark contended and park; a waiter's park times out every
// HOLDER_CHECK_MS to look at the holder's thread slot (thread_exit marks a dead thread
// before it takes this lock for the clean-up, so the clean-up itself can recover it). A
// taken-over section may have been cut short: the users keep theirs restartable (the
// registry's clean-up pops one reference at a time) or small.
import { spinWhile, parkMasked, deadlineFrom, wake, TIMED_OUT } from './futex';
import { selfTid, now } from './local';
import { THREADS, THREAD_SLOT, MAX_THREADS } from './layout';
import { OK, E_TIMEOUT, E_CORRUPT } from './status';

const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;
const HOLDER_CHECK_MS: f64 = 20;

@inline function me(): u32 { return (selfTid << 2) | LOCKED; }

@inline export function lockAcquire(addr: usize): void {
  if (atomic.cmpxchg<u32>(addr, 0, me()) != 0) lockContended(addr);
}

@inline export function lockRelease(addr: usize): void {
  if ((atomic.xchg<u32>(addr, 0) & CONTENDED) != 0) wake(addr, 1);
}

/** The holder named in a lock word died (its thread slot no longer names it). Id 0: unknown, alive. */
@inline function holderDead(v: u32): bool {
  const tid = v >> 2;
  return tid != 0 && atomic.load<u32>(THREADS + <usize>(tid & (MAX_THREADS - 1)) * THREAD_SLOT) != tid;
}

function lockContended(addr: usize): void {
  let v = atomic.load<u32>(addr);
  if (v != 0 && (v & CONTENDED) == 0) spinWhile(addr, <i32>v);
  while (true) {
    v = atomic.load<u32>(addr);
    if (v == 0) {
      // taken while others may still be parked: lock as contended so our unlock wakes one
      if (atomic.cmpxchg<u32>(addr, 0, me() | CONTENDED) == 0) return;
      continue;
    }
    if ((v & CONTENDED) == 0) {
      if (atomic.cmpxchg<u32>(addr, v, v | CONTENDED) != v) continue;
      v |= CONTENDED;
    }
    if (parkMasked(addr, <i32>v, deadlineFrom(HOLDER_CHECK_MS)) == TIMED_OUT && holderDead(v)
      && atomic.cmpxchg<u32>(addr, v, me() | CONTENDED) == v) return;
  }
}

// ---- an object's internal lock ----
//
// The same protocol, for a lock word among an object's fields, which any thread can overwrite
// (guard.ts): the wait is bounded. A word no locker writes (held without the LOCKED bit, by
// thread 0, or by this very thread, which never nests an object's lock) is E_CORRUPT at once;
// a word still held at the caller's deadline is E_TIMEOUT; one held for OBJ_LOCK_LIMIT_MS
// (its holders run a few hundred instructions) is E_CORRUPT: a forged holder that is alive.

/** How long an object's internal lock may stay held before it is called corrupted. */
const OBJ_LOCK_LIMIT_MS: f64 = 2000;

/** OK (held: release with lockRelease), E_TIMEOUT at the deadline (< 0: none), or E_CORRUPT. */
@inline export function lockAcquireObj(addr: usize, deadline: f64): i32 {
  if (atomic.cmpxchg<u32>(addr, 0, me()) == 0) return OK;
  return lockObjContended(addr, deadline);
}

function lockObjContended(addr: usize, deadline: f64): i32 {
  const limit = now() + OBJ_LOCK_LIMIT_MS;
  let v = atomic.load<u32>(addr);
  if (v != 0 && (v & CONTENDED) == 0) spinWhile(addr, <i32>v);
  while (true) {
    v = atomic.load<u32>(addr);
    if (v == 0) {
      if (atomic.cmpxchg<u32>(addr, 0, me() | CONTENDED) == 0) return OK;
      continue;
    }
    if ((v & LOCKED) == 0 || (v >> 2) == 0 || (v >> 2) == selfTid) return E_CORRUPT;
    if ((v & CONTENDED) == 0) {
      if (atomic.cmpxchg<u32>(addr, v, v | CONTENDED) != v) continue;
      v |= CONTENDED;
    }
    const t = now();
    if (deadline >= 0 && t >= deadline) return E_TIMEOUT;
    if (t >= limit) return E_CORRUPT;
    let until = min<f64>(t + HOLDER_CHECK_MS, limit);
    if (deadline >= 0 && deadline < until) until = deadline;
    if (parkMasked(addr, <i32>v, until) == TIMED_OUT && holderDead(v)
      && atomic.cmpxchg<u32>(addr, v, me() | CONTENDED) == v) return OK;
  }
}
