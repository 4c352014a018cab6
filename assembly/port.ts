// Port: a Mach-style port. One thread holds the receive right (the owner); any thread with a
// handle holds a send right. Every attached thread also has a default port (its "thread
// port"), addressed by its thread id, for direct messages.
//
// Messages are heap nodes, [next][len][sender tid][receipt][bytes], on one FIFO list under
// the internal lock: the sender's host allocates the node and writes the bytes into it before
// port_send links it, and the receiver's host reads them out of the unlinked node, so the
// lock covers a few stores and each side copies once.
//
//   send:    (E_DEAD_PEER if the owner died, E_AGAIN at the backlog limit) link at the tail;
//            count++; signal notEmpty; a port in a port set also bumps its owner's wake word
//            (the set's receiver parks there, as a select does)
//   receive: owner only (E_PERM otherwise); unlink the first node that matches (any, or from
//            one sender: receiveFrom); count--; signal notFull; a receipt in it is taken
//   owner dies (onThreadDeath, thread_exit): DEAD set under the lock, every queued node
//            dropped (its receipt fails), everyone woken; senders then get E_DEAD_PEER
//   claim:   a live thread takes over a dead port's receive right (a service's fail-over)
//   removed: E_CLOSED for everyone; what is queued is dropped at once (its receipts fail, so a
//            caller waiting on a removed port learns that nobody received its message)
// Waiting: notEmpty / notFull are eventcounts (eventcount.ts): read the sequence, try, wait
// for it to move. Thread ports are never freed (one per thread-table slot, kept like the
// scratch block), so a send by thread id needs no reference: the owner field, checked under
// the lock, tells a stale id from the slot's current thread.
//
// Kill safety: a receiver's host holds the node it took until it has copied the bytes out.
// port_recv tags it as in the thread's hands (heldOwner) and records it in the thread's
// S_HELD word in the same stretch as unlinking it, port_msg_free forgets it in the same
// stretch as freeing it (alloc.ts freeClearing), and the death walk frees whatever is still
// recorded: a receiver killed mid-copy leaks nothing. A call's reply taken by the caller is
// held the same way (receipt.ts).
//
// Containment (guard.ts): a node is tagged MSG_OWNER while its sender's host writes it, as
// the port's own while queued there (port_send adopts it, refusing a node that is not a
// free-standing one), and as its receiver's thread's (heldOwner) once port_recv hands it
// over; a call's reply is tagged as its receipt's until the caller takes it. So a head, a tail or a next read from the
// port must be a block tagged as this port's, and a forged one can name neither another
// object's memory nor a node some host is writing. The backlog is checked at each entry (it
// bounds the count, and the count bounds every walk of the list); a message length is checked
// against its node's block; a receipt with receiptValid. A thread's default port is tagged as
// its thread-table slot's. The lock is taken with lockAcquireObj (bounded), and every
// E_CORRUPT found under it releases it first.
import { OK, E_AGAIN, E_CLOSED, E_NOMEM, E_INVAL, E_PERM, E_DEAD_PEER, E_EXISTS, E_CORRUPT } from './status';
import { OBJ_HEADER, O_KIND, O_STATE, LIVE, objRemoved } from './object';
import { lockAcquireObj, lockRelease } from './lock';
import { allocOwned, free, freeClearing, ownedBlock, ownedUsable, adoptBlock, alloc_usable } from './alloc';
import { ecSignal, ecWait } from './eventcount';
import { deadlineFrom, TIMED_OUT } from './futex';
import { E_TIMEOUT } from './status';
import { selfTid } from './local';
import { slotOf, isAlive, heldOwner, S_WAKE, S_PORT, S_HELD } from './slots';
import { receiptTaken, receiptDropped, receiptValid, clearLast } from './receipt';
import { msgNode, N_NEXT, N_LEN, N_SENDER, N_RECEIPT, N_DATA, MSG_MAX, MSG_OWNER } from './message';
export { N_DATA, MSG_OWNER } from './message';

const F_OWNER: usize = OBJ_HEADER;
const F_LOCK: usize = OBJ_HEADER + 4;
const F_HEAD: usize = OBJ_HEADER + 8;
const F_TAIL: usize = OBJ_HEADER + 12;
const F_COUNT: usize = OBJ_HEADER + 16;
const F_LIMIT: usize = OBJ_HEADER + 20;
const F_FLAGS: usize = OBJ_HEADER + 24;
const F_NOT_EMPTY: usize = OBJ_HEADER + 28;   // eventcounts
const F_NOT_FULL: usize = OBJ_HEADER + 32;
export const PORT_SIZE: usize = OBJ_HEADER + 36;
export const KIND_PORT_: u32 = 19;            // kinds.ts KIND_PORT (a thread port's header says it too)
export const BACKLOG_MAX: u32 = 65536;

const DEAD: u32 = 1;      // the owner died: sends fail
const IN_SET: u32 = 2;    // a member of its owner's port set

/** Receive any sender's message; a thread id instead takes only that sender's. */
const FROM_ANY: u32 = 0;

/** The checked backlog of the port being operated on (thread-local: set by valid). */
let pLimit: u32 = 0;

/** The backlog is one a port can have and the flags are the port's (guard.ts); kept in pLimit. */
function valid(obj: usize): bool {
  const limit = load<u32>(obj, F_LIMIT);
  if (limit == 0 || limit > BACKLOG_MAX || (atomic.load<u32>(obj, F_FLAGS) & ~(DEAD | IN_SET)) != 0) return false;
  pLimit = limit;
  return true;
}

/** Take the port's lock (bounded: lock.ts lockAcquireObj). */
@inline function lock(obj: usize): bool { return lockAcquireObj(obj + F_LOCK, -1) == OK; }

/** Corruption found under the lock: release it, report. */
function corrupt(obj: usize): i32 {
  lockRelease(obj + F_LOCK);
  return E_CORRUPT;
}

/** node is a block queued on this port (tagged as obj's). */
@inline function queued(obj: usize, node: usize): bool { return ownedBlock(node, obj, N_DATA); }

export function portInit(obj: usize, backlog: u32): i32 {
  if (backlog == 0 || backlog > BACKLOG_MAX) return E_INVAL;
  store<u32>(obj, selfTid, F_OWNER);
  store<u32>(obj, backlog, F_LIMIT);
  return OK;
}

// ---- messages ----

/** A node for a message of len bytes (the host writes them at node + N_DATA), or E_NOMEM. */
export function port_msg(len: u32): i32 { return msgNode(len, MSG_OWNER); }

/** Free a node the host made (port_msg) or holds (received, or a reply taken): its S_HELD record goes with it. */
export function port_msg_free(node: usize): void { freeClearing(node, slotOf(selfTid) + S_HELD); }

function dropNode(node: usize): void {
  const r = <usize>load<u32>(node, N_RECEIPT);
  if (r != 0) receiptDropped(r);   // (checked there)
  free(node);
}

// ---- send ----

/**
 * Queue a node (from port_msg; receipt: 0 or a receipt_new) on a port: OK (the port owns the
 * node), or E_AGAIN at the backlog limit, E_DEAD_PEER when the owner died, E_CLOSED once
 * removed (the caller keeps the node).
 */
export function port_send(obj: usize, node: usize, receipt: usize): i32 { return sendTo(obj, node, receipt, 0); }

/** A thread-table slot's default port (tagged as the slot's: threadPortAttach), or 0 if it has none or a corrupted one. */
function slotPort(slot: usize): usize {
  const p = <usize>load<u32>(slot, S_PORT);
  return p != 0 && ownedBlock(p, slot, PORT_SIZE) && load<u32>(p, O_KIND) == KIND_PORT_ ? p : 0;
}

/** The default port of thread tid, or 0 if it has none (never attached) or a corrupted one. */
export function threadPort(tid: u32): usize { return slotPort(slotOf(tid)); }

/** Thread tid's default port, 0 if it has none, E_CORRUPT if its slot names something else. */
function threadPortOf(tid: u32): i32 {
  if (tid == 0 || load<u32>(slotOf(tid), S_PORT) == 0) return 0;
  const p = threadPort(tid);
  return p != 0 ? <i32>p : E_CORRUPT;
}

/**
 * A direct message to thread tid's default port: as port_send, E_DEAD_PEER when tid is not a
 * living thread (dead, or never was).
 */
export function port_send_thread(tid: u32, node: usize, receipt: usize): i32 {
  const obj = threadPortOf(tid);
  return obj == 0 ? E_DEAD_PEER : obj < 0 ? obj : sendTo(<usize>obj, node, receipt, tid);
}

/** Link the node (owner: the thread the port must still belong to, 0 for any). */
function sendTo(obj: usize, node: usize, receipt: usize, owner: u32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  // a node from port_msg that no port holds, its length within its block; a live receipt
  const usable = ownedUsable(node, MSG_OWNER);
  if (usable < <i32>N_DATA) return E_INVAL;
  const len = load<u32>(node, N_LEN);
  if (<usize>len > <usize>usable - N_DATA) return E_INVAL;
  if (receipt != 0 && !receiptValid(receipt)) return E_INVAL;
  store<u32>(node, <u32>receipt, N_RECEIPT);
  if (!lock(obj)) return E_CORRUPT;
  const holder = load<u32>(obj, F_OWNER);
  const rc = owner != 0 && holder != owner ? E_DEAD_PEER : enqueue(obj, node, len);
  const inSet = (load<u32>(obj, F_FLAGS) & IN_SET) != 0;
  lockRelease(obj + F_LOCK);
  if (rc != OK) return rc;
  ecSignal(obj + F_NOT_EMPTY);
  if (inSet && isAlive(holder)) {          // (a forged owner names no thread's wake word)
    const wake = slotOf(holder) + S_WAKE;
    atomic.add<u32>(wake, 1);
    atomic.notify(wake, 1);
  }
  return OK;
}

/** Under the lock. Any failure leaves the node the caller's (still MSG_OWNER's). */
function enqueue(obj: usize, node: usize, len: u32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (load<u32>(obj, F_FLAGS) & DEAD) return E_DEAD_PEER;
  const count = load<u32>(obj, F_COUNT);
  if (count > pLimit) return E_CORRUPT;
  if (count == pLimit) return E_AGAIN;
  // the tail is this port's last node (next 0), or there is none and the list is empty
  const last = <usize>load<u32>(obj, F_TAIL);
  if (last != 0 ? count == 0 || !queued(obj, last) || load<u32>(last, N_NEXT) != 0 : count != 0 || load<u32>(obj, F_HEAD) != 0) return E_CORRUPT;
  if (!adoptBlock(node, MSG_OWNER, obj)) return E_INVAL;   // (checked by sendTo; lost: sent twice at once)
  store<u32>(node, 0, N_NEXT);
  if (last != 0) store<u32>(last, <u32>node, N_NEXT); else store<u32>(obj, <u32>node, F_HEAD);
  store<u32>(obj, <u32>node, F_TAIL);
  atomic.store<u32>(obj, count + 1, F_COUNT);
  return OK;
}

// ---- receive ----

/**
 * Take the first message (from: FROM_ANY, or only that sender's): its node (the host reads
 * it, then port_msg_free), E_AGAIN when there is none, E_PERM when this thread does not hold
 * the receive right, E_CLOSED once removed. receipt_last() then names a receipt owed an ack.
 */
export function port_recv(obj: usize, from: u32): i32 {
  clearLast();
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  if (load<u32>(obj, F_OWNER) != selfTid) return E_PERM;
  // empty: said without the lock, so a receiver polling an idle port leaves its line shared
  // with the senders (a sender's count store comes before its signal: nothing is missed)
  if (atomic.load<u32>(obj, F_COUNT) == 0) return E_AGAIN;
  if (!lock(obj)) return E_CORRUPT;
  const count = load<u32>(obj, F_COUNT);
  let link = obj + F_HEAD;
  let prev: usize = 0;
  let node = <usize>load<u32>(link);
  if (count > pLimit || (node == 0) != (count == 0)) return corrupt(obj);
  // every node walked is this port's, and there are no more of them than the count
  let usable: i32 = -1;
  for (let steps: u32 = 1; node != 0; steps++) {
    usable = ownedUsable(node, obj);
    if (steps > count || usable < <i32>N_DATA) return corrupt(obj);
    if (from == FROM_ANY || load<u32>(node, N_SENDER) == from) break;
    prev = node; link = node + N_NEXT; node = <usize>load<u32>(node, N_NEXT);
  }
  if (node == 0) { lockRelease(obj + F_LOCK); return E_AGAIN; }
  const len = load<u32>(node, N_LEN);
  const next = <usize>load<u32>(node, N_NEXT);
  const r = <usize>load<u32>(node, N_RECEIPT);
  if (<usize>len > <usize>usable - N_DATA) return corrupt(obj);
  if (next == 0 && <usize>load<u32>(obj, F_TAIL) != node) return corrupt(obj);
  if (r != 0 && !receiptValid(r)) return corrupt(obj);
  // unlinked and its receipt taken in one stretch with no call (receipt.ts: kill safety)
  store<u32>(link, <u32>next);
  if (next == 0) store<u32>(obj, <u32>prev, F_TAIL);
  atomic.store<u32>(obj, count - 1, F_COUNT);
  if (r != 0) receiptTaken(r, obj);
  // the host's now: tagged as in this thread's hands and recorded in its S_HELD word, still
  // in the same stretch, so a kill from here until port_msg_free frees it leaks nothing (the
  // death walk frees it: receipt.ts heldOnDeath)
  const mine = adoptBlock(node, obj, heldOwner(selfTid));
  if (mine) store<u32>(slotOf(selfTid), <u32>node, S_HELD);
  lockRelease(obj + F_LOCK);
  ecSignal(obj + F_NOT_FULL);
  return mine ? <i32>node : E_CORRUPT;
}
/** A received node's (or a reply's) length, checked against its block: E_CORRUPT otherwise. */
export function port_msg_len(node: usize): i32 {
  const usable = alloc_usable(node);
  if (usable < <i32>N_DATA) return E_CORRUPT;
  const len = load<u32>(node, N_LEN);
  return len <= MSG_MAX && <usize>len <= <usize>usable - N_DATA ? <i32>len : E_CORRUPT;
}
export function port_msg_sender(node: usize): u32 { return load<u32>(node, N_SENDER); }

/** This thread's default port (made when it registered), or E_CORRUPT. */
export function port_self(): i32 { return threadPortOf(selfTid); }
/** Thread tid's default port (its memory is never freed), 0 if its slot never had a thread, or E_CORRUPT. */
export function port_of_thread(tid: u32): i32 { return threadPortOf(tid); }

// ---- waiting ----

/** The eventcount a sender (send = 1) or receiver waits on: read its sequence before trying. */
export function port_event(obj: usize, send: i32): usize { return obj + (send ? F_NOT_FULL : F_NOT_EMPTY); }

/** Wait until the side's sequence moves past seen: OK, or E_TIMEOUT. */
export function port_wait(obj: usize, send: i32, seen: u32, timeoutMs: f64): i32 {
  return ecWait(port_event(obj, send), seen, deadlineFrom(timeoutMs)) == TIMED_OUT ? E_TIMEOUT : OK;
}

// ---- ownership and sets ----

export function port_owner(obj: usize): u32 { return atomic.load<u32>(obj, F_OWNER); }
export function port_dead(obj: usize): i32 { return (atomic.load<u32>(obj, F_FLAGS) & DEAD) != 0 ? 1 : 0; }
/** Messages queued (E_CORRUPT above the backlog), the backlog. */
export function port_count(obj: usize): i32 {
  if (!valid(obj)) return E_CORRUPT;
  const count = atomic.load<u32>(obj, F_COUNT);
  return count <= pLimit ? <i32>count : E_CORRUPT;
}
export function port_backlog(obj: usize): i32 { return valid(obj) ? <i32>pLimit : E_CORRUPT; }

/**
 * Take over the receive right of a port whose owner died (a service's fail-over): OK, or
 * E_EXISTS while its owner lives, E_CLOSED once removed.
 */
export function port_claim(obj: usize): i32 {
  if (!valid(obj) || !lock(obj)) return E_CORRUPT;
  let rc = OK;
  const owner = load<u32>(obj, F_OWNER);
  if (objRemoved(obj)) rc = E_CLOSED;
  else if (owner != selfTid) {
    if (isAlive(owner) && (load<u32>(obj, F_FLAGS) & DEAD) == 0) rc = E_EXISTS;
    else { store<u32>(obj, selfTid, F_OWNER); store<u32>(obj, 0, F_FLAGS); }
  }
  lockRelease(obj + F_LOCK);
  return rc;
}

/**
 * Join (on = 1) or leave this thread's port set: E_PERM unless this thread owns the port,
 * E_EXISTS if it is in a set already. A member's sends bump the owner's wake word.
 */
export function port_set_member(obj: usize, on: i32): i32 {
  if (!valid(obj) || !lock(obj)) return E_CORRUPT;
  let rc = OK;
  const flags = load<u32>(obj, F_FLAGS);
  if (load<u32>(obj, F_OWNER) != selfTid) rc = E_PERM;
  else if (on && (flags & IN_SET) != 0) rc = E_EXISTS;
  else store<u32>(obj, on ? flags | IN_SET : flags & ~IN_SET, F_FLAGS);
  lockRelease(obj + F_LOCK);
  return rc;
}

/** The address of this thread's wake word and its value now: a port set parks on it. */
export function port_wake_addr(): usize { return slotOf(selfTid) + S_WAKE; }

// ---- death, removal, thread ports ----

/** Drop every queued message (their receipts fail). Under the port lock, after valid: at most backlog nodes, each the port's. */
function drain(obj: usize): void {
  let node = <usize>load<u32>(obj, F_HEAD);
  store<u32>(obj, 0, F_HEAD);
  store<u32>(obj, 0, F_TAIL);
  atomic.store<u32>(obj, 0, F_COUNT);
  for (let steps: u32 = 0; node != 0 && steps < pLimit && queued(obj, node); steps++) {
    const next = <usize>load<u32>(node, N_NEXT);
    dropNode(node);
    node = next;
  }
}

export function portWakeAll(obj: usize): void {
  ecSignal(obj + F_NOT_EMPTY);
  ecSignal(obj + F_NOT_FULL);
}

/** The owner died: the port refuses sends, drops what is queued, and wakes everyone. */
export function portOnDeath(obj: usize, tid: u32): void {
  if (load<u32>(obj, F_OWNER) != tid || !valid(obj) || !lock(obj)) return;
  if (load<u32>(obj, F_OWNER) == tid) {
    store<u32>(obj, load<u32>(obj, F_FLAGS) | DEAD, F_FLAGS);
    drain(obj);
  }
  lockRelease(obj + F_LOCK);
  portWakeAll(obj);
}

/** Removed (REMOVED is stored first, so no send links a node after this drain): drop what is queued, wake everyone. */
export function portOnRemove(obj: usize): void {
  if (valid(obj) && lock(obj)) {
    drain(obj);
    lockRelease(obj + F_LOCK);
  }
  portWakeAll(obj);
}

export function portDestroy(obj: usize): void {
  // Its last reference is gone: no one else uses it. The nodes are checked one by one by their
  // tag, so even a corrupted port's list is walked (at most BACKLOG_MAX of them) and its
  // confirmed senders learn their messages are dropped; a forged lock word is not waited on.
  if (!valid(obj)) pLimit = BACKLOG_MAX;
  const locked = lock(obj);
  drain(obj);
  if (locked) lockRelease(obj + F_LOCK);
}

/** A thread registered in a slot: give it the slot's default port (made once, kept). E_NOMEM. */
export function threadPortAttach(slot: usize, tid: u32): i32 {
  let obj = slotPort(slot);
  if (obj == 0 || !valid(obj) || !lock(obj)) {   // none yet, or a corrupted one (left behind: it leaks)
    const p = allocOwned(PORT_SIZE, true, slot);
    if (p < 0) return E_NOMEM;
    obj = <usize>p;
    store<u32>(obj, KIND_PORT_, O_KIND);
    store<u32>(obj, BACKLOG_MAX, F_LIMIT);
    atomic.store<u32>(obj, LIVE, O_STATE);
    store<u32>(slot, <u32>obj, S_PORT);
    lock(obj);
  }
  store<u32>(obj, tid, F_OWNER);
  store<u32>(obj, 0, F_FLAGS);
  lockRelease(obj + F_LOCK);
  return OK;
}

/** ipcs: [messages, backlog, owner, dead] */
export function portSummary(obj: usize, out: usize): void {
  if (!valid(obj)) { memory.fill(out, 0xff, 16); return; }   // -1 in every word: corrupted
  store<u32>(out, atomic.load<u32>(obj, F_COUNT));
  store<u32>(out, load<u32>(obj, F_LIMIT), 4);
  store<u32>(out, atomic.load<u32>(obj, F_OWNER), 8);
  store<u32>(out, atomic.load<u32>(obj, F_FLAGS) & DEAD, 12);
}
