// Receipt: delivery confirmation, and the one-shot reply port of a call (Mach's send-once
// right). The lecture notes ask when the sender is told "OK": a sender that wants more than
// "queued" makes a receipt and sends its offset with the message (ports, queues, channels).
//
// Block: [state][receiver tid][refs][next][level][reply node][object it came through]
//
//   QUEUED ──a receiver takes the message (receiptTaken)──▶ RECEIVED, receiver = its tid
//   RECEIVED ──that receiver's ack() / reply()──▶ PROCESSED (a reply leaves its node here)
//   QUEUED ──the message is dropped unreceived (port died, object removed)──▶ DEAD
//   RECEIVED ──the receiver dies before ack (thread_exit)──▶ DEAD
// Who wakes whom: every transition stores the state and notifies the state word; the sender
// (the only waiter) parks on it. Each state but QUEUED is final for its level: level
// RECEIVED ends at RECEIVED; PROCESSED and REPLY end at PROCESSED or DEAD.
//
// Two references: the sender's, dropped when its wait ends whatever the outcome (a timed-out
// sender walks away), and the message's, dropped at the final transition. The last one frees
// the block (and an unclaimed reply node). A receiver that owes an ack links the receipt on
// its thread's list (S_ACKS), only it touches that list while alive, and its death fails
// every receipt still there: a sender never waits for a dead receiver.
//
// Kill safety: a terminated thread stops only at a call or a loop's back edge, so each step
// that must not be cut in two is written without one (@inline all the way down): taking a
// receipt happens under the object's lock in the same stretch as unlinking the message, and
// ack() settles, unlinks and drops its reference in one stretch. The death walk finishes
// what a cut could leave: a receipt linked but not yet settled (QUEUED), or settled but not
// yet unlinked (PROCESSED). A reply's node hangs on the receipt before its bytes are written,
// so a callee killed mid-reply leaks nothing.
import { OK, E_INVAL, E_PERM } from './status';
import { alloc, free } from './alloc';
import { selfTid } from './local';
import { slotOf, S_ACKS } from './threads';
import { port_msg } from './port';

export const QUEUED: u32 = 0;
export const RECEIVED: u32 = 1;
export const PROCESSED: u32 = 2;
export const DEAD: u32 = 3;
// levels
export const LEVEL_RECEIVED: u32 = 1;
export const LEVEL_PROCESSED: u32 = 2;
export const LEVEL_REPLY: u32 = 3;

const R_STATE: usize = 0;
const R_RECEIVER: usize = 4;
const R_REFS: usize = 8;
const R_NEXT: usize = 12;
const R_LEVEL: usize = 16;
const R_REPLY: usize = 20;
const R_FROM: usize = 24;
const RECEIPT_SIZE: usize = 28;

/** A receipt the receiver of the last message taken by this thread owes an ack on (0: none). */
let lastReceipt: usize = 0;
export function receipt_last(): usize { return lastReceipt; }
export function clearLast(): void { lastReceipt = 0; }

/** A new receipt for one message (level: LEVEL_*), or E_NOMEM / E_INVAL. */
export function receipt_new(level: u32): i32 {
  if (level < LEVEL_RECEIVED || level > LEVEL_REPLY) return E_INVAL;
  const r = alloc(RECEIPT_SIZE, true);
  if (r < 0) return r;
  store<u32>(r, 2, R_REFS);
  store<u32>(r, level, R_LEVEL);
  return r;
}

export function receipt_state(r: usize): u32 { return atomic.load<u32>(r, R_STATE); }
export function receipt_receiver(r: usize): u32 { return atomic.load<u32>(r, R_RECEIVER); }
/** The reply node a PROCESSED call receipt holds, handed over to the caller (0 if none). */
export function receipt_take_reply(r: usize): usize { return <usize>atomic.xchg<u32>(r + R_REPLY, 0); }

/** The sender is done with it (confirmed, failed or timed out). */
export function receipt_drop(r: usize): void { unref(r); }

@inline function unref(r: usize): void {
  if (atomic.sub<u32>(r + R_REFS, 1) == 1) freeReceipt(r);
}

function freeReceipt(r: usize): void {
  const reply = <usize>load<u32>(r, R_REPLY);
  if (reply != 0) free(reply);
  free(r);
}

@inline function settle(r: usize, from: u32, to: u32): bool {
  if (atomic.cmpxchg<u32>(r + R_STATE, from, to) != from) return false;
  atomic.notify(r + R_STATE, i32.MAX_VALUE);
  return true;
}

/** A receiver (this thread) took the message that carries r, from object `from`. */
@inline export function receiptTaken(r: usize, from: usize): void {
  store<u32>(r, <u32>from, R_FROM);
  atomic.store<u32>(r, selfTid, R_RECEIVER);
  if (load<u32>(r, R_LEVEL) == LEVEL_RECEIVED) {
    settle(r, QUEUED, RECEIVED);
    unref(r);
    lastReceipt = 0;
    return;
  }
  const head = slotOf(selfTid) + S_ACKS;   // owed: link it before anyone is told
  store<u32>(r, load<u32>(head), R_NEXT);
  atomic.store<u32>(head, <u32>r);
  settle(r, QUEUED, RECEIVED);
  lastReceipt = r;
}

/** The message carrying r is dropped unreceived. */
export function receiptDropped(r: usize): void {
  settle(r, QUEUED, DEAD);
  unref(r);
}

/** Where r hangs on this thread's list of receipts owed an ack (the link to it), or 0. */
function owedLink(r: usize): usize {
  let link = slotOf(selfTid) + S_ACKS;
  let cur = <usize>load<u32>(link);
  while (cur != 0 && cur != r) { link = cur + R_NEXT; cur = <usize>load<u32>(cur, R_NEXT); }
  return cur == 0 ? 0 : link;
}

/**
 * A call's reply of len bytes: a node (port.ts layout) hung on the receipt, for the host to
 * write before receipt_ack. E_PERM when this thread does not owe r, E_INVAL if r is not a
 * call's, E_NOMEM.
 */
export function receipt_reply_node(r: usize, len: u32): i32 {
  if (owedLink(r) == 0) return E_PERM;
  if (load<u32>(r, R_LEVEL) != LEVEL_REPLY) return E_INVAL;
  const node = port_msg(len);
  if (node < 0) return node;
  const old = <usize>atomic.xchg<u32>(r + R_REPLY, <u32>node);
  if (old != 0) free(old);    // a reply written before and not acknowledged (its host threw)
  return node;
}

/**
 * The receiver acknowledges (after receipt_reply_node, if it replies): OK, E_PERM when this
 * thread does not owe it (another thread's, or acknowledged already).
 */
export function receipt_ack(r: usize): i32 {
  const link = owedLink(r);
  if (link == 0) return E_PERM;
  if (lastReceipt == r) lastReceipt = 0;
  // one stretch with no call: settled, unlinked, our reference dropped (see the header)
  settle(r, RECEIVED, PROCESSED);
  atomic.store<u32>(link, load<u32>(r, R_NEXT));
  unref(r);
  return OK;
}

/**
 * ack() on an object: settle the oldest receipt this thread owes on a message it took from
 * obj. OK, or E_PERM when it owes none there.
 */
export function receipt_ack_from(obj: usize): i32 {
  let oldest: usize = 0;   // the list is newest first
  for (let r = <usize>load<u32>(slotOf(selfTid) + S_ACKS); r != 0; r = <usize>load<u32>(r, R_NEXT)) {
    if (<usize>load<u32>(r, R_FROM) == obj && atomic.load<u32>(r, R_STATE) == RECEIVED) oldest = r;
  }
  return oldest == 0 ? E_PERM : receipt_ack(oldest);
}

/** Thread tid died: every receipt it owed an ack on fails (thread_exit, under the registry lock). */
export function receiptsOnDeath(tid: u32): void {
  const head = slotOf(tid) + S_ACKS;
  for (let r = <usize>load<u32>(head); r != 0; r = <usize>load<u32>(head)) {
    atomic.store<u32>(head, load<u32>(r, R_NEXT));
    // RECEIVED: owed. QUEUED: cut between linking and settling. PROCESSED: cut after the
    // ack settled it, before it was unlinked (its reference not yet dropped).
    const state = atomic.load<u32>(r, R_STATE);
    if (state == PROCESSED || settle(r, RECEIVED, DEAD) || settle(r, QUEUED, DEAD)) unref(r);
  }
}
