// The unbounded list: the flavor of a channel with capacity Infinity. No ring: each message
// is a heap node laid out like a slot, [next][len][bytes], linked at the tail under the
// internal lock on commit and unlinked at the head on take; a full segment refuses the send
// (E_NOMEM) before anything is queued.
//   reserve: reserved++ (and this thread's count), then allocate the node (closed: undo)
//   commit:  link at the tail under the lock, count++; reserved-- (and this thread's count)
//   take:    unlink the head under the lock, count--
//   end of stream: closed, and no node queued or reserved (a node being written still comes)
// Killed mid-operation: each thread's reservations are counted in a table of RESERVERS
// [tid][count], so the death hook takes a dead thread's out of `reserved`, which the end of
// stream waits for (its nodes leak).
// Containment: the lock is lockAcquireObj (a forged holder is E_CORRUPT, not a hang), and a
// node read from a field or a link is checked (a block of the list's) before it is written through.
import { OK, E_CLOSED, E_AGAIN, E_TOO_LARGE, E_CORRUPT, E_DEAD_PEER } from '../status';
import { allocOwned, free } from '../alloc';
import { lockAcquireObj, lockRelease } from '../lock';
import { selfTid } from '../local';
import { ownedBlock, RETRY_LIMIT } from '../guard';
import {
  U_LOCK, U_TAIL, U_COUNT, U_RESERVED, U_HEAD, F_RESERVERS, RESERVERS, F_NOT_EMPTY, F_RECV_WAITING,
  S_SEQ, S_LEN, S_DATA, LEN_MASK, NO_FIT, BAD, ANY, SENDERS_GONE, isClosed, peersGone,
} from './layout';
import { dropBlock } from './slot';
import { signal } from './select';

/**
 * This thread's entry [tid][count] in the reservations table (claimed if `claim` and there
 * is none yet; kept until the thread dies), or 0: the table is full and it goes untracked.
 */
function reserver(obj: usize, claim: bool): usize {
  let free: usize = 0;
  for (let i: u32 = 0; i < RESERVERS; i++) {
    const e = obj + F_RESERVERS + <usize>i * 8;
    const t = atomic.load<u32>(e);
    if (t == selfTid) return e;
    if (t == 0 && free == 0) free = e;
  }
  if (!claim) return 0;
  for (let i: u32 = 0; i < RESERVERS; i++) {
    const e = obj + F_RESERVERS + <usize>i * 8;
    if (atomic.cmpxchg<u32>(e, 0, selfTid) == 0) return e;
  }
  return 0;
}

/** Link a written node at the tail: OK, or E_CORRUPT (nothing linked) when the lock word or the tail is not the list's. */
function listPush(obj: usize, node: usize): i32 {
  store<u32>(node, 0, S_SEQ);
  if (lockAcquireObj(obj + U_LOCK, -1) != OK) return E_CORRUPT;
  const tail = <usize>load<u32>(obj, U_TAIL);
  if (tail != 0 && !ownedBlock(tail, obj, S_DATA)) { lockRelease(obj + U_LOCK); return E_CORRUPT; }
  if (tail != 0) store<u32>(tail, <u32>node, S_SEQ); else atomic.store<u32>(obj, <u32>node, U_HEAD);
  store<u32>(obj, <u32>node, U_TAIL);
  atomic.add<u32>(obj + U_COUNT, 1);
  lockRelease(obj + U_LOCK);
  return OK;
}

/** Unlink the head node if it holds at most fit bytes: the node, 0 when empty, NO_FIT, or BAD (a head not the list's). */
function listPop(obj: usize, fit: u32): usize {
  if (atomic.load<u32>(obj, U_HEAD) == 0) return 0;
  if (lockAcquireObj(obj + U_LOCK, -1) != OK) return BAD;
  let node = <usize>atomic.load<u32>(obj, U_HEAD);
  if (node != 0 && !ownedBlock(node, obj, S_DATA)) node = BAD;
  else if (node != 0 && (load<u32>(node, S_LEN) & LEN_MASK) > fit) node = NO_FIT;
  else if (node != 0) {
    const next = load<u32>(node, S_SEQ);
    atomic.store<u32>(obj, next, U_HEAD);
    if (next == 0) store<u32>(obj, 0, U_TAIL);
    atomic.sub<u32>(obj + U_COUNT, 1);
  }
  lockRelease(obj + U_LOCK);
  return node;
}

/** Reserve a node for len bytes (the channel checked, not closed, len within the maximum): the node, E_CLOSED, E_NOMEM. */
export function listReserve(obj: usize, len: u32): i32 {
  // count the reservation before re-checking closed: a receiver ends only when none is out
  // (and in this thread's entry, back to back: a death hook must find the two agreeing)
  const mine = reserver(obj, true);
  atomic.add<u32>(obj + U_RESERVED, 1);
  if (mine != 0) atomic.add<u32>(mine + 4, 1);
  const node = isClosed(obj) ? E_CLOSED : allocOwned(S_DATA + <usize>len, false, obj);
  if (node < 0) {
    atomic.sub<u32>(obj + U_RESERVED, 1);
    if (mine != 0) atomic.sub<u32>(mine + 4, 1);
    signal(obj, F_NOT_EMPTY, F_RECV_WAITING);
    return node;
  }
  store<u32>(<usize>node, len, S_LEN);
  return node;
}

/** Link a written node: OK, or E_CORRUPT (the list would not take it: it is freed, the message lost). */
export function listPublish(obj: usize, node: usize): i32 {
  const mine = reserver(obj, false);   // found first: nothing may come between the two counts
  const rc = listPush(obj, node);
  atomic.sub<u32>(obj + U_RESERVED, 1);
  if (mine != 0 && load<u32>(mine, 4) != 0) atomic.sub<u32>(mine + 4, 1);   // 0: reserved untracked
  if (rc != OK) { dropBlock(obj, node); free(node); }
  return rc;
}

/** Take the head node if it holds at most fit bytes: the node, E_AGAIN, E_TOO_LARGE, E_CLOSED (closed, none queued or reserved), E_DEAD_PEER, E_CORRUPT. */
export function listTake(obj: usize, fit: u32): i32 {
  const node = listPop(obj, fit);
  if (node == NO_FIT) return E_TOO_LARGE;
  if (node == BAD) return E_CORRUPT;
  if (node != 0) return <i32>node;
  if (isClosed(obj) && atomic.load<u32>(obj, U_RESERVED) == 0 && atomic.load<u32>(obj, U_HEAD) == 0) return E_CLOSED;
  return peersGone(obj, SENDERS_GONE) && atomic.load<u32>(obj, U_RESERVED) == 0 ? E_DEAD_PEER : E_AGAIN;
}

/** A taken node is done with: freed (its heap block, if any, is the caller's to drop). */
@inline export function listFree(obj: usize, node: usize): void { if (ownedBlock(node, obj, S_DATA)) free(node); }

/** A dead thread's reservations leave `reserved` (its nodes leak). True if it had any. */
export function listDropClaims(obj: usize, tid: u32): bool {
  let any = false;
  for (let i: u32 = 0; i < RESERVERS; i++) {
    const e = obj + F_RESERVERS + <usize>i * 8;
    if (atomic.load<u32>(e) != tid) continue;
    const n = atomic.load<u32>(e, 4);
    if (n != 0) { atomic.sub<u32>(obj + U_RESERVED, n); any = true; }   // its nodes leak
    atomic.store<u32>(e, 0, 4);
    atomic.store<u32>(e, 0);
  }
  return any;
}

/** Every queued node and its heap block freed (a node that fails the check stops the walk: the rest leak). */
export function listDestroy(obj: usize): void {
  for (let i: u32 = 0; i < RETRY_LIMIT; i++) {
    const node = listPop(obj, ANY);
    if (node == 0 || node == BAD) break;
    dropBlock(obj, node);
    free(node);
  }
}
