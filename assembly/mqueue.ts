// MessageQueue: POSIX message queue semantics (mq_open, mq_send, mq_receive, mq_notify).
//
// Fixed memory, as in the kernel: maxMessages nodes of maxMessageSize bytes, made at
// creation and kept on a free list. Queued nodes hang on 32 FIFO lists, one per priority,
// with a bitmap of the non-empty ones; receive takes the head of the highest set bit (the
// oldest message of the highest priority). Lists, free list, count and bitmap are guarded
// by the internal lock. Messages up to SHORT bytes are copied under it (one lock stretch per
// operation, and nothing to lose if the thread is killed); longer ones outside it.
//
//   send:    lock; pop a free node (none: E_AGAIN, the queue is full: nothing is displaced);
//            copy in (long: unlock around the copy); append to list[prio]; set its bit;
//            count++; on 0 → 1 with a notify registration and no receiver waiting: fire it
//            (once) and drop the registration; unlock; signal notEmpty
//   receive: lock; highest bit → unlink the head (a message longer than the caller's
//            buffer stays: E_TOO_LARGE); count--; take its receipt; copy out (long: unlock
//            around the copy); free the node; unlock; signal notFull
// Waiting: notEmpty / notFull are eventcounts (eventcount.ts): a waiter reads the sequence,
// tries, and waits for the sequence to move. Receivers count themselves in `receivers
// waiting` while they wait, which is what mq_notify's "only when no receiver is blocked"
// reads. A removed queue wakes everyone (E_CLOSED).
//
// Node: [next u32][len u32][prio u32][receipt u32][bytes] (receipt.ts: delivery confirmation)
//
// Containment (guard.ts): the nodes are one heap block tagged as the queue's; every
// operation first checks the sizes and that block against each other (valid, which keeps
// them in thread-local copies, so a later overwrite cannot move a check), and a node offset
// read from a list head, a tail, the free list or a node's next must be one of the block's
// nodes (nodeOk). A node's prio word says where it is: its priority on a list, N_FREE on the
// free list, N_BUSY off every list (a long copy in progress): a node taken from a list must
// say that list, so a head forged to another list's node, a free node or a node being copied
// is refused. A message length, a priority and a receipt (receiptValid) are checked before
// use; the count is checked against maxMessages where it is reported. The lock is taken with
// lockAcquireObj (bounded: a forged holder is E_CORRUPT, not a hang), and every E_CORRUPT
// found under it releases it first.
import { OK, E_AGAIN, E_CLOSED, E_NOMEM, E_TOO_LARGE, E_INVAL, E_EXISTS, E_PERM, E_TIMEOUT, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { lockAcquireObj, lockRelease } from './lock';
import { allocOwned, free } from './alloc';
import { ownedBlock } from './guard';
import { ecSignal, ecWait } from './eventcount';
import { deadlineFrom, TIMED_OUT } from './futex';
import { selfTid } from './local';
import { receiptTaken, receiptDropped, receiptValid, clearLast } from './receipt';

const F_MAX: usize = OBJ_HEADER;
const F_MSGSIZE: usize = OBJ_HEADER + 4;
const F_NODES: usize = OBJ_HEADER + 8;
const F_NODE_SIZE: usize = OBJ_HEADER + 12;
const F_LOCK: usize = OBJ_HEADER + 16;
const F_FREE: usize = OBJ_HEADER + 20;
const F_COUNT: usize = OBJ_HEADER + 24;
const F_BITS: usize = OBJ_HEADER + 28;
const F_NOT_EMPTY: usize = OBJ_HEADER + 32;     // eventcounts
const F_NOT_FULL: usize = OBJ_HEADER + 36;
const F_RECV_WAITING: usize = OBJ_HEADER + 40;
const F_NOTIFY_TID: usize = OBJ_HEADER + 44;    // mq_notify's registrant (0: none)
const F_NOTIFY: usize = OBJ_HEADER + 48;        // eventcount its host waits on
const F_HEADS: usize = OBJ_HEADER + 64;
const F_TAILS: usize = OBJ_HEADER + 192;
export const MQ_SIZE: usize = OBJ_HEADER + 320;
export const MQ_PRIORITIES: u32 = 32;
/** Messages up to this size are copied under the lock: one lock stretch per send or receive. */
const SHORT: u32 = 512;

const N_NEXT: usize = 0;
const N_LEN: usize = 4;
const N_PRIO: usize = 8;
const N_RECEIPT: usize = 12;
const N_DATA: usize = 16;
const N_FREE: u32 = 0xFFFFFFFF;   // a node's prio word on the free list
const N_BUSY: u32 = 0xFFFFFFFE;   // ... off every list (popped, its bytes being copied)
const MAX_MESSAGES: u32 = 65536;
const MAX_SIZE: u32 = 1 << 24;

@inline function nodeSizeFor(maxMessageSize: u32): usize { return N_DATA + ((<usize>maxMessageSize + 7) & ~<usize>7); }

// The checked geometry of the queue being operated on (thread-local: set by valid).
let qNodes: usize = 0;
let qNodeSize: usize = 0;
let qLastNode: usize = 0;   // offset of the last node in the block
let qMax: u32 = 0;
let qSize: u32 = 0;

/** The sizes agree with each other and the nodes' block holds them (guard.ts); kept in q*. */
function valid(obj: usize): bool {
  const max = load<u32>(obj, F_MAX), size = load<u32>(obj, F_MSGSIZE);
  const nodes = <usize>load<u32>(obj, F_NODES), nodeSize = <usize>load<u32>(obj, F_NODE_SIZE);
  if (max == 0 || max > MAX_MESSAGES || size == 0 || size > MAX_SIZE || nodeSize != nodeSizeFor(size)) return false;
  if (<u64>nodeSize * <u64>max > 0x40000000 || !ownedBlock(nodes, obj, nodeSize * <usize>max)) return false;   // (as mqInit: no wrap)
  qNodes = nodes; qNodeSize = nodeSize; qMax = max; qSize = size; qLastNode = nodeSize * <usize>(max - 1);
  return true;
}

/**
 * p is a node inside the queue's block (after valid): 8-aligned, and a whole node's room before
 * the block's end. (Not necessarily at a node boundary: a division on every step is not worth
 * it, as a node forged in between still reads and writes the queue's own block only.)
 */
@inline function nodeOk(p: usize): bool {
  const off = p - qNodes;   // wraps for p below the block: then too large
  return off <= qLastNode && (off & 7) == 0;
}

/** p is a node queued on list prio with a length the queue allows. */
@inline function queuedOk(p: usize, prio: u32): bool {
  return nodeOk(p) && load<u32>(p, N_PRIO) == prio && load<u32>(p, N_LEN) <= qSize;
}

/** Corruption found under the lock: release it, report. */
function corrupt(obj: usize): i32 {
  lockRelease(obj + F_LOCK);
  return E_CORRUPT;
}

@inline function lock(obj: usize): bool { return lockAcquireObj(obj + F_LOCK, -1) == OK; }

export function mqInit(obj: usize, maxMessages: u32, maxMessageSize: u32): i32 {
  if (maxMessages == 0 || maxMessages > MAX_MESSAGES || maxMessageSize == 0 || maxMessageSize > MAX_SIZE) return E_INVAL;
  const nodeSize = nodeSizeFor(maxMessageSize);
  if (<u64>nodeSize * <u64>maxMessages > 0x40000000) return E_NOMEM;
  const nodes = allocOwned(nodeSize * <usize>maxMessages, false, obj);
  if (nodes < 0) return E_NOMEM;
  for (let i: u32 = 0; i < maxMessages; i++) {
    const node = <usize>nodes + <usize>i * nodeSize;
    store<u32>(node, i + 1 < maxMessages ? <u32>(node + nodeSize) : 0, N_NEXT);
    store<u32>(node, N_FREE, N_PRIO);
    store<u32>(node, 0, N_RECEIPT);
  }
  store<u32>(obj, maxMessages, F_MAX);
  store<u32>(obj, maxMessageSize, F_MSGSIZE);
  store<u32>(obj, <u32>nodes, F_NODES);
  store<u32>(obj, <u32>nodeSize, F_NODE_SIZE);
  store<u32>(obj, <u32>nodes, F_FREE);
  return OK;
}

@inline function head(obj: usize, prio: u32): usize { return obj + F_HEADS + <usize>prio * 4; }
@inline function tail(obj: usize, prio: u32): usize { return obj + F_TAILS + <usize>prio * 4; }

/**
 * Send len bytes staged at src with priority prio (0–31), and a receipt (0: none): OK,
 * E_AGAIN when full, E_TOO_LARGE, E_INVAL, E_CLOSED once removed.
 */
export function mq_send_from(obj: usize, src: usize, len: u32, prio: u32, receipt: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  if (len > qSize) return E_TOO_LARGE;
  if (prio >= MQ_PRIORITIES || (receipt != 0 && !receiptValid(receipt))) return E_INVAL;
  if (!lock(obj)) return E_CORRUPT;
  const node = <usize>load<u32>(obj, F_FREE);
  if (node == 0) { lockRelease(obj + F_LOCK); return E_AGAIN; }
  if (!nodeOk(node) || load<u32>(node, N_PRIO) != N_FREE) return corrupt(obj);
  const rest = <usize>load<u32>(node, N_NEXT);
  if (rest != 0 && !nodeOk(rest)) return corrupt(obj);
  store<u32>(obj, <u32>rest, F_FREE);
  store<u32>(node, N_BUSY, N_PRIO);
  if (len > SHORT) {              // a long copy outside the lock (a kill meanwhile loses the node)
    lockRelease(obj + F_LOCK);
    memory.copy(node + N_DATA, src, <usize>len);
    if (!lock(obj)) return E_CORRUPT;   // (the node is lost: the queue is corrupted)
  } else {
    memory.copy(node + N_DATA, src, <usize>len);
  }
  // the list's last node must be one of ours, on this list, at its end
  const last = <usize>load<u32>(tail(obj, prio));
  if (last != 0 ? !queuedOk(last, prio) || load<u32>(last, N_NEXT) != 0 : load<u32>(head(obj, prio)) != 0) return corrupt(obj);
  store<u32>(node, len, N_LEN);
  store<u32>(node, prio, N_PRIO);
  store<u32>(node, <u32>receipt, N_RECEIPT);
  store<u32>(node, 0, N_NEXT);
  if (last != 0) store<u32>(last, <u32>node, N_NEXT); else store<u32>(head(obj, prio), <u32>node);
  store<u32>(tail(obj, prio), <u32>node);
  atomic.or<u32>(obj + F_BITS, 1 << prio);
  const count = atomic.add<u32>(obj + F_COUNT, 1);
  let fire = false;
  if (count == 0 && load<u32>(obj, F_NOTIFY_TID) != 0 && atomic.load<u32>(obj, F_RECV_WAITING) == 0) {
    store<u32>(obj, 0, F_NOTIFY_TID);   // it fires once, then it is removed
    fire = true;
  }
  lockRelease(obj + F_LOCK);
  if (fire) ecSignal(obj + F_NOTIFY);
  ecSignal(obj + F_NOT_EMPTY);
  return OK;
}

/** Priority of the last message this thread received (thread-local). */
let lastPrio: u32 = 0;
export function mq_last_priority(): u32 { return lastPrio; }

/**
 * Receive the oldest message of the highest priority into dst (cap bytes): its length
 * (mq_last_priority() gives its priority), E_AGAIN when empty, E_TOO_LARGE when it is longer
 * than cap (it stays queued), E_CLOSED once removed.
 */
export function mq_recv_into(obj: usize, dst: usize, cap: u32): i32 {
  clearLast();
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  if (!lock(obj)) return E_CORRUPT;
  const bits = atomic.load<u32>(obj, F_BITS);
  if (bits == 0) { lockRelease(obj + F_LOCK); return E_AGAIN; }
  const prio: u32 = 31 - <u32>clz<u32>(bits);
  const node = <usize>load<u32>(head(obj, prio));
  if (!queuedOk(node, prio)) return corrupt(obj);
  const len = load<u32>(node, N_LEN);
  if (len > cap) { lockRelease(obj + F_LOCK); return E_TOO_LARGE; }
  const next = <usize>load<u32>(node, N_NEXT);
  if (next != 0 ? !nodeOk(next) : <usize>load<u32>(tail(obj, prio)) != node) return corrupt(obj);
  const r = <usize>load<u32>(node, N_RECEIPT);
  if (r != 0 && !receiptValid(r)) return corrupt(obj);
  // unlinked and its receipt taken in one stretch with no call (receipt.ts: kill safety)
  store<u32>(head(obj, prio), <u32>next);
  if (next == 0) { store<u32>(tail(obj, prio), 0); atomic.and<u32>(obj + F_BITS, ~(1 << prio)); }
  atomic.sub<u32>(obj + F_COUNT, 1);
  store<u32>(node, N_BUSY, N_PRIO);
  store<u32>(node, 0, N_RECEIPT);
  if (r != 0) receiptTaken(r, obj);
  if (len > SHORT) {              // a long copy outside the lock (a kill meanwhile loses the node)
    lockRelease(obj + F_LOCK);
    memory.copy(dst, node + N_DATA, <usize>len);
    if (!lock(obj)) return E_CORRUPT;   // (the node is lost: the queue is corrupted)
  } else {
    memory.copy(dst, node + N_DATA, <usize>len);
  }
  store<u32>(node, load<u32>(obj, F_FREE), N_NEXT);   // (checked when it is popped)
  store<u32>(node, N_FREE, N_PRIO);
  store<u32>(obj, <u32>node, F_FREE);
  lockRelease(obj + F_LOCK);
  lastPrio = prio;
  ecSignal(obj + F_NOT_FULL);
  return <i32>len;
}

/** Length of the message a receive would take now (0 when empty): to size a buffer. E_CORRUPT. */
export function mq_next_len(obj: usize): i32 {
  if (!valid(obj) || !lock(obj)) return E_CORRUPT;
  const bits = atomic.load<u32>(obj, F_BITS);
  let len: u32 = 0;
  if (bits != 0) {
    const prio: u32 = 31 - <u32>clz<u32>(bits);
    const node = <usize>load<u32>(head(obj, prio));
    if (!queuedOk(node, prio)) return corrupt(obj);
    len = load<u32>(node, N_LEN);
  }
  lockRelease(obj + F_LOCK);
  return <i32>len;
}

/** The eventcount a sender (send = 1) or receiver waits on: read its sequence before trying. */
export function mq_event(obj: usize, send: i32): usize { return obj + (send ? F_NOT_FULL : F_NOT_EMPTY); }

/**
 * Wait until the side's sequence moves past seen (a receiver counts as blocked meanwhile):
 * OK, or E_TIMEOUT.
 */
export function mq_wait(obj: usize, send: i32, seen: u32, timeoutMs: f64): i32 {
  if (!send) atomic.add<u32>(obj + F_RECV_WAITING, 1);
  const rc = ecWait(obj + (send ? F_NOT_FULL : F_NOT_EMPTY), seen, deadlineFrom(timeoutMs));
  if (!send) atomic.sub<u32>(obj + F_RECV_WAITING, 1);
  return rc == TIMED_OUT ? E_TIMEOUT : OK;
}

/** The async path counts its blocked receivers with this (delta +1 / -1). */
export function mq_receivers_waiting(obj: usize, delta: i32): void { atomic.add<i32>(obj + F_RECV_WAITING, delta); }

/**
 * mq_notify: register this thread (on = 1; E_EXISTS if another thread is registered,
 * E_CLOSED once removed) or drop its registration (on = 0; E_PERM if it is not the
 * registrant). The registrant waits on mq_notify_event's sequence, read before this call:
 * a removal after it moves the sequence, and one before it is refused here (the removal's
 * wake-up has passed, so that wait would never end).
 */
export function mq_notify(obj: usize, on: i32): i32 {
  if (!valid(obj) || !lock(obj)) return E_CORRUPT;
  const cur = load<u32>(obj, F_NOTIFY_TID);
  let rc = OK;
  if (on) {
    if (objRemoved(obj)) rc = E_CLOSED;
    else if (cur != 0 && cur != selfTid) rc = E_EXISTS; else store<u32>(obj, selfTid, F_NOTIFY_TID);
  } else if (cur != selfTid) {
    rc = E_PERM;
  } else {
    store<u32>(obj, 0, F_NOTIFY_TID);
  }
  lockRelease(obj + F_LOCK);
  return rc;
}
export function mq_notify_event(obj: usize): usize { return obj + F_NOTIFY; }
/** 1 while this thread's registration stands (it has not fired nor been dropped). */
export function mq_notify_armed(obj: usize): i32 { return atomic.load<u32>(obj, F_NOTIFY_TID) == selfTid ? 1 : 0; }

/** Messages queued (E_CORRUPT for a count above maxMessages), maxMessages, maxMessageSize. */
export function mq_count(obj: usize): i32 {
  if (!valid(obj)) return E_CORRUPT;
  const count = atomic.load<u32>(obj, F_COUNT);
  return count <= qMax ? <i32>count : E_CORRUPT;
}
export function mq_max_messages(obj: usize): i32 { return valid(obj) ? <i32>qMax : E_CORRUPT; }
export function mq_max_size(obj: usize): i32 { return valid(obj) ? <i32>qSize : E_CORRUPT; }

export function mqWakeAll(obj: usize): void {
  ecSignal(obj + F_NOT_EMPTY);
  ecSignal(obj + F_NOT_FULL);
  ecSignal(obj + F_NOTIFY);
}

export function mqDestroy(obj: usize): void {
  const nodes = <usize>load<u32>(obj, F_NODES);
  if (nodes == 0 || !valid(obj)) return;   // (corrupted: leaked, not misfreed; its confirmed senders time out)
  // queued messages' senders learn they are dropped: every node is looked at, not the lists,
  // so a corrupted list loses none (a queued node's prio word says so; a taken one's receipt is 0)
  for (let i: u32 = 0; i < qMax; i++) {
    const node = qNodes + <usize>i * qNodeSize;
    const r = <usize>load<u32>(node, N_RECEIPT);
    if (load<u32>(node, N_PRIO) < MQ_PRIORITIES && r != 0) receiptDropped(r);   // (checked there)
  }
  store<u32>(obj, 0, F_NODES);
  free(nodes);
}

/** A dead registrant's notification goes with it. */
export function mqOnDeath(obj: usize, tid: u32): void {
  if (atomic.load<u32>(obj, F_NOTIFY_TID) == tid) atomic.cmpxchg<u32>(obj + F_NOTIFY_TID, tid, 0);
}

/** ipcs: [messages, max messages, receivers waiting, max message size] */
export function mqSummary(obj: usize, out: usize): void {
  if (!valid(obj)) { memory.fill(out, 0xff, 16); return; }   // -1 in every word: corrupted
  store<u32>(out, atomic.load<u32>(obj, F_COUNT));
  store<u32>(out, load<u32>(obj, F_MAX), 4);
  store<u32>(out, atomic.load<u32>(obj, F_RECV_WAITING), 8);
  store<u32>(out, load<u32>(obj, F_MSGSIZE), 12);
}
