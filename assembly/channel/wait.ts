// Waiting on a channel: the blocking wait (spin on the word the next operation needs, then
// park on the side's sequence) and the async path's try-or-arm.
//
// A blocked receiver increments `receivers waiting`, reads notEmpty, tries once more, then
// parks on notEmpty; a sender, after publishing, bumps notEmpty and wakes only if someone
// waits (select.ts signal). Both sides' accesses are sequentially consistent, so either the
// receiver's second try sees the message or the sender sees the waiter (no lost wake-up).
// Senders waiting for room do the same with notFull. close() sets `closed` and wakes all.
// ready() agrees with the next attempt (a waiter never spins on a "yes" the attempt refuses).
import { OK, E_AGAIN, E_TIMEOUT } from '../status';
import { spinWhile, park, deadlineFrom, expired, TIMED_OUT } from '../futex';
import { armWait, wait_value } from '../local';
import {
  F_TAIL, F_HEAD, F_LIMIT, F_URGENT, F_NOT_EMPTY, F_NOT_FULL, F_RECV_WAITING, F_SEND_WAITING, U_HEAD, U_RESERVED,
  S_SEQ, SENDERS_GONE, RECEIVERS_GONE, slotAt, isClosed, isSpsc, isUnbounded, peersGone,
} from './layout';
import { valid, laneBusy, laneValid } from './check';
import { spscUsed, CLOSED_BIT } from './spsc';

/**
 * Try-or-arm for the async path. `send`: 1 to wait for room, 0 to wait for a message.
 * `registered`: the caller armed before (its waiter count is dropped first). Returns OK when
 * the caller should try again now, or E_AGAIN armed on the side's sequence.
 */
export function ch_arm(obj: usize, send: i32, registered: i32): i32 {
  const seqF = send ? F_NOT_FULL : F_NOT_EMPTY;
  const waitF = send ? F_SEND_WAITING : F_RECV_WAITING;
  if (registered) atomic.sub<u32>(obj + waitF, 1);
  if (!valid(obj)) return OK;   // corrupted: the caller's next try says so (E_CORRUPT)
  atomic.add<u32>(obj + waitF, 1);
  const seq = atomic.load<i32>(obj + seqF);
  if (ready(obj, send != 0)) { atomic.sub<u32>(obj + waitF, 1); return OK; }
  return armWait(obj + seqF, seq);
}

/** The word a side's async waiters park on (send = 1: room; 0: messages). */
export function ch_wait_word(obj: usize, send: i32): usize { return obj + (send ? F_NOT_FULL : F_NOT_EMPTY); }

/** Stop waiting without having been woken (timeout, abort): drop the waiter count. */
export function ch_disarm(obj: usize, send: i32): void {
  atomic.sub<u32>(obj + (send ? F_SEND_WAITING : F_RECV_WAITING), 1);
}

/**
 * Would the next send (receive) find room (a message, or the end)? On a checked channel.
 * Every answer agrees with what the next attempt does (takeSlot, reserve): a "yes" that the
 * attempt then turns into E_AGAIN has its caller retry without waiting, for as long as that
 * lasts, and a corrupted index makes it last for ever. So the end of a receiver's stream
 * (closed, or its senders gone) counts only once drained, as takeSlot has it, and the lane
 * counts only with a message published at its head (or when it fails laneValid: E_CORRUPT).
 */
function ready(obj: usize, send: bool): bool {
  if (send) {
    if (isClosed(obj) || peersGone(obj, RECEIVERS_GONE) || isUnbounded(obj)) return true;
    if (isSpsc(obj)) return spscUsed(obj) < load<u32>(obj, F_LIMIT);
    const pos = atomic.load<u32>(obj, F_TAIL);
    if (atomic.load<u32>(obj, F_LIMIT) == 1 && pos != atomic.load<u32>(obj, F_HEAD)) return false;
    // a sequence ahead of pos means tail moved on meanwhile: not "full", try again
    return <i32>(atomic.load<u32>(slotAt(obj, pos), S_SEQ) - pos) >= 0;
  }
  const end = isClosed(obj) || peersGone(obj, SENDERS_GONE);   // loaded first, as in takeSlot
  if (isUnbounded(obj)) return atomic.load<u32>(obj, U_HEAD) != 0 || (end && atomic.load<u32>(obj, U_RESERVED) == 0);
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (laneBusy(urgent)) {
    if (!laneValid(obj, urgent)) return true;
    const pos = atomic.load<u32>(urgent, F_HEAD);
    if (<i32>(atomic.load<u32>(slotAt(urgent, pos), S_SEQ) - (pos + 1)) >= 0) return true;
  }
  if (isSpsc(obj)) return end || spscUsed(obj) != 0 || (atomic.load<u32>(obj, F_TAIL) & CLOSED_BIT) != 0;
  const pos = atomic.load<u32>(obj, F_HEAD);
  // a sequence ahead of pos + 1 means another receiver took it and head moved on: a later
  // message may be there, so try again rather than park (found by models/channel.pml)
  if (<i32>(atomic.load<u32>(slotAt(obj, pos), S_SEQ) - (pos + 1)) >= 0) return true;
  return end && pos == atomic.load<u32>(obj, F_TAIL) && !laneBusy(urgent);
}

/**
 * Block until a send (send = 1) or a receive could proceed, or the deadline: OK or
 * E_TIMEOUT. Spins first (on the slot the next operation needs), then parks.
 */
export function ch_wait(obj: usize, send: i32, timeoutMs: f64): i32 {
  if (!valid(obj)) return OK;   // corrupted: the caller's next try says so (E_CORRUPT)
  const deadline = deadlineFrom(timeoutMs);
  const word = isUnbounded(obj) ? obj + U_HEAD
    : isSpsc(obj) ? obj + (send ? F_HEAD : F_TAIL)        // the other side's index
    : slotAt(obj, atomic.load<u32>(obj + (send ? F_TAIL : F_HEAD))) + S_SEQ;
  const seen = atomic.load<u32>(word);
  if (!ready(obj, send != 0) && spinWhile(word, <i32>seen) && ready(obj, send != 0)) return OK;
  let registered = 0;
  while (true) {
    if (ch_arm(obj, send, registered) == OK) return OK;
    registered = 1;
    const seqF = send ? F_NOT_FULL : F_NOT_EMPTY;
    if (park(obj + seqF, wait_value(), deadline) == TIMED_OUT || expired(deadline)) {
      ch_disarm(obj, send);
      return ready(obj, send != 0) ? OK : E_TIMEOUT;
    }
  }
}

