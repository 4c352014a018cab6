// Waking a channel's waiters, and select: one thread waiting on several channels.
//
// A thread parks on one address at a time, so a blocking select parks on its own wake word
// (its thread slot's S_WAKE). While it waits on a channel it is in that channel's selector
// table for the side it waits on, and counted among that side's waiters; wakeSide (run by
// signal whenever someone waits, and by close and deaths) bumps and wakes the word of every
// selector in the table as well as the side's sequence.
//   selector: v = sel_begin(); ch_sel_arm(each channel, side); try each channel once more;
//             if none is ready, sel_park(v, timeout); ch_sel_disarm(each channel, side)
// No lost wake-up: the selector counts itself a waiter before its last try, so an operation
// that makes a channel ready after that try sees the count and bumps the word, which the
// selector read before arming: its park then returns at once.
//
// wakeSide is how every flavor wakes one side: bump its sequence (blocked receivers and
// senders park on it, wait.ts), wake them, and bump the wake word of every selector waiting
// on that side.
import { OK, E_LIMIT, E_TIMEOUT } from '../status';
import { park, deadlineFrom, wake, TIMED_OUT } from '../futex';
import { selfTid } from '../local';
import { slotOf, isAlive, S_WAKE } from '../slots';
import { isTidForm } from '../guard';
import { F_NOT_EMPTY, F_NOT_FULL, F_RECV_WAITING, F_SEND_WAITING, F_SELECT_RECV, F_SELECT_SEND, SELECTORS } from './layout';

/** Wake one side's waiters if there are any: bump its sequence first (they park on it). */
@inline export function signal(obj: usize, seqField: usize, waitingField: usize): void {
  if (atomic.load<u32>(obj + waitingField) != 0) wakeSide(obj, seqField);
}

export function wakeSide(obj: usize, seqField: usize): void {
  atomic.add<i32>(obj + seqField, 1);
  wake(obj + seqField, i32.MAX_VALUE);
  wakeSelectors(obj + (seqField == F_NOT_EMPTY ? F_SELECT_RECV : F_SELECT_SEND));
}

export function channelWakeAll(obj: usize): void {
  wakeSide(obj, F_NOT_EMPTY);
  wakeSide(obj, F_NOT_FULL);
}

/** This thread's wake word, to park on after arming (sel_park). */
export function sel_begin(): i32 { return atomic.load<i32>(slotOf(selfTid) + S_WAKE); }

/** Park on this thread's wake word while it still holds v: OK, or E_TIMEOUT. */
export function sel_park(v: i32, timeoutMs: f64): i32 {
  return park(slotOf(selfTid) + S_WAKE, v, deadlineFrom(timeoutMs), false) == TIMED_OUT ? E_TIMEOUT : OK;
}

/** Wait as a selector on one side (send = 1: for room): OK, or E_LIMIT when its table is full. */
export function ch_sel_arm(obj: usize, send: i32): i32 {
  const table = obj + (send ? F_SELECT_SEND : F_SELECT_RECV);
  for (let i: u32 = 0; i < SELECTORS; i++) {
    if (atomic.cmpxchg<u32>(table + <usize>i * 4, 0, selfTid) == 0) {
      atomic.add<u32>(obj + (send ? F_SEND_WAITING : F_RECV_WAITING), 1);
      return OK;
    }
  }
  return E_LIMIT;
}

export function ch_sel_disarm(obj: usize, send: i32): void { selDisarm(obj, send, selfTid); }

/** Take thread tid out of one side's selector table (and the waiter count), if it is there. */
export function selDisarm(obj: usize, send: i32, tid: u32): void {
  const table = obj + (send ? F_SELECT_SEND : F_SELECT_RECV);
  for (let i: u32 = 0; i < SELECTORS; i++) {
    if (atomic.load<u32>(table + <usize>i * 4) == tid && atomic.cmpxchg<u32>(table + <usize>i * 4, tid, 0) == tid) {
      atomic.sub<u32>(obj + (send ? F_SEND_WAITING : F_RECV_WAITING), 1);
      return;
    }
  }
}

function wakeSelectors(table: usize): void {
  for (let i: u32 = 0; i < SELECTORS; i++) {
    const tid = atomic.load<u32>(table + <usize>i * 4);
    // a word that names no living thread (garbage: a selector disarms before it dies, and
    // its death hook takes it out) wakes nobody: only a live selector's wake word is bumped
    if (isTidForm(tid) && isAlive(tid)) {
      const word = slotOf(tid) + S_WAKE;
      atomic.add<u32>(word, 1);
      wake(word, 1);
    }
  }
}

