// TicketLock: FIFO. A locker takes the next ticket and waits until `serving` reaches it;
// unlock serves the next ticket. Waiters spin, then park on `serving`.
//
// Fields: +0 next ticket, +4 serving, +8 holder tid, +12 parked waiters,
//         +16 MARKS slots of abandoned tickets (ticket + 1; 0 = free slot),
//         then WAKES wake counters: the waiter with ticket t parks on wakes[t % WAKES]
//
//   lock:    t = next++; wait until serving == t; holder = me
//   unlock:  holder = 0; serve(serving + 1)
//   serve(s): store serving = s; then if s is marked abandoned, claim the mark (CAS) and
//            serve(s + 1): the abandoning waiter left, so the unlocker passes its turn on
//   give up (timeout) with ticket t: mark t, then re-read serving: if it is t, race the
//            unlocker for the mark: whoever clears it owns the turn (the waiter then holds
//            the lock after all; the unlocker passes it on). If no slot is free the waiter
//            keeps waiting: FIFO order is never broken.
// Serving ticket s bumps wakes[s % WAKES] and wakes that word only: the hand-off goes to the
// one thread whose turn it is, not to the whole herd of parked waiters.
//
// Containment (the fields are values: addresses are obj + constants, the wake slot masked):
//   - serving ahead of next, or more than WINDOW_MAX tickets out, is corrupted (E_CORRUPT);
//   - a mark whose ticket is outside [serving, next) is garbage (a ticket leaves the marks
//     before serving passes it): a giver-up that finds no free mark takes such a one;
//   - past its deadline with no mark to take, a waiter keeps its place (FIFO) and waits in
//     slices, but a turn given to nobody (no holder, or a dead one, serving unmoved for
//     STUCK_MS) never ends: it leaves with E_CORRUPT (its ticket unmarked: the lock was
//     stalled at that turn anyway), so a garbage `serving` cannot hold lock(1) for ever.
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_PERM, E_DEADLOCK, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { spinWhile, park, deadlineFrom, expired, wake, TIMED_OUT, WAITED } from './futex';
import { selfTid, armWait, now } from './local';
import { isAlive } from './slots';

const T_NEXT: usize = OBJ_HEADER;
const T_SERVING: usize = OBJ_HEADER + 4;
const T_HOLDER: usize = OBJ_HEADER + 8;
const T_PARKED: usize = OBJ_HEADER + 12;
const T_MARKS: usize = OBJ_HEADER + 16;
const MARKS: u32 = 16;
const T_WAKES: usize = T_MARKS + <usize>MARKS * 4;
const WAKES: u32 = 32;
export const TICKET_SIZE: usize = T_WAKES + <usize>WAKES * 4;

@inline function wakeSlot(obj: usize, t: u32): usize { return obj + T_WAKES + <usize>(t & (WAKES - 1)) * 4; }
/** a - b as a signed distance (tickets wrap at 2^32) */
@inline function ahead(a: u32, b: u32): i32 { return <i32>(a - b); }

/** Tickets out (next - serving) beyond this are corrupted: each is a waiter or one of 16 marks. */
const WINDOW_MAX: u32 = 1 << 20;
const STUCK_MS: f64 = 500;

/** serving is not ahead of next, and no more than WINDOW_MAX tickets are out. */
@inline function sane(obj: usize): bool {
  const s = atomic.load<u32>(obj, T_SERVING);
  return <u32>(atomic.load<u32>(obj, T_NEXT) - s) <= WINDOW_MAX;
}

/** The ticket this thread took in its last ticket_begin (thread-local). */
let lastTicket: u32 = 0;

function serve(obj: usize, s: u32): void {
  while (true) {
    atomic.store<u32>(obj, s, T_SERVING);
    let skipped = false;
    for (let i: u32 = 0; i < MARKS; i++) {
      const slot = obj + T_MARKS + <usize>i * 4;
      if (atomic.load<u32>(slot) == s + 1 && atomic.cmpxchg<u32>(slot, s + 1, 0) == s + 1) { skipped = true; break; }
    }
    if (!skipped) break;
    s++;
  }
  if (atomic.load<u32>(obj, T_PARKED) != 0) {
    const slot = wakeSlot(obj, s);
    atomic.add<u32>(slot, 1);
    wake(slot, i32.MAX_VALUE);
  }
}

@inline function own(obj: usize): i32 { atomic.store<u32>(obj, selfTid, T_HOLDER); return OK; }

/**
 * A mark slot now holding t + 1: a free one, else one whose ticket is outside [serving, next)
 * (garbage: serving passes a ticket only after its mark is claimed; next is read after the
 * mark, so a ticket taken meanwhile is inside). 0 when every mark is a live one.
 */
function markFor(obj: usize, t: u32): usize {
  for (let i: u32 = 0; i < MARKS; i++) {
    const slot = obj + T_MARKS + <usize>i * 4;
    if (atomic.cmpxchg<u32>(slot, 0, t + 1) == 0) return slot;
  }
  const s = atomic.load<u32>(obj, T_SERVING);
  for (let i: u32 = 0; i < MARKS; i++) {
    const slot = obj + T_MARKS + <usize>i * 4;
    const m = atomic.load<u32>(slot);
    const k = m - 1;
    if (m != 0 && (ahead(k, s) < 0 || ahead(atomic.load<u32>(obj, T_NEXT), k) <= 0) && atomic.cmpxchg<u32>(slot, m, t + 1) == m) return slot;
  }
  return 0;
}

/** Give up ticket t. OK if the turn came meanwhile (the caller holds the lock), E_TIMEOUT, or E_AGAIN (no free mark: keep waiting). */
function abandon(obj: usize, t: u32): i32 {
  const slot = markFor(obj, t);
  if (slot == 0) return atomic.load<u32>(obj, T_SERVING) == t ? own(obj) : E_AGAIN;
  if (atomic.load<u32>(obj, T_SERVING) != t) return E_TIMEOUT;   // whoever serves t will skip it
  // serving reached t: the unlocker and we race for the mark
  return atomic.cmpxchg<u32>(slot, t + 1, 0) == t + 1 ? own(obj) : E_TIMEOUT;
}

// A waiter past its deadline that could not give up (abandon: E_AGAIN) watches the turn
// (thread-local: one such wait at a time per thread, sync or async).
let stuckObj: usize = 0;
let stuckTicket: u32 = 0;
let stuckServing: u32 = 0;
let stuckSince: f64 = 0;

/** After abandon said E_AGAIN: E_AGAIN (keep waiting), or E_CORRUPT once the turn has gone to nobody for STUCK_MS. */
function overrun(obj: usize, t: u32): i32 {
  const s = atomic.load<u32>(obj, T_SERVING);
  const h = atomic.load<u32>(obj, T_HOLDER);
  const at = now();
  if (stuckObj != obj || stuckTicket != t || stuckServing != s || (h != 0 && h != selfTid && isAlive(h))) {
    stuckObj = obj; stuckTicket = t; stuckServing = s; stuckSince = at;   // (a live holder: a long hold, not a stall)
    return E_AGAIN;
  }
  return at - stuckSince >= STUCK_MS ? E_CORRUPT : E_AGAIN;
}

export function ticket_try(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  const s = atomic.load<u32>(obj, T_SERVING);
  if (atomic.cmpxchg<u32>(obj + T_NEXT, s, s + 1) == s) return own(obj);
  return sane(obj) ? E_AGAIN : E_CORRUPT;
}

export function ticket_lock(obj: usize, timeoutMs: f64): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (atomic.load<u32>(obj, T_HOLDER) == selfTid) return E_DEADLOCK;
  if (!sane(obj)) return E_CORRUPT;
  const t = atomic.add<u32>(obj + T_NEXT, 1);
  const deadline = deadlineFrom(timeoutMs);
  while (true) {
    const s = atomic.load<u32>(obj, T_SERVING);
    if (s == t) return own(obj);
    if (spinWhile(obj + T_SERVING, <i32>s)) continue;
    // parked++ before the last look at serving: a serve() after that look sees us
    atomic.add<u32>(obj + T_PARKED, 1);
    const slot = wakeSlot(obj, t);
    const w = atomic.load<i32>(slot);
    const r = atomic.load<u32>(obj, T_SERVING) == t ? WAITED : park(slot, w, deadline);
    atomic.sub<u32>(obj + T_PARKED, 1);
    if (r == TIMED_OUT || expired(deadline) || objRemoved(obj)) {
      const rc = abandon(obj, t);
      if (rc != E_AGAIN) return rc == OK || !objRemoved(obj) ? rc : E_CLOSED;
      // no mark free: FIFO keeps this waiter in line, in 1 ms slices, unless the turn is stuck
      if (overrun(obj, t) == E_CORRUPT) return E_CORRUPT;
      const s = atomic.load<u32>(obj, T_SERVING);
      if (s != t) park(obj + T_SERVING, <i32>s, now() + 1, false);
    }
  }
}

/** Async, first step: take a ticket (ticket_last). OK if served at once, else E_AGAIN armed. */
export function ticket_begin(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!sane(obj)) return E_CORRUPT;
  lastTicket = atomic.add<u32>(obj + T_NEXT, 1);
  return ticket_step(obj, lastTicket, 0);
}
export function ticket_last(): u32 { return lastTicket; }

/** Async: OK when ticket t is served; else E_AGAIN armed. parked: 1 when the caller parked since its last step. */
export function ticket_step(obj: usize, t: u32, parked: i32): i32 {
  if (parked) atomic.sub<u32>(obj + T_PARKED, 1);
  if (atomic.load<u32>(obj, T_SERVING) == t) return own(obj);
  if (objRemoved(obj)) { abandon(obj, t); return E_CLOSED; }
  atomic.add<u32>(obj + T_PARKED, 1);
  const slot = wakeSlot(obj, t);
  const w = atomic.load<i32>(slot);
  if (atomic.load<u32>(obj, T_SERVING) == t) { atomic.sub<u32>(obj + T_PARKED, 1); return own(obj); }
  return armWait(slot, w);
}

/**
 * Async: give up ticket t (after a step armed it). OK if the caller holds the lock after all,
 * E_TIMEOUT, E_AGAIN (no free mark: step again, and give up again a little later), or
 * E_CORRUPT once the turn has gone to nobody for STUCK_MS.
 */
export function ticket_give_up(obj: usize, t: u32): i32 {
  atomic.sub<u32>(obj + T_PARKED, 1);
  const rc = abandon(obj, t);
  return rc == E_AGAIN ? overrun(obj, t) : rc;
}

export function ticket_unlock(obj: usize): i32 {
  if (atomic.load<u32>(obj, T_HOLDER) != selfTid) return E_PERM;
  atomic.store<u32>(obj, 0, T_HOLDER);
  serve(obj, atomic.load<u32>(obj, T_SERVING) + 1);
  return OK;
}

/** The holder died: pass its turn on. */
export function ticketOnDeath(obj: usize, tid: u32): void {
  if (atomic.load<u32>(obj, T_HOLDER) == tid && atomic.cmpxchg<u32>(obj + T_HOLDER, tid, 0) == tid) {
    serve(obj, atomic.load<u32>(obj, T_SERVING) + 1);
  }
}

export function ticketWakeAll(obj: usize): void {
  for (let i: u32 = 0; i < WAKES; i++) {
    const slot = obj + T_WAKES + <usize>i * 4;
    atomic.add<u32>(slot, 1);
    wake(slot, i32.MAX_VALUE);
  }
}

/** ipcs: [holder, waiting tickets, serving] */
export function ticketSummary(obj: usize, out: usize): void {
  const s = atomic.load<u32>(obj, T_SERVING);
  const n = atomic.load<u32>(obj, T_NEXT);
  const h = atomic.load<u32>(obj, T_HOLDER);
  store<u32>(out, h);
  store<u32>(out, n - s - (h != 0 ? 1 : 0), 4);
  store<u32>(out, s, 8);
}
