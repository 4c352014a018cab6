// Channel: a queue of variable-length messages between threads, in four flavors (the way
// crossbeam's channel.rs fronts its flavors/): this file is the face, the ABI the host calls;
// each flavor's protocol, with its own state machine, is in assembly/channel/:
//   layout.ts  the object's fields and a slot's words        check.ts   containment (valid)
//   slot.ts    a message in a slot: read, copy, receipt      select.ts  waking sides, select
//   flavor.ts  the dispatch of each step to the flavor:
//     array.ts  the bounded MPMC ring (Vyukov), also every ring's urgent lane
//     list.ts   the unbounded list (capacity Infinity)
//     spsc.ts   the SPSC ring (Lamport, cached indices)
//     zero.ts   the rendezvous (capacity 0): the sender waits until its message is taken
//   wait.ts    blocking and async waits                       peers.ts   dead senders / receivers
//
// Urgent (out-of-band) messages go through a second, small ring (a channel object of its own,
// made with the channel): receivers take from it first, so they cut ahead of queued ones; its
// commits wake the main ring's receivers. close() sets `closed` and wakes all: senders get
// E_CLOSED; receivers drain what is queued, then get E_CLOSED (end of stream).
//
// Containment (guard.ts): every entry checks the channel first (check.ts valid), every slot the
// host names is checked to be this channel's or its lane's (laneOf), every message's length and
// block before anything is copied or the host is given an address (slot.ts msgAt). Destroy,
// the death hook and the summary skip (leak) what they cannot check; the host reads no pointer
// itself (ts/channel.ts asks ch_data and ch_len).
import { OK, E_CLOSED, E_NOMEM, E_TOO_LARGE, E_INVAL, E_CORRUPT } from './status';
import { O_STATE, LIVE } from './object';
import { allocOwned, free, ALLOC_MAX } from './alloc';
import { receipt_last, clearLast } from './receipt';
import { ownedBlock } from './guard';
import {
  F_CAP, F_SLOT, F_INLINE, F_MAXMSG, F_FLAGS, F_CLOSED, F_SLOTS, F_LIMIT, F_TAIL, F_HEAD, F_URGENT,
  F_NOT_EMPTY, F_NOT_FULL, F_RECV_WAITING, F_SEND_WAITING, U_COUNT, URGENT_CAPACITY, CHANNEL_SIZE,
  UNBOUNDED, LANE, MAX_MESSAGE, HEAP, CONFIRM, RECEIPT_HEAD, S_SEQ, S_LEN, S_DATA, ANY,
  slotAt, isClosed, isSpsc, isUnbounded,
} from './channel/layout';
import { valid, laneValid, laneBusy, channelValid } from './channel/check';
import { msgAt, msgLen, reservedData, dropBlock, copy, beyondHeap } from './channel/slot';
import { signal, wakeSide, channelWakeAll } from './channel/select';
import { reserve, commit, publish, take, takenRing, freeSlot, freeSlotQuiet } from './channel/flavor';
import { listDestroy } from './channel/list';
import { spscSendBatch, spscRecvBatch, spscUsed, CLOSED_BIT, POS_MASK } from './channel/spsc';

export { CHANNEL_SIZE, S_DATA, SPSC, RENDEZVOUS, UNBOUNDED } from './channel/layout';
export { channelValid } from './channel/check';
export { channelWakeAll, sel_begin, sel_park, ch_sel_arm, ch_sel_disarm } from './channel/select';
export { ch_last_pos } from './channel/array';
export { ch_arm, ch_wait_word, ch_disarm, ch_wait } from './channel/wait';
export { ch_taken, ch_withdraw, ch_arm_taken, ch_wait_taken } from './channel/zero';
export { ch_register, channelOnDeath } from './channel/peers';

/** a0 capacity (power of two), a1 inline bytes per slot, a2 max message, a3 flags. */
export function channelInit(obj: usize, capacity: u32, inlineMax: u32, maxMessage: u32, flags: u32): i32 {
  if (capacity == 0 || capacity > (1 << 24) || (capacity & (capacity - 1)) != 0) return E_INVAL;
  if (inlineMax > 1 << 20 || maxMessage == 0 || maxMessage > MAX_MESSAGE) return E_INVAL;
  if (flags & UNBOUNDED) {
    store<u32>(obj, maxMessage, F_INLINE);   // every message is "inline" in its node
    store<u32>(obj, maxMessage, F_MAXMSG);
    store<u32>(obj, flags, F_FLAGS);
    return OK;
  }
  const payloadEnd = (S_DATA + max<usize>(<usize>inlineMax, 4) + 7) & ~<usize>7;
  const slotSize = payloadEnd + 8;   // [owner][pad]
  const ring = max<u32>(capacity, 2);
  if (<u64>ring * <u64>slotSize > <u64>ALLOC_MAX) return E_NOMEM;
  const slots = allocOwned(<usize>ring * slotSize, false, obj);
  if (slots < 0) return E_NOMEM;
  for (let i: u32 = 0; i < ring; i++) store<u32>(<usize>slots + <usize>i * slotSize, i, S_SEQ);
  store<u32>(obj, ring, F_CAP);
  store<u32>(obj, capacity, F_LIMIT);
  if ((flags & LANE) == 0) {
    const urgent = allocOwned(CHANNEL_SIZE, true, obj);
    if (urgent < 0 || channelInit(<usize>urgent, URGENT_CAPACITY, inlineMax, maxMessage, LANE) != OK) {
      if (urgent >= 0) free(<usize>urgent);
      free(<usize>slots);
      return E_NOMEM;
    }
    atomic.store<u32>(<usize>urgent, LIVE, O_STATE);
    store<u32>(obj, <u32>urgent, F_URGENT);
  }
  store<u32>(obj, <u32>slotSize, F_SLOT);
  store<u32>(obj, <u32>(payloadEnd - S_DATA), F_INLINE);
  store<u32>(obj, maxMessage, F_MAXMSG);
  store<u32>(obj, flags, F_FLAGS);
  store<u32>(obj, <u32>slots, F_SLOTS);
  return OK;
}

/**
 * Reserve room for a message of len bytes. Returns the slot (the host writes at
 * ch_data(slot), then calls ch_commit), E_AGAIN when full, E_CLOSED, E_TOO_LARGE, E_NOMEM,
 * E_CORRUPT.
 */
export function ch_reserve(obj: usize, len: u32): i32 {
  return valid(obj) ? reserve(obj, len) : E_CORRUPT;
}

/**
 * Where the host writes (reserved) or reads (taken) the len bytes of a slot of this channel or
 * its lane, or an unbounded node: its address, or E_CORRUPT unless the message there is len
 * bytes and its fields pass msgAt.
 */
export function ch_data(obj: usize, slot: usize, len: u32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  const ring = laneOf(obj, slot);
  if (ring == 0) return E_CORRUPT;
  const at = msgAt(ring, slot);
  return at != 0 && msgLen == len ? <i32>at : E_CORRUPT;
}
/** The length of the message in a slot (or node) this thread holds, or E_CORRUPT (as ch_data). */
export function ch_len(obj: usize, slot: usize): i32 {
  if (!valid(obj)) return E_CORRUPT;
  const ring = laneOf(obj, slot);
  return ring != 0 && msgAt(ring, slot) != 0 ? <i32>msgLen : E_CORRUPT;
}

/**
 * ch_reserve for a message that carries a receipt (receipt_new): its bytes go to a heap
 * block that starts with the receipt. Returns the slot, or as ch_reserve.
 */
export function ch_reserve_receipt(obj: usize, len: u32, receipt: usize): i32 {
  if (!valid(obj)) return E_CORRUPT;
  if (len > load<u32>(obj, F_MAXMSG)) return E_TOO_LARGE;
  const block = allocOwned(RECEIPT_HEAD + <usize>len, false, obj);
  if (block < 0) return E_NOMEM;
  store<u32>(block, <u32>receipt);
  const slot = reserve(obj, 4);      // room for the block's offset (inline: valid() holds inline max >= 8)
  if (slot < 0) { free(block); return slot; }
  store<u32>(slot, len | HEAP | CONFIRM, S_LEN);
  store<u32>(slot, <u32>block, S_DATA);
  return slot;
}

/** Publish a reserved slot: OK, E_CLOSED (SPSC: closed since the reserve; nothing published), E_CORRUPT. */
/** Publish a reserved slot: OK, E_CLOSED (SPSC: closed since the reserve; nothing published), E_CORRUPT. */
export function ch_commit(obj: usize, slot: usize): i32 {
  return valid(obj) ? commit(obj, slot) : E_CORRUPT;
}

/** Send len bytes staged at src: reserve, copy, publish in one call. OK or as ch_reserve. */
export function ch_send_from(obj: usize, src: usize, len: u32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  const slot = reserve(obj, len);
  if (slot < 0) return slot;
  copy(reservedData(obj, <usize>slot, len), src, <usize>len);
  return commit(obj, <usize>slot);
}

/**
 * Receive into dst (cap bytes): the message's length, E_AGAIN, E_CLOSED, E_DEAD_PEER, or
 * E_TOO_LARGE when the next message is longer than cap (it stays queued: take it with
 * ch_take and read it in place), or E_CORRUPT (a message that fails msgAt is dropped).
 */
export function ch_recv_into(obj: usize, dst: usize, cap: u32): i32 {
  clearLast();
  if (!valid(obj)) return E_CORRUPT;
  const slot = take(obj, cap);
  if (slot < 0) return slot;
  const ring = takenRing;
  const src = msgAt(ring, <usize>slot);
  const len = msgLen;
  if (src != 0 && len <= cap) copy(dst, src, <usize>len);
  freeSlot(ring, <usize>slot, false);
  return src != 0 && len <= cap ? <i32>len : E_CORRUPT;
}

// Batches are packed: count lengths (u32) at lens, and the messages' bytes one after the
// other from data.

/**
 * Send up to count packed messages, in order, stopping when the ring is full: the number
 * sent (waking receivers once), or an error when none could be.
 */
export function ch_send_batch(obj: usize, lens: usize, data: usize, count: u32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  if (isSpsc(obj)) return spscSendBatch(obj, lens, data, count);
  let sent: u32 = 0;
  let rc: i32 = OK;
  while (sent < count) {
    const len = load<u32>(lens + (<usize>sent << 2));
    if (beyondHeap(data, len)) { rc = E_INVAL; break; }
    const slot = reserve(obj, len);
    if (slot < 0) { rc = slot; break; }
    copy(reservedData(obj, <usize>slot, len), data, <usize>len);
    rc = publish(obj, <usize>slot);
    if (rc != OK) break;
    data += len;
    sent++;
  }
  if (sent > 0) { signal(obj, F_NOT_EMPTY, F_RECV_WAITING); return <i32>sent; }
  return rc;
}

/**
 * Receive up to max messages, packed into lens and data (cap bytes): the number copied
 * (waking senders once), or an error when none was: E_TOO_LARGE when the next message is
 * longer than cap. A message that does not fit the rest of data stays queued.
 */
export function ch_recv_batch(obj: usize, lens: usize, data: usize, cap: u32, max: u32): i32 {
  clearLast();
  if (!valid(obj)) return E_CORRUPT;
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (isSpsc(obj) && !laneBusy(urgent)) return spscRecvBatch(obj, lens, data, cap, max);
  let got: u32 = 0;
  let used: u32 = 0;
  while (got < max) {
    const slot = take(obj, cap - used);
    if (slot < 0) { if (got == 0) return slot; break; }
    const ring = takenRing;
    const src = msgAt(ring, <usize>slot);
    const len = msgLen;
    if (src == 0 || len > cap - used) {   // (dropped)
      freeSlot(ring, <usize>slot, false);
      if (got == 0) return E_CORRUPT;
      break;
    }
    store<u32>(lens + (<usize>got << 2), len);
    copy(data + used, src, <usize>len);
    freeSlotQuiet(ring, <usize>slot);
    used += len;
    got++;
    if (receipt_last() != 0) break;   // it is owed an ack: the host must learn which message
  }
  if (got > 0) signal(obj, F_NOT_FULL, F_SEND_WAITING);
  return <i32>got;
}

/**
 * Take the next message if it holds at most fit bytes: its slot (read ch_len / ch_data, then
 * ch_release), E_AGAIN when empty, E_TOO_LARGE (nothing taken) when it is longer,
 * E_CLOSED once closed and drained, or E_CORRUPT.
 */
export function ch_take(obj: usize, fit: u32): i32 {
  clearLast();
  return valid(obj) ? take(obj, fit) : E_CORRUPT;
}

/**
 * Give a taken slot back to the ring: OK, or E_CORRUPT (nothing done). keep = 1: a heap
 * message's block is not freed (the receiver keeps it as a view and frees it with ch_free_block).
 */
export function ch_release(obj: usize, slot: usize, keep: i32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  const ring = laneOf(obj, slot);
  if (ring == 0) return E_CORRUPT;
  freeSlot(ring, slot, keep != 0);
  return OK;
}

/** The ring a slot the host holds belongs to: the channel's, its urgent lane's, or 0 (a lane that fails laneValid). */
function laneOf(obj: usize, slot: usize): usize {
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (urgent == 0) return obj;   // (unbounded)
  if (!laneValid(obj, urgent)) return 0;
  const base = <usize>load<u32>(urgent, F_SLOTS);
  return slot >= base && slot < base + <usize>URGENT_CAPACITY * <usize>load<u32>(obj, F_SLOT) ? urgent : obj;
}

/** Reserve in the urgent lane (E_AGAIN when its 16 slots are full). Publish with ch_commit_urgent. */
export function ch_reserve_urgent(obj: usize, len: u32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  if (isUnbounded(obj)) return E_INVAL;   // (it has no lane)
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (isClosed(obj)) return E_CLOSED;
  return laneValid(obj, urgent) ? reserve(urgent, len) : E_CORRUPT;
}

/** Publish a slot ch_reserve_urgent gave: OK or E_CORRUPT. */
export function ch_commit_urgent(obj: usize, slot: usize): i32 {
  if (!valid(obj)) return E_CORRUPT;
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (!laneValid(obj, urgent)) return E_CORRUPT;
  const rc = commit(urgent, slot);   // a lane is MPMC: it cannot refuse
  wakeSide(obj, F_NOT_EMPTY);   // the receivers wait on the main ring's sequence
  return rc;
}
export function ch_free_block(block: usize): void { free(block); }

// ---- close, state ----

export function ch_close(obj: usize): void {
  // the urgent lane first: a receiver that sees the channel closed then counts every urgent
  // send that got past its own closed re-check (a lane not in a block of the channel's is
  // not written: the channel's own word still closes it for everyone)
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (urgent != 0 && ownedBlock(urgent, obj, CHANNEL_SIZE)) atomic.store<u32>(urgent, 1, F_CLOSED);
  atomic.store<u32>(obj, 1, F_CLOSED);
  if (isSpsc(obj)) atomic.or<u32>(obj + F_TAIL, CLOSED_BIT);
  channelWakeAll(obj);
}
export function ch_closed(obj: usize): i32 { return isClosed(obj) ? 1 : 0; }

/** Messages queued (published or being written), urgent ones included; E_CORRUPT. */
export function ch_depth(obj: usize): i32 {
  return channelValid(obj) ? <i32>min<u32>(depth(obj), <u32>i32.MAX_VALUE) : E_CORRUPT;
}

/** On a channel that passes channelValid. Head is loaded before tail, so a ring's count never goes below 0. */
function depth(obj: usize): u32 {
  if (isUnbounded(obj)) return atomic.load<u32>(obj, U_COUNT);
  const urgent = <usize>load<u32>(obj, F_URGENT);
  const uhead = atomic.load<u32>(urgent, F_HEAD);
  const extra = min<u32>(atomic.load<u32>(urgent, F_TAIL) - uhead, URGENT_CAPACITY);   // a lane is an MPMC ring
  if (isSpsc(obj)) return spscUsed(obj) + extra;
  const head = atomic.load<u32>(obj, F_HEAD);
  return min<u32>(atomic.load<u32>(obj, F_TAIL) - head, load<u32>(obj, F_CAP)) + extra;
}
export function ch_capacity(obj: usize): i32 { return valid(obj) ? <i32>load<u32>(obj, F_LIMIT) : E_CORRUPT; }
export function ch_max_message(obj: usize): i32 { return valid(obj) ? <i32>load<u32>(obj, F_MAXMSG) : E_CORRUPT; }
export function ch_inline_max(obj: usize): i32 { return valid(obj) ? <i32>load<u32>(obj, F_INLINE) : E_CORRUPT; }
export function ch_flags(obj: usize): i32 { return valid(obj) ? <i32>load<u32>(obj, F_FLAGS) : E_CORRUPT; }

/** Free the slots and every queued heap message (a channel that fails valid: they leak). */
export function channelDestroy(obj: usize): void {
  if (!valid(obj)) return;
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (ownedBlock(urgent, obj, CHANNEL_SIZE)) {   // (unbounded: 0)
    if (laneValid(obj, urgent)) destroyRing(urgent);
    free(urgent);
    store<u32>(obj, 0, F_URGENT);
  }
  if (isUnbounded(obj)) { listDestroy(obj); return; }
  destroyRing(obj);
  store<u32>(obj, 0, F_SLOTS);
}

/** The messages published in a checked ring (at most its capacity of them), then its block. */
function destroyRing(obj: usize): void {
  const slots = <usize>load<u32>(obj, F_SLOTS);
  const spsc = isSpsc(obj);
  const mask = spsc ? POS_MASK : ANY;   // SPSC positions leave out the tail word's closed bit
  const head = atomic.load<u32>(obj, F_HEAD);
  const n = min<u32>((atomic.load<u32>(obj, F_TAIL) - head) & mask, load<u32>(obj, F_CAP));
  for (let i: u32 = 0; i < n; i++) {
    const pos = (head + i) & mask;
    const slot = slotAt(obj, pos);
    if (spsc || atomic.load<u32>(slot, S_SEQ) == pos + 1) dropBlock(obj, slot);
  }
  free(slots);
}

/** ipcs: [depth, capacity, receivers waiting, senders waiting]; -1 in every word when corrupted. */
export function channelSummary(obj: usize, out: usize): void {
  if (!channelValid(obj)) { memory.fill(out, 0xff, 16); return; }
  store<u32>(out, depth(obj));
  store<u32>(out, load<u32>(obj, F_LIMIT), 4);
  store<u32>(out, atomic.load<u32>(obj, F_RECV_WAITING), 8);
  store<u32>(out, atomic.load<u32>(obj, F_SEND_WAITING), 12);
}
