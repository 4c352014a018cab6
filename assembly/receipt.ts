// Receipt: delivery confirmation, and the one-shot reply port of a call (Mach's send-once
// right). The lecture notes ask when the sender is told "OK": a sender that wants more than
// "queued" makes a receipt and sends its offset with the message (ports, queues, channels).
//
// Block: [state][receiver tid][refs][next][level][reply node][object it came through]
//        [sender's next][sender's link]
//
//   QUEUED ──a receiver takes the message (receiptTaken)──▶ RECEIVED, receiver = its tid
//   RECEIVED ──that receiver's ack() / reply()──▶ PROCESSED (a reply leaves its node here)
//   QUEUED ──the message is dropped unreceived (port died, object removed)──▶ DEAD
//   RECEIVED ──the receiver dies before ack (thread_exit)──▶ DEAD
// Who wakes whom: the sender (the only waiter) parks on the state word, and a transition that
// ends its wait notifies it. Each state but QUEUED is final for its level: level RECEIVED
// ends at RECEIVED; PROCESSED and REPLY end at PROCESSED or DEAD, so their RECEIVED step
// wakes nobody. The sender raises R_WAIT before it parks (receipt_wait, receipt_prepare) and a
// transition notifies only when it is up: a call answered while its caller still spins costs
// no futex wake, the dearest step of a round trip (docs/DESIGN.md, the budget). No wake-up is
// lost: the sender stores R_WAIT then reads the state, a transition stores the state then
// reads R_WAIT (all sequentially consistent), so one of the two sees the other.
//
// Two references: the sender's, dropped when its wait ends whatever the outcome (a timed-out
// sender walks away), and the message's, dropped at the final transition. The last one frees
// the block (and an unclaimed reply node). A receiver that owes an ack links the receipt on
// its thread's list (S_ACKS), only it touches that list while alive, and its death fails
// every receipt still there: a sender never waits for a dead receiver. Likewise the sender's
// reference is on its thread's list (S_SENT, doubly linked: a pool keeps many) from
// receipt_new to receipt_drop, and its death drops it: a sender killed while it waits (a
// call() in progress) leaks neither the receipt nor the reply that comes later.
//
// Kill safety: a terminated thread stops only at a call or a loop's back edge, so each step
// that must not be cut in two is written without one (@inline all the way down): taking a
// receipt happens under the object's lock in the same stretch as unlinking the message, and
// ack() settles, unlinks and drops its reference in one stretch. The death walk finishes
// what a cut could leave: a receipt linked but not yet settled (QUEUED), or settled but not
// yet unlinked (PROCESSED). A reply's node hangs on the receipt before its bytes are written,
// so a callee killed mid-reply leaks nothing; the caller that takes it holds it in its S_HELD
// word until freed, and the thread that drops the last reference records the receipt in its
// S_FREEING word until the free is done (heldOnDeath finishes both).
//
// Containment (guard.ts): receipt blocks are tagged RECEIPT_OWNER, and a receipt offset read
// from shared memory (a message, a thread's list, a link) is checked with receiptValid before
// use; a reply node is tagged as its receipt's. A receipt moves out of QUEUED once: taking it
// or dropping it with its message is done only by the thread whose transition wins, so a
// corrupted object that hands the same receipt out twice cannot drop a reference twice. List
// walks are bounded, and a corrupted list is cut off (its receipts leak) rather than written
// through.
import { OK, E_INVAL, E_PERM, E_CORRUPT } from './status';
import { allocOwned, free, freeClearing, ownedBlock, adoptBlock } from './alloc';
import { RETRY_LIMIT } from './guard';
import { selfTid } from './local';
import { slotOf, heldOwner, S_ACKS, S_SENT, S_HELD, S_FREEING } from './slots';
import { msgNode, N_DATA } from './message';
import { spinAtLeast, park, deadlineFrom, NOT_EQUAL } from './futex';

/** A call's reply comes within microseconds: its caller spins this long (~15 us) before it parks. */
const CALL_SPIN: i32 = 16384;

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
const R_SNEXT: usize = 28;   // the sender's list (S_SENT)
const R_SLINK: usize = 32;   // the word pointing here: S_SENT or the previous R_SNEXT; 0 once unlinked
const R_WAIT: usize = 36;    // 1 once the sender parks, or is about to: transitions notify
const RECEIPT_SIZE: usize = 40;
/**
 * The owner every receipt block is tagged with (alloc.ts: allocOwned): no object lives at
 * this offset (segments stop below 2 GiB), so a receipt pointer read from a message is told
 * from a pointer forged to an object's block or a canary (guard.ts).
 */
export const RECEIPT_OWNER: usize = 0x7FFFFFF8;

/**
 * Whether r is a live receipt block (tagged RECEIPT_OWNER, big enough) whose words say what
 * a receipt says: a level, a state, a reference count of 1 or 2. Any code that reads a
 * receipt's offset from shared memory (a message, a list) checks it with this before use.
 */
export function receiptValid(r: usize): bool {
  if (!ownedBlock(r, RECEIPT_OWNER, RECEIPT_SIZE)) return false;
  const level = load<u32>(r, R_LEVEL), refs = atomic.load<u32>(r, R_REFS);
  return level >= LEVEL_RECEIVED && level <= LEVEL_REPLY && atomic.load<u32>(r, R_STATE) <= DEAD && refs - 1 < 2;
}

/** A receipt the receiver of the last message taken by this thread owes an ack on (0: none). */
let lastReceipt: usize = 0;
export function receipt_last(): usize { return lastReceipt; }
export function clearLast(): void { lastReceipt = 0; }

/** A new receipt for one message (level: LEVEL_*), or E_NOMEM / E_INVAL. */
export function receipt_new(level: u32): i32 {
  if (level < LEVEL_RECEIVED || level > LEVEL_REPLY) return E_INVAL;
  const head = slotOf(selfTid) + S_SENT;
  let first = <usize>load<u32>(head);
  if (first != 0 && !sentLinksOk(first, head)) { store<u32>(head, 0); first = 0; }   // corrupted: cut off
  const r = allocOwned(RECEIPT_SIZE, true, RECEIPT_OWNER);
  if (r < 0) return r;
  store<u32>(r, 2, R_REFS);
  store<u32>(r, level, R_LEVEL);
  // on the sender's list, at its head (no call in this stretch: a kill cannot cut it)
  store<u32>(r, <u32>first, R_SNEXT);
  store<u32>(r, <u32>head, R_SLINK);
  if (first != 0) store<u32>(first, <u32>(<usize>r + R_SNEXT), R_SLINK);
  store<u32>(head, <u32>r);
  return r;
}

export function receipt_state(r: usize): u32 { return atomic.load<u32>(r, R_STATE); }

/**
 * The sender blocks while r's state is `state` (the futex codes: 0 woken, 1 not equal, 2 timed
 * out): it spins first (CALL_SPIN at least), then raises R_WAIT and parks.
 */
export function receipt_wait(r: usize, state: u32, timeoutMs: f64): i32 {
  const addr = r + R_STATE;
  if (spinAtLeast(addr, <i32>state, CALL_SPIN)) return NOT_EQUAL;
  atomic.store<u32>(r, 1, R_WAIT);
  return park(addr, <i32>state, deadlineFrom(timeoutMs));
}

/** The async sender raises R_WAIT before it parks on the state word (Atomics.waitAsync). */
export function receipt_prepare(r: usize): void { atomic.store<u32>(r, 1, R_WAIT); }
export function receipt_receiver(r: usize): u32 { return atomic.load<u32>(r, R_RECEIVER); }
/** The reply node a PROCESSED call receipt holds, handed over to the caller (0 if none), or E_CORRUPT. */
export function receipt_take_reply(r: usize): i32 {
  if (!receiptValid(r)) return E_CORRUPT;
  const reply = <usize>atomic.load<u32>(r, R_REPLY);   // settled: no one else moves it now
  if (reply == 0) return 0;
  if (!ownedBlock(reply, r, N_DATA)) return E_CORRUPT;
  // taken, tagged as in this thread's hands and recorded, in one stretch (port.ts port_recv)
  atomic.store<u32>(r, 0, R_REPLY);
  adoptBlock(reply, r, heldOwner(selfTid));
  store<u32>(slotOf(selfTid), <u32>reply, S_HELD);
  return <i32>reply;
}

/** The sender is done with it (confirmed, failed or timed out). Called twice for a receipt never attached to a message. */
export function receipt_drop(r: usize): void {
  if (!receiptValid(r)) return;   // (corrupted: it leaks)
  if (!sentLinksOk(r, slotOf(selfTid) + S_SENT)) store<u32>(r, 0, R_SLINK);   // off a corrupted list, nothing written through it
  unlinkSent(r);
  unref(r);
}

/**
 * r's links on its sender's list (head: that thread's S_SENT word) are a list's: the word it
 * names points back at it, and so does its next. Checked before unlinkSent writes through them.
 */
function sentLinksOk(r: usize, head: usize): bool {
  if (!receiptValid(r)) return false;
  const link = <usize>load<u32>(r, R_SLINK), next = <usize>load<u32>(r, R_SNEXT);
  if (link == 0) return true;
  if (link == head ? <usize>load<u32>(head) != r : !(receiptValid(link - R_SNEXT) && <usize>load<u32>(link) == r)) return false;
  return next == 0 || (receiptValid(next) && <usize>load<u32>(next, R_SLINK) == r + R_SNEXT);
}

/** Off its sender's list, if still on it (only the sender, or its death walk, calls this). */
@inline function unlinkSent(r: usize): void {
  const link = <usize>load<u32>(r, R_SLINK);
  if (link == 0) return;
  const next = <usize>load<u32>(r, R_SNEXT);
  store<u32>(link, <u32>next);
  if (next != 0) store<u32>(next, <u32>link, R_SLINK);
  store<u32>(r, 0, R_SLINK);
}

/**
 * Drop one reference; the last one frees the block. The dropper records the receipt in its
 * S_FREEING word in the same stretch as the count reaches 0, and the free forgets it (alloc.ts
 * freeClearing): a thread killed before the free is done leaves it to its death walk.
 */
@inline function unref(r: usize): void {
  if (atomic.sub<u32>(r + R_REFS, 1) == 1) {
    const freeing = slotOf(selfTid) + S_FREEING;
    store<u32>(freeing, <u32>r);
    freeReceipt(r, freeing);
  }
}

/** A receipt at 0 references: its unclaimed reply, then itself (forgetting the word `freeing` names). */
function freeReceipt(r: usize, freeing: usize): void {
  // a reply freed by a free cut short after it is no longer r's: never freed twice
  const reply = <usize>load<u32>(r, R_REPLY);
  if (reply != 0 && ownedBlock(reply, r, N_DATA)) free(reply);
  freeClearing(r, freeing);
}

/**
 * Thread tid died (thread_exit): free the message node its host held (port.ts port_recv, or
 * a reply it took) and finish freeing a receipt whose last reference it had dropped.
 */
export function heldOnDeath(tid: u32): void {
  // Each word is cleared in the same stretch as its block is freed (freeClearing), never
  // before the call: this walk may be the thread's own, cut short by a terminate(), and a
  // word cleared early would leave its block live and forgotten by the resumed walk.
  const slot = slotOf(tid);
  const node = <usize>load<u32>(slot, S_HELD);
  if (node != 0 && ownedBlock(node, heldOwner(tid), N_DATA)) freeClearing(node, slot + S_HELD);
  else store<u32>(slot, 0, S_HELD);
  const r = <usize>load<u32>(slot, S_FREEING);
  if (r != 0 && ownedBlock(r, RECEIPT_OWNER, RECEIPT_SIZE) && atomic.load<u32>(r, R_REFS) == 0) freeReceipt(r, slot + S_FREEING);
  else store<u32>(slot, 0, S_FREEING);
}

@inline function settle(r: usize, from: u32, to: u32): bool {
  if (atomic.cmpxchg<u32>(r + R_STATE, from, to) != from) return false;
  if (atomic.load<u32>(r, R_WAIT) != 0) atomic.notify(r + R_STATE, i32.MAX_VALUE);
  return true;
}

/**
 * A receiver (this thread) took the message that carries r (checked with receiptValid first),
 * from object `from`. False, and nothing done, when r is not QUEUED: only a corrupted object
 * hands a receipt out twice.
 */
@inline export function receiptTaken(r: usize, from: usize): bool {
  if (atomic.load<u32>(r, R_STATE) != QUEUED) return false;
  store<u32>(r, <u32>from, R_FROM);
  atomic.store<u32>(r, selfTid, R_RECEIVER);
  if (load<u32>(r, R_LEVEL) == LEVEL_RECEIVED) {
    if (settle(r, QUEUED, RECEIVED)) unref(r);
    lastReceipt = 0;
    return true;
  }
  const head = slotOf(selfTid) + S_ACKS;   // owed: link it before anyone is told
  store<u32>(r, load<u32>(head), R_NEXT);
  atomic.store<u32>(head, <u32>r);
  // nobody waits for RECEIVED at this level: no wake
  if (atomic.cmpxchg<u32>(r + R_STATE, QUEUED, RECEIVED) != QUEUED) {   // another taker won (a receipt handed out twice): not ours
    atomic.store<u32>(head, load<u32>(r, R_NEXT));
    lastReceipt = 0;
    return false;
  }
  lastReceipt = r;
  return true;
}

/** The message carrying r is dropped unreceived (r unchecked: checked here; once only, like a take). */
export function receiptDropped(r: usize): void {
  if (!receiptValid(r)) return;
  if (settle(r, QUEUED, DEAD)) unref(r);
}

/** What owedLink returns for a corrupted list: never a link (links are in the thread table or a block). */
const CORRUPT_LINK: usize = 1;

/** Where r hangs on this thread's list of receipts owed an ack (the link to it), or 0. */
function owedLink(r: usize): usize {
  let link = slotOf(selfTid) + S_ACKS;
  let cur = <usize>load<u32>(link);
  for (let steps: u32 = 0; cur != 0; steps++) {
    if (steps == RETRY_LIMIT || !receiptValid(cur)) return CORRUPT_LINK;
    if (cur == r) return link;
    link = cur + R_NEXT;
    cur = <usize>load<u32>(cur, R_NEXT);
  }
  return 0;
}

/**
 * A call's reply of len bytes: a node (port.ts layout) hung on the receipt, for the host to
 * write before receipt_ack. E_PERM when this thread does not owe r, E_INVAL if r is not a
 * call's, E_NOMEM.
 */
export function receipt_reply_node(r: usize, len: u32): i32 {
  const link = owedLink(r);
  if (link == 0) return E_PERM;
  if (link == CORRUPT_LINK) return E_CORRUPT;
  if (load<u32>(r, R_LEVEL) != LEVEL_REPLY) return E_INVAL;
  const node = msgNode(len, r);   // tagged as r's: receipt_take_reply checks it
  if (node < 0) return node;
  const old = <usize>atomic.xchg<u32>(r + R_REPLY, <u32>node);
  if (old != 0 && ownedBlock(old, r, N_DATA)) free(old);    // a reply written before and not acknowledged (its host threw)
  return node;
}

/**
 * The receiver acknowledges (after receipt_reply_node, if it replies): OK, E_PERM when this
 * thread does not owe it (another thread's, or acknowledged already).
 */
export function receipt_ack(r: usize): i32 {
  const link = owedLink(r);
  if (link == 0) return E_PERM;
  if (link == CORRUPT_LINK) return E_CORRUPT;
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
  let steps: u32 = 0;
  for (let r = <usize>load<u32>(slotOf(selfTid) + S_ACKS); r != 0; r = <usize>load<u32>(r, R_NEXT)) {
    if (++steps == RETRY_LIMIT || !receiptValid(r)) return E_CORRUPT;
    if (<usize>load<u32>(r, R_FROM) == obj && atomic.load<u32>(r, R_STATE) == RECEIVED) oldest = r;
  }
  return oldest == 0 ? E_PERM : receipt_ack(oldest);
}

/** Thread tid died: every receipt it owed an ack on fails, and it drops those it sent (thread_exit, under the registry lock). */
export function receiptsOnDeath(tid: u32): void {
  const head = slotOf(tid) + S_ACKS;
  let steps: u32 = 0;
  for (let r = <usize>load<u32>(head); r != 0; r = <usize>load<u32>(head)) {
    // a corrupted list (a receipt that is none, or a cycle) is cut off: its receipts leak
    if (++steps == RETRY_LIMIT || !receiptValid(r)) { atomic.store<u32>(head, 0); break; }
    atomic.store<u32>(head, load<u32>(r, R_NEXT));
    // RECEIVED: owed. QUEUED: cut between linking and settling. PROCESSED: cut after the
    // ack settled it, before it was unlinked (its reference not yet dropped).
    const state = atomic.load<u32>(r, R_STATE);
    if (state == PROCESSED || settle(r, RECEIVED, DEAD) || settle(r, QUEUED, DEAD)) unref(r);
  }
  // the receipts it sent and was still waiting on: the sender's reference goes with it
  const sent = slotOf(tid) + S_SENT;
  steps = 0;
  for (let r = <usize>load<u32>(sent); r != 0; r = <usize>load<u32>(sent)) {
    if (++steps == RETRY_LIMIT || !sentLinksOk(r, sent) || <usize>load<u32>(r, R_SLINK) != sent) { store<u32>(sent, 0); break; }
    unlinkSent(r);
    unref(r);
  }
}
