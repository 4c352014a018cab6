// The bounded MPMC ring (Vyukov's bounded queue with a sequence number per slot): the flavor
// of a channel with a capacity, and of every channel's urgent lane.
//
// A slot at position p is free for a sender when seq == p and full for a receiver when
// seq == p + 1:
//   send:  claim p = tail (CAS) where seq == p; write; seq = p + 1
//   recv:  claim p = head (CAS) where seq == p + 1; read; seq = p + capacity (free for the next lap)
// Small messages are copied through the ring; a message larger than the slot goes to a heap
// block and only its offset travels (the lecture notes' LPC rule). A sender that cannot get
// a block publishes a tombstone, which receivers skip: a claimed slot is never left empty.
// Who wakes whom: a publish signals notEmpty, a release notFull (select.ts signal), each only
// when someone waits there.
//
// Killed mid-operation: a slot is marked with its claimer in
// the word after its payload (S_OWNER: the thread id, | TAKEN for a receiver) right after
// the CAS that claims it, and the mark is cleared just before the slot is published or
// released, with no call in between either pair (a terminated thread stops only at a call
// or a loop's back edge). The death hook publishes a dead sender's claimed slot as a
// tombstone (its heap block, if any, leaks) and releases a dead receiver's taken slot (its
// message is lost); unmarked, one killed thread stalled the ring for everyone.
//
// Containment: the claim loops call a sequence no step makes (ahead of an unmoved index)
// corrupt, and every retry loop is bounded (RETRY_LIMIT).
import { E_AGAIN, E_CLOSED, E_NOMEM, E_DEAD_PEER, E_TOO_LARGE, E_CORRUPT } from '../status';
import { allocOwned } from '../alloc';
import { selfTid } from '../local';
import { RETRY_LIMIT } from '../guard';
import {
  F_CAP, F_SLOTS, F_SLOT, F_TAIL, F_HEAD, F_LIMIT, F_INLINE, F_NOT_EMPTY, F_RECV_WAITING, F_NOT_FULL, F_SEND_WAITING,
  S_SEQ, S_LEN, S_DATA, HEAP, TOMBSTONE, TAKEN, BAD, NO_FIT, RECEIVERS_GONE, SENDERS_GONE,
  slotAt, ownerOf, isClosed, peersGone,
} from './layout';
import { setLastBlock, tooLong, dropBlock } from './slot';
import { signal } from './select';
import { laneBusy } from './check';

/** Position of the last slot this thread published (thread-local): rendezvous waits on it. */
export let lastPos: u32 = 0;
export function ch_last_pos(): u32 { return lastPos; }

/**
 * Claim a free slot: its address, 0 when the ring is full, or BAD. With the tail unmoved,
 * its slot's sequence is at most the tail (a sender of this lap moves the tail before it
 * publishes): one ahead of it is corrupt (guard.ts), not a reason to retry.
 */
export function claimSend(obj: usize): usize {
  let pos = atomic.load<u32>(obj, F_TAIL);
  for (let tries: u32 = 0; tries < RETRY_LIMIT; tries++) {
    const slot = slotAt(obj, pos);
    const dif = <i32>(atomic.load<u32>(slot, S_SEQ) - pos);
    if (dif == 0) {
      if (atomic.load<u32>(obj, F_LIMIT) == 1 && pos != atomic.load<u32>(obj, F_HEAD)) return 0;
      const seen = atomic.cmpxchg<u32>(obj + F_TAIL, pos, pos + 1);
      if (seen == pos) { store<u32>(ownerOf(obj, slot), selfTid); return slot; }
      pos = seen;
    } else if (dif < 0) {
      return 0;
    } else {
      const tail = atomic.load<u32>(obj, F_TAIL);
      if (tail == pos) return BAD;
      pos = tail;
    }
  }
  return BAD;
}

/**
 * Reserve room for len bytes on a checked ring (not closed, len within the maximum): the slot,
 * E_AGAIN when full (E_DEAD_PEER once every receiver died), E_CLOSED, E_NOMEM, E_CORRUPT.
 */
export function arrayReserve(obj: usize, len: u32): i32 {
  const slot = claimSend(obj);
  if (slot == BAD) return E_CORRUPT;
  if (slot == 0) return peersGone(obj, RECEIVERS_GONE) ? E_DEAD_PEER : E_AGAIN;
  // Closed between the check above and the claim? A receiver may already have seen the ring
  // drained and ended: give the slot up (a tombstone) rather than publish past the end.
  if (isClosed(obj)) {
    tombstone(obj, slot);
    return E_CLOSED;
  }
  if (len <= load<u32>(obj, F_INLINE)) {
    store<u32>(slot, len, S_LEN);
    return <i32>slot;
  }
  const block = allocOwned(<usize>len, false, obj);
  if (block < 0) {                       // keep the ring moving: publish a tombstone
    tombstone(obj, slot);
    return E_NOMEM;
  }
  setLastBlock(<usize>block);
  store<u32>(slot, len | HEAP, S_LEN);
  store<u32>(slot, <u32>block, S_DATA);
  return <i32>slot;
}

/** Publish a claimed slot as a tombstone (receivers skip it). */
function tombstone(obj: usize, slot: usize): void {
  store<u32>(slot, TOMBSTONE, S_LEN);
  arrayPublish(obj, slot);
  signal(obj, F_NOT_EMPTY, F_RECV_WAITING);
}

/** Publish a written slot: the receivers may take it (its owner mark cleared in the same stretch). */
export function arrayPublish(obj: usize, slot: usize): void {
  const pos = atomic.load<u32>(slot, S_SEQ);
  lastPos = pos;
  store<u32>(ownerOf(obj, slot), 0);
  atomic.store<u32>(slot, pos + 1, S_SEQ);
}

/**
 * Claim a full slot holding at most fit bytes: its address, 0 when empty, NO_FIT, or BAD.
 * With the head unmoved, its slot's sequence is at most head + 1 (the receiver that takes it
 * moves the head before it releases): further ahead is corrupt (guard.ts).
 */
export function claimRecv(obj: usize, fit: u32): usize {
  let pos = atomic.load<u32>(obj, F_HEAD);
  for (let tries: u32 = 0; tries < RETRY_LIMIT; tries++) {
    const slot = slotAt(obj, pos);
    const dif = <i32>(atomic.load<u32>(slot, S_SEQ) - (pos + 1));
    if (dif == 0) {
      // published, so its length is stable until someone claims it (then our CAS fails)
      if (tooLong(slot, fit)) {
        const head = atomic.load<u32>(obj, F_HEAD);
        if (head == pos) return NO_FIT;
        pos = head;
        continue;
      }
      const seen = atomic.cmpxchg<u32>(obj + F_HEAD, pos, pos + 1);
      if (seen == pos) { store<u32>(ownerOf(obj, slot), selfTid | TAKEN); return slot; }
      pos = seen;
    } else if (dif < 0) {
      return 0;
    } else {
      const head = atomic.load<u32>(obj, F_HEAD);
      if (head == pos) return BAD;
      pos = head;
    }
  }
  return BAD;
}

/** Hand a taken slot back to the senders (for its next lap). */
@inline export function arrayRelease(ring: usize, slot: usize): void {
  store<u32>(ownerOf(ring, slot), 0);
  atomic.store<u32>(slot, atomic.load<u32>(slot, S_SEQ) - 1 + load<u32>(ring, F_CAP), S_SEQ);
}

/**
 * Take the next message of a checked ring if it holds at most fit bytes, skipping tombstones:
 * its slot, E_AGAIN when empty, E_TOO_LARGE, E_CLOSED once closed and drained (urgent: the
 * channel's urgent lane, which must be drained too), E_DEAD_PEER, E_CORRUPT.
 */
export function arrayTake(obj: usize, fit: u32, urgent: usize): i32 {
  for (let tries: u32 = 0; tries < RETRY_LIMIT; tries++) {
    // closed is loaded before head and tail, so a send that completed before the close
    // shows in tail. (Loaded after them, it let a look at the empty ring taken just before
    // the last send and the close lose that send: found by models/channel.pml.)
    const closed = isClosed(obj);
    const slot = claimRecv(obj, fit);
    if (slot == NO_FIT) return E_TOO_LARGE;
    if (slot == BAD) return E_CORRUPT;
    if (slot == 0) {
      // closed and drained: nothing queued and nothing claimed but not yet published, in
      // either ring (close() closes the urgent lane first)
      const drained = atomic.load<u32>(obj, F_HEAD) == atomic.load<u32>(obj, F_TAIL) && !laneBusy(urgent);
      if (drained && closed) return E_CLOSED;
      return drained && peersGone(obj, SENDERS_GONE) ? E_DEAD_PEER : E_AGAIN;
    }
    if (load<u32>(slot, S_LEN) != TOMBSTONE) return <i32>slot;
    dropBlock(obj, slot);
    arrayRelease(obj, slot);
    signal(obj, F_NOT_FULL, F_SEND_WAITING);
  }
  return E_CORRUPT;
}

/** What a dead thread held claimed in a ring: a slot claimed to send becomes a tombstone, one taken is released (its message lost). */
export function arrayDropClaims(obj: usize, tid: u32): bool {
  let any = false;
  const ring = load<u32>(obj, F_CAP);
  const slots = <usize>load<u32>(obj, F_SLOTS);
  const stride = <usize>load<u32>(obj, F_SLOT);
  for (let i: u32 = 0; i < ring; i++) {
    const slot = slots + <usize>i * stride;
    const owner = atomic.load<u32>(ownerOf(obj, slot));
    if (owner == 0 || (owner & ~TAKEN) != tid) continue;
    atomic.store<u32>(ownerOf(obj, slot), 0);
    const seq = atomic.load<u32>(slot, S_SEQ);
    if (owner & TAKEN) atomic.store<u32>(slot, seq - 1 + ring, S_SEQ);   // taken: released, its message lost
    else {                                                               // claimed to send: a tombstone
      store<u32>(slot, TOMBSTONE, S_LEN);
      atomic.store<u32>(slot, seq + 1, S_SEQ);
    }
    any = true;
  }
  return any;
}
