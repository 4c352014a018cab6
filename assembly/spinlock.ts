// SpinLock: test-and-test-and-set with bounded exponential backoff.
//
// word (+0): 0 free, or the holder's tid.
//   lock: read until free (no bus traffic while held), then CAS 0 → me; on failure back off
//   1, 2, 4 … 1024 reads; once the backoff is at its cap, a thread that may block sleeps
//   50 us on the word (a yield: unlock never wakes anyone, this is a spin lock) so that a
//   preempted holder gets the core back instead of everyone burning their time slices
//   unlock: store 0
//   a holder that died: the next locker takes the lock over and is told (E_OWNER_DEAD)
//   a word that is no thread id at all (guard.ts: isTidForm): corrupted (E_CORRUPT)
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_PERM, E_OWNER_DEAD, E_DEADLOCK, E_CORRUPT } from './status';
import { isTidForm } from './guard';
import { OBJ_HEADER, objRemoved } from './object';
import { expired, deadlineFrom } from './futex';
import { selfTid, canBlock } from './local';
import { isAlive } from './slots';

const W: usize = OBJ_HEADER;
export const SPINLOCK_SIZE: usize = OBJ_HEADER + 8;
const BACKOFF_MAX: i32 = 1024;
const YIELD_NS: i64 = 50_000;

export function spin_try(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  const v = atomic.cmpxchg<u32>(obj + W, 0, selfTid);
  if (v == 0) return OK;
  if (isAlive(v)) return E_AGAIN;
  if (!isTidForm(v)) return E_CORRUPT;
  return atomic.cmpxchg<u32>(obj + W, v, selfTid) == v ? E_OWNER_DEAD : E_AGAIN;
}

export function spin_lock(obj: usize, timeoutMs: f64): i32 {
  let rc = spin_try(obj);
  if (rc != E_AGAIN) return rc;
  if (atomic.load<u32>(obj, W) == selfTid) return E_DEADLOCK;
  const deadline = deadlineFrom(timeoutMs);
  let backoff: i32 = 1;
  let rounds: u32 = 0;
  while (true) {
    // test: wait for it to look free without writing
    let v = atomic.load<u32>(obj, W);
    for (let i = 0; i < backoff && v != 0; i++) v = atomic.load<u32>(obj, W);
    if (v == 0 || !isAlive(v)) {
      rc = spin_try(obj);
      if (rc != E_AGAIN) return rc;
    }
    if (backoff < BACKOFF_MAX) backoff <<= 1;
    else if (canBlock) memory.atomic.wait32(obj + W, <i32>atomic.load<u32>(obj, W), YIELD_NS);
    if ((++rounds & 15) == 0) {
      if (expired(deadline)) return E_TIMEOUT;
      if (objRemoved(obj)) return E_CLOSED;
    }
  }
}

export function spin_unlock(obj: usize): i32 {
  if (atomic.load<u32>(obj, W) != selfTid) return E_PERM;
  atomic.store<u32>(obj, 0, W);
  return OK;
}

export function spinSummary(obj: usize, out: usize): void { store<u32>(out, atomic.load<u32>(obj, W)); }
