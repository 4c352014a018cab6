// The rendezvous (zero capacity): the sender waits until a receiver has taken its message.
// Its ring is the array flavor's with capacity 1 (array.ts); this file is the sender's wait.
//
//   send: reserve, write, commit at position p; then wait until head > p (a receiver
//   claimed it). Receivers signal notFull after every take, which is what the sender parks on.
//   Giving up (timeout, close, abort): withdraw by claiming p itself (CAS head p → p + 1):
//   if that wins, the message is gone and nothing was delivered; if a receiver won, it was.
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_CORRUPT } from '../status';
import { park, deadlineFrom, expired, TIMED_OUT } from '../futex';
import { armWait, wait_value, selfTid } from '../local';
import { F_HEAD, F_NOT_FULL, F_SEND_WAITING, TAKEN, slotAt, ownerOf, isClosed } from './layout';
import { valid } from './check';
import { freeSlot } from './flavor';

@inline export function taken(obj: usize, pos: u32): bool { return <i32>(atomic.load<u32>(obj, F_HEAD) - pos) > 0; }

/** 1 once the message at pos was taken by a receiver. */
export function ch_taken(obj: usize, pos: u32): i32 { return taken(obj, pos) ? 1 : 0; }

/** Take back the message at pos: OK if withdrawn (never delivered), E_AGAIN if a receiver took it, E_CORRUPT. */
export function ch_withdraw(obj: usize, pos: u32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  if (atomic.cmpxchg<u32>(obj + F_HEAD, pos, pos + 1) != pos) return E_AGAIN;
  store<u32>(ownerOf(obj, slotAt(obj, pos)), selfTid | TAKEN);
  freeSlot(obj, slotAt(obj, pos), false);
  return OK;
}

/** Async: OK once taken, else E_AGAIN armed on notFull (registered: as in ch_arm). */
export function ch_arm_taken(obj: usize, pos: u32, registered: i32): i32 {
  if (registered) atomic.sub<u32>(obj + F_SEND_WAITING, 1);
  if (taken(obj, pos)) return OK;
  atomic.add<u32>(obj + F_SEND_WAITING, 1);
  const seq = atomic.load<i32>(obj + F_NOT_FULL);
  if (taken(obj, pos) || isClosed(obj)) { atomic.sub<u32>(obj + F_SEND_WAITING, 1); return OK; }
  return armWait(obj + F_NOT_FULL, seq);
}

/** Block until the message at pos is taken: OK, or E_TIMEOUT / E_CLOSED (withdrawn, or taken meanwhile: OK). */
export function ch_wait_taken(obj: usize, pos: u32, timeoutMs: f64): i32 {
  const deadline = deadlineFrom(timeoutMs);
  let registered = 0;
  while (true) {
    if (ch_arm_taken(obj, pos, registered) == OK) {
      if (taken(obj, pos)) return OK;
      const rc = ch_withdraw(obj, pos);     // closed before anyone took it
      return rc == OK ? E_CLOSED : rc == E_CORRUPT ? rc : OK;
    }
    registered = 1;
    if (park(obj + F_NOT_FULL, wait_value(), deadline) == TIMED_OUT || expired(deadline)) {
      atomic.sub<u32>(obj + F_SEND_WAITING, 1);
      const rc = ch_withdraw(obj, pos);
      return rc == OK ? E_TIMEOUT : rc == E_CORRUPT ? rc : OK;
    }
  }
}

