// PetersonLock: the lecture notes' two-party mutual exclusion from plain loads and stores
// (interested flags and a turn). Wasm atomics are sequentially consistent, which is what
// the algorithm needs. Each party names its side, 0 or 1.
//
// Fields: +0 interested[0], +4 interested[1], +8 turn, +12 eventcount (parking).
//   lock(me):   interested[me] = 1; turn = other; signal;
//               wait while interested[other] && turn == other
//   unlock(me): interested[me] = 0; signal
// Waiting parks on the eventcount; both the unlock and the other side's turn change can
// release a waiter, so both signal.
// Containment: a flag or a turn other than 0 or 1 is corrupted (E_CORRUPT; a waiter gives
// its interest back).
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_PERM, E_INVAL, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { deadlineFrom, TIMED_OUT } from './futex';
import { ecSeq, ecSignal, ecPrepare, ecWait } from './eventcount';
import { armWait } from './local';

const P_FLAG: usize = OBJ_HEADER;
const P_TURN: usize = OBJ_HEADER + 8;
const P_EC: usize = OBJ_HEADER + 12;
export const PETERSON_SIZE: usize = OBJ_HEADER + 16;

@inline function flag(obj: usize, side: u32): usize { return obj + P_FLAG + <usize>side * 4; }
/** Both flags and the turn are 0 or 1. */
@inline function sane(obj: usize): bool {
  return (atomic.load<u32>(obj, P_FLAG) | atomic.load<u32>(obj, P_FLAG + 4) | atomic.load<u32>(obj, P_TURN)) <= 1;
}
@inline function mayEnter(obj: usize, me: u32): bool {
  const other = 1 - me;
  return atomic.load<u32>(flag(obj, other)) == 0 || atomic.load<u32>(obj, P_TURN) != other;
}

/** Declare interest and yield the turn. E_PERM if this side is already interested. */
export function peterson_begin(obj: usize, me: u32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (me > 1) return E_INVAL;
  if (!sane(obj)) return E_CORRUPT;
  if (atomic.cmpxchg<u32>(flag(obj, me), 0, 1) != 0) return E_PERM;
  atomic.store<u32>(obj, 1 - me, P_TURN);
  ecSignal(obj + P_EC);
  return peterson_step(obj, me);
}

/** OK once this side may enter; else E_AGAIN armed on the eventcount; E_CORRUPT (interest withdrawn). */
export function peterson_step(obj: usize, me: u32): i32 {
  while (true) {
    if (!sane(obj)) { peterson_unlock(obj, me); return E_CORRUPT; }   // (its interest withdrawn)
    const seen = ecSeq(obj + P_EC);
    if (mayEnter(obj, me)) return OK;
    const v = ecPrepare(obj + P_EC, seen);
    if (v >= 0) return armWait(obj + P_EC, <i32>v);
  }
}

export function peterson_lock(obj: usize, me: u32, timeoutMs: f64): i32 {
  let rc = peterson_begin(obj, me);
  const deadline = deadlineFrom(timeoutMs);
  while (rc == E_AGAIN) {
    if (!sane(obj)) { peterson_unlock(obj, me); return E_CORRUPT; }
    const seen = ecSeq(obj + P_EC);
    if (mayEnter(obj, me)) return OK;
    if (objRemoved(obj)) { peterson_unlock(obj, me); return E_CLOSED; }
    if (ecWait(obj + P_EC, seen, deadline) == TIMED_OUT && !mayEnter(obj, me)) {
      peterson_unlock(obj, me);
      return E_TIMEOUT;
    }
  }
  return rc;
}

/** Leave (or give up waiting). E_PERM if this side was not interested. */
export function peterson_unlock(obj: usize, me: u32): i32 {
  if (me > 1) return E_INVAL;
  if (atomic.xchg<u32>(flag(obj, me), 0) == 0) return E_PERM;
  ecSignal(obj + P_EC);
  return OK;
}

export function petersonWakeAll(obj: usize): void { ecSignal(obj + P_EC); }

/** ipcs: [interested 0, interested 1, turn] */
export function petersonSummary(obj: usize, out: usize): void {
  store<u32>(out, atomic.load<u32>(obj, P_FLAG));
  store<u32>(out, atomic.load<u32>(obj, P_FLAG + 4), 4);
  store<u32>(out, atomic.load<u32>(obj, P_TURN), 8);
}
