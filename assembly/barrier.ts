// Barrier: reusable across generations. One 64-bit word, generation (low half, the futex
// word) and arrived count (high half), changed by CAS as a whole, so that leaving on a
// timeout and the last arrival can never both happen.
//
//   arrive: (gen, c) → (gen, c + 1), then park while gen is unchanged
//   the last of `parties`: (gen, parties - 1) → (gen + 1, 0), wake all: it is the leader
//   timeout: (gen, c) → (gen, c - 1) if gen is unchanged (the barrier stays usable);
//            if gen moved meanwhile, the waiter was released after all
// Containment: parties outside 1..2^31-1, an arrival count at or past them, or a withdrawal
// with nobody counted is corrupted (E_CORRUPT, nothing changed).
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_INVAL, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { waitWhile, deadlineFrom, expired, wake, TIMED_OUT } from './futex';
import { armWait, wait_value } from './local';

const B_STATE: usize = OBJ_HEADER;        // u64: count << 32 | gen (gen at the lower address)
const B_PARTIES: usize = OBJ_HEADER + 8;
export const BARRIER_SIZE: usize = OBJ_HEADER + 16;
export const LEADER: i32 = 1;

export function barrierInit(obj: usize, parties: u32): i32 {
  if (parties == 0 || parties > 0x7fffffff) return E_INVAL;
  store<u32>(obj, parties, B_PARTIES);
  return OK;
}

@inline function genOf(s: u64): u32 { return <u32>s; }
@inline function countOf(s: u64): u32 { return <u32>(s >> 32); }

/** Arrive. LEADER (1) for the last arrival; else E_AGAIN armed on the generation word. */
function arrive(obj: usize): i32 {
  const parties = load<u32>(obj, B_PARTIES);
  if (parties == 0 || parties > 0x7fffffff) return E_CORRUPT;
  while (true) {
    const s = atomic.load<u64>(obj, B_STATE);
    const gen = genOf(s);
    const c = countOf(s);
    if (c >= parties) return E_CORRUPT;
    if (c + 1 >= parties) {
      if (atomic.cmpxchg<u64>(obj + B_STATE, s, <u64>(gen + 1)) != s) continue;
      wake(obj + B_STATE, i32.MAX_VALUE);
      return LEADER;
    }
    if (atomic.cmpxchg<u64>(obj + B_STATE, s, (<u64>(c + 1) << 32) | gen) == s) {
      return armWait(obj + B_STATE, <i32>gen);
    }
  }
}

/** Leave without passing: OK (0) if released meanwhile, else E_TIMEOUT with the arrival undone. */
function leave(obj: usize, gen: u32): i32 {
  while (true) {
    const s = atomic.load<u64>(obj, B_STATE);
    if (genOf(s) != gen) return OK;
    if (countOf(s) == 0) return E_CORRUPT;   // our arrival is not counted
    if (atomic.cmpxchg<u64>(obj + B_STATE, s, (<u64>(countOf(s) - 1) << 32) | gen) == s) return E_TIMEOUT;
  }
}

/** Blocking wait: LEADER (1) or OK (0), E_TIMEOUT (arrival withdrawn), E_CLOSED. */
export function barrier_wait(obj: usize, timeoutMs: f64): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  const rc = arrive(obj);
  if (rc != E_AGAIN) return rc;
  const gen = <u32>wait_value();
  const deadline = deadlineFrom(timeoutMs);
  while (atomic.load<u32>(obj, B_STATE) == gen) {
    if (objRemoved(obj)) { leave(obj, gen); return E_CLOSED; }
    if (waitWhile(obj + B_STATE, <i32>gen, deadline) == TIMED_OUT || expired(deadline)) return leave(obj, gen);
  }
  return OK;
}

/** Async: arrive. LEADER, or E_AGAIN armed (wait_value is the generation to pass to barrier_check). */
export function barrier_arrive(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  return arrive(obj);
}
/** Async: OK once the generation moved past gen, else E_AGAIN armed. */
export function barrier_check(obj: usize, gen: u32): i32 {
  if (atomic.load<u32>(obj, B_STATE) != gen) return OK;
  if (objRemoved(obj)) { leave(obj, gen); return E_CLOSED; }
  return armWait(obj + B_STATE, <i32>gen);
}
export function barrier_leave(obj: usize, gen: u32): i32 { return leave(obj, gen); }

export function barrierWakeAll(obj: usize): void { wake(obj + B_STATE, i32.MAX_VALUE); }

/** ipcs: [parties, arrived, generation] */
export function barrierSummary(obj: usize, out: usize): void {
  const s = atomic.load<u64>(obj, B_STATE);
  store<u32>(out, load<u32>(obj, B_PARTIES));
  store<u32>(out, countOf(s), 4);
  store<u32>(out, genOf(s), 8);
}
