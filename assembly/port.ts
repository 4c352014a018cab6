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
//   removed: E_CLOSED for everyone, nodes dropped when the memory is freed
// Waiting: notEmpty / notFull are eventcounts (eventcount.ts): read the sequence, try, wait
// for it to move. Thread ports are never freed (one per thread-table slot, kept like the
// scratch block), so a send by thread id needs no reference: the owner field, checked under
// the lock, tells a stale id from the slot's current thread.
import { OK, E_AGAIN, E_CLOSED, E_NOMEM, E_INVAL, E_PERM, E_DEAD_PEER, E_EXISTS } from './status';
import { OBJ_HEADER, O_KIND, O_STATE, LIVE, objRemoved } from './object';
import { lockAcquire, lockRelease } from './lock';
import { alloc, free } from './alloc';
import { ecSignal, ecWait } from './eventcount';
import { deadlineFrom, TIMED_OUT } from './futex';
import { E_TIMEOUT } from './status';
import { selfTid } from './local';
import { slotOf, isAlive, S_WAKE, S_PORT } from './threads';
import { receiptTaken, receiptDropped, clearLast } from './receipt';

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

const N_NEXT: usize = 0;
const N_LEN: usize = 4;
const N_SENDER: usize = 8;
const N_RECEIPT: usize = 12;
export const N_DATA: usize = 16;

/** Receive any sender's message; a thread id instead takes only that sender's. */
const FROM_ANY: u32 = 0;

export function portInit(obj: usize, backlog: u32): i32 {
  if (backlog == 0 || backlog > BACKLOG_MAX) return E_INVAL;
  store<u32>(obj, selfTid, F_OWNER);
  store<u32>(obj, backlog, F_LIMIT);
  return OK;
}

// ---- messages ----

/** A node for a message of len bytes (the host writes them at node + N_DATA), or E_NOMEM. */
export function port_msg(len: u32): i32 {
  const node = alloc(N_DATA + <usize>max<u32>(len, 1), false);
  if (node < 0) return node;
  store<u32>(node, 0, N_NEXT);
  store<u32>(node, len, N_LEN);
  store<u32>(node, selfTid, N_SENDER);
  store<u32>(node, 0, N_RECEIPT);
  return node;
}
export function port_msg_free(node: usize): void { free(node); }

function dropNode(node: usize): void {
  const r = <usize>load<u32>(node, N_RECEIPT);
  if (r != 0) receiptDropped(r);
  free(node);
}

// ---- send ----

/**
 * Queue a node (from port_msg; receipt: 0 or a receipt_new) on a port: OK (the port owns the
 * node), or E_AGAIN at the backlog limit, E_DEAD_PEER when the owner died, E_CLOSED once
 * removed (the caller keeps the node).
 */
export function port_send(obj: usize, node: usize, receipt: usize): i32 { return sendTo(obj, node, receipt, 0); }

/** The default port of thread tid, or 0 if it has none (never attached). */
export function threadPort(tid: u32): usize { return <usize>load<u32>(slotOf(tid), S_PORT); }

/**
 * A direct message to thread tid's default port: as port_send, E_DEAD_PEER when tid is not a
 * living thread (dead, or never was).
 */
export function port_send_thread(tid: u32, node: usize, receipt: usize): i32 {
  const obj = tid != 0 ? threadPort(tid) : 0;
  return obj == 0 ? E_DEAD_PEER : sendTo(obj, node, receipt, tid);
}

/** Link the node (owner: the thread the port must still belong to, 0 for any). */
function sendTo(obj: usize, node: usize, receipt: usize, owner: u32): i32 {
  store<u32>(node, <u32>receipt, N_RECEIPT);
  lockAcquire(obj + F_LOCK);
  const holder = load<u32>(obj, F_OWNER);
  const rc = owner != 0 && holder != owner ? E_DEAD_PEER : enqueue(obj, node);
  const inSet = (load<u32>(obj, F_FLAGS) & IN_SET) != 0;
  lockRelease(obj + F_LOCK);
  if (rc != OK) return rc;
  ecSignal(obj + F_NOT_EMPTY);
  if (inSet) {
    const wake = slotOf(holder) + S_WAKE;
    atomic.add<u32>(wake, 1);
    atomic.notify(wake, 1);
  }
  return OK;
}

function enqueue(obj: usize, node: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (load<u32>(obj, F_FLAGS) & DEAD) return E_DEAD_PEER;
  if (load<u32>(obj, F_COUNT) >= load<u32>(obj, F_LIMIT)) return E_AGAIN;
  const last = <usize>load<u32>(obj, F_TAIL);
  if (last != 0) store<u32>(last, <u32>node, N_NEXT); else store<u32>(obj, <u32>node, F_HEAD);
  store<u32>(obj, <u32>node, F_TAIL);
  atomic.store<u32>(obj, load<u32>(obj, F_COUNT) + 1, F_COUNT);
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
  if (load<u32>(obj, F_OWNER) != selfTid) return E_PERM;
  lockAcquire(obj + F_LOCK);
  let link = obj + F_HEAD;
  let prev: usize = 0;
  let node = <usize>load<u32>(link);
  if (from != FROM_ANY) {
    while (node != 0 && load<u32>(node, N_SENDER) != from) { prev = node; link = node + N_NEXT; node = <usize>load<u32>(node, N_NEXT); }
  }
  if (node == 0) { lockRelease(obj + F_LOCK); return E_AGAIN; }
  // unlinked and its receipt taken in one stretch with no call (receipt.ts: kill safety)
  store<u32>(link, load<u32>(node, N_NEXT));
  if (<usize>load<u32>(obj, F_TAIL) == node) store<u32>(obj, <u32>prev, F_TAIL);
  atomic.store<u32>(obj, load<u32>(obj, F_COUNT) - 1, F_COUNT);
  const r = <usize>load<u32>(node, N_RECEIPT);
  if (r != 0) receiptTaken(r, obj);
  lockRelease(obj + F_LOCK);
  ecSignal(obj + F_NOT_FULL);
  return <i32>node;
}
export function port_msg_len(node: usize): u32 { return load<u32>(node, N_LEN); }
export function port_msg_sender(node: usize): u32 { return load<u32>(node, N_SENDER); }

/** This thread's default port (made when it registered). */
export function port_self(): usize { return threadPort(selfTid); }
/** Thread tid's default port (its memory is never freed), or 0 if its slot never had a thread. */
export function port_of_thread(tid: u32): usize { return tid != 0 ? threadPort(tid) : 0; }

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
export function port_count(obj: usize): u32 { return atomic.load<u32>(obj, F_COUNT); }
export function port_backlog(obj: usize): u32 { return load<u32>(obj, F_LIMIT); }

/**
 * Take over the receive right of a port whose owner died (a service's fail-over): OK, or
 * E_EXISTS while its owner lives, E_CLOSED once removed.
 */
export function port_claim(obj: usize): i32 {
  lockAcquire(obj + F_LOCK);
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
  lockAcquire(obj + F_LOCK);
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

/** Drop every queued message (their receipts fail). Under the port lock. */
function drain(obj: usize): void {
  let node = <usize>load<u32>(obj, F_HEAD);
  store<u32>(obj, 0, F_HEAD);
  store<u32>(obj, 0, F_TAIL);
  atomic.store<u32>(obj, 0, F_COUNT);
  while (node != 0) {
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
  if (load<u32>(obj, F_OWNER) != tid) return;
  lockAcquire(obj + F_LOCK);
  if (load<u32>(obj, F_OWNER) == tid) {
    store<u32>(obj, load<u32>(obj, F_FLAGS) | DEAD, F_FLAGS);
    drain(obj);
  }
  lockRelease(obj + F_LOCK);
  portWakeAll(obj);
}

export function portDestroy(obj: usize): void {
  lockAcquire(obj + F_LOCK);
  drain(obj);
  lockRelease(obj + F_LOCK);
}

/** A thread registered in a slot: give it the slot's default port (made once, kept). E_NOMEM. */
export function threadPortAttach(slot: usize, tid: u32): i32 {
  let obj = <usize>load<u32>(slot, S_PORT);
  if (obj == 0) {
    const p = alloc(PORT_SIZE, true);
    if (p < 0) return E_NOMEM;
    obj = <usize>p;
    store<u32>(obj, KIND_PORT_, O_KIND);
    store<u32>(obj, BACKLOG_MAX, F_LIMIT);
    atomic.store<u32>(obj, LIVE, O_STATE);
    store<u32>(slot, <u32>obj, S_PORT);
  }
  lockAcquire(obj + F_LOCK);
  store<u32>(obj, tid, F_OWNER);
  store<u32>(obj, 0, F_FLAGS);
  lockRelease(obj + F_LOCK);
  return OK;
}

/** ipcs: [messages, backlog, owner, dead] */
export function portSummary(obj: usize, out: usize): void {
  store<u32>(out, atomic.load<u32>(obj, F_COUNT));
  store<u32>(out, load<u32>(obj, F_LIMIT), 4);
  store<u32>(out, atomic.load<u32>(obj, F_OWNER), 8);
  store<u32>(out, atomic.load<u32>(obj, F_FLAGS) & DEAD, 12);
}
