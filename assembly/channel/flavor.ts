// The flavor dispatch of a channel (crossbeam's channel.rs over its flavors/): each step of a
// send or a receive goes to the flavor the channel's flags name, on a ring already checked
// (check.ts valid):
//   UNBOUNDED  list.ts    a locked list of heap nodes
//   SPSC       spsc.ts    a Lamport ring with cached indices
//   otherwise  array.ts   the bounded MPMC ring (RENDEZVOUS: capacity 1, zero.ts waits)
// Every ring but a list's has an urgent lane, a small array ring of its own: receivers take
// from it first, so urgent messages cut ahead of queued ones.
import { OK, E_CLOSED, E_TOO_LARGE, E_CORRUPT } from '../status';
import { RETRY_LIMIT } from '../guard';
import {
  F_BROKEN, F_MAXMSG, F_URGENT, F_NOT_EMPTY, F_RECV_WAITING, F_NOT_FULL, F_SEND_WAITING, S_LEN, TOMBSTONE,
  NO_FIT, BAD, isClosed, isSpsc, isUnbounded,
} from './layout';
import { laneBusy, laneValid } from './check';
import { confirmTaken, dropBlock } from './slot';
import { signal } from './select';
import { arrayReserve, arrayPublish, arrayTake, arrayRelease, claimRecv } from './array';
import { listReserve, listPublish, listTake, listFree } from './list';
import { spscReserve, spscPublish, spscTake, spscAdvanceHead } from './spsc';

/** Reserve room for a message of len bytes on a checked ring (the channel's, or its lane once laneValid): the slot or node, or an error. */
export function reserve(obj: usize, len: u32): i32 {
  if (isClosed(obj) || atomic.load<u32>(obj, F_BROKEN) != 0) return E_CLOSED;
  if (len > load<u32>(obj, F_MAXMSG)) return E_TOO_LARGE;
  if (isUnbounded(obj)) return listReserve(obj, len);
  if (isSpsc(obj)) return spscReserve(obj, len);
  return arrayReserve(obj, len);
}

/** Publish a reserved slot and wake a receiver: OK, E_CLOSED (SPSC: closed since the reserve; nothing published), E_CORRUPT. */
export function commit(obj: usize, slot: usize): i32 {
  if (isSpsc(obj)) {
    const rc = spscPublish(obj, 1);
    if (rc != OK) { dropBlock(obj, slot); return rc; }
  } else {
    const rc = publish(obj, slot);
    if (rc != OK) return rc;
  }
  signal(obj, F_NOT_EMPTY, F_RECV_WAITING);
  return OK;
}

/** Publish without the wake-up (batches signal once): OK, or E_CORRUPT (an unbounded list that would not take the node: freed, the message lost). */
export function publish(obj: usize, slot: usize): i32 {
  if (isUnbounded(obj)) return listPublish(obj, slot);
  arrayPublish(obj, slot);
  return OK;
}

/** The ring takeSlot took from (thread-local): the channel's, or its urgent lane's. */
export let takenRing: usize = 0;

/** takeSlot, and a receipt the message carries settled (taken by this thread). The ring in takenRing. */
export function take(obj: usize, fit: u32): i32 {
  const slot = takeSlot(obj, fit);
  if (slot > 0) confirmTaken(obj, takenRing, <usize>slot);
  return slot;
}

/** The next message holding at most fit bytes: the urgent lane's first, then the flavor's. */
function takeSlot(obj: usize, fit: u32): i32 {
  takenRing = obj;
  if (isUnbounded(obj)) return listTake(obj, fit);
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (laneBusy(urgent)) {
    if (!laneValid(obj, urgent)) return E_CORRUPT;
    for (let tries: u32 = 0; laneBusy(urgent); tries++) {
      if (tries == RETRY_LIMIT) return E_CORRUPT;
      const u = claimRecv(urgent, fit);
      if (u == NO_FIT) return E_TOO_LARGE;
      if (u == BAD) return E_CORRUPT;
      if (u == 0) break;
      if (load<u32>(u, S_LEN) != TOMBSTONE) { takenRing = urgent; return <i32>u; }
      freeSlot(urgent, u, false);
    }
  }
  if (isSpsc(obj)) return spscTake(obj, fit);
  return arrayTake(obj, fit, urgent);
}

/** Give a taken slot (node) back to its ring (list), freeing its heap block unless keepBlock. */
export function freeSlot(obj: usize, slot: usize, keepBlock: bool): void {
  if (!keepBlock) dropBlock(obj, slot);   // (a node that carries a receipt points to a block too)
  if (isUnbounded(obj)) { listFree(obj, slot); return; }
  releaseSlot(obj, slot);
  signal(obj, F_NOT_FULL, F_SEND_WAITING);
}

/** Hand a taken slot of a ring back to the senders (for its next lap). */
@inline export function releaseSlot(ring: usize, slot: usize): void {
  if (isSpsc(ring)) spscAdvanceHead(ring, 1);
  else arrayRelease(ring, slot);
}

/** freeSlot of a slot of ring (the channel's or its lane's), without the wake-up (batches signal once). */
export function freeSlotQuiet(ring: usize, slot: usize): void {
  dropBlock(ring, slot);
  if (isUnbounded(ring)) { listFree(ring, slot); return; }
  releaseSlot(ring, slot);
}

