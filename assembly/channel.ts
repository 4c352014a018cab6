// Channel: a bounded MPMC queue of variable-length messages (Vyukov's bounded queue with a
// sequence number per slot), with an SPSC mode that claims without CAS.
//
// Object fields (after the header), producers' and consumers' words a cache line apart:
//   +0 ring size (slots, a power of two >= 2)  +4 slot size  +8 inline max  +12 max message
//   +16 flags (SPSC)  +20 closed  +24 slots (a heap block)  +28 capacity (1 on a ring of 2:
//   the slot sequence protocol needs two slots, so a capacity-1 sender also checks head)
//   +64 tail (next position to claim for a send)      +128 head (next to receive)
//   +192 notEmpty sequence, +196 receivers waiting    +256 notFull sequence, +260 senders waiting
// Slot: [seq][len][payload: inline bytes, or a heap block's offset when len has HEAP set]
//
// A slot at position p is free for a sender when seq == p and full for a receiver when
// seq == p + 1:
//   send:  claim p = tail (CAS, or a store in SPSC mode) where seq == p; write; seq = p + 1
//   recv:  claim p = head where seq == p + 1; read; seq = p + capacity (free for the next lap)
// Small messages are copied through the ring; a message larger than the slot goes to a heap
// block and only its offset travels (the lecture notes' LPC rule). A sender that cannot get
// a block publishes a tombstone, which receivers skip: a claimed slot is never left empty.
//
// Unbounded mode (capacity Infinity): no ring. Each message is a heap node laid out like a
// slot, [next][len][bytes], linked at the tail under the internal lock on commit and unlinked
// at the head on take; a full segment refuses the send (E_NOMEM) before anything is queued.
// `reserved` counts nodes being written, so the end of stream waits for them.
//
// Urgent (out-of-band) messages go through a second, small ring (a channel object of its
// own, made with the channel): receivers take from it first, so they cut ahead of queued
// ones; its commits wake the main ring's receivers.
//
// Dead peers: a thread registers as a sender or receiver on its first send or receive (a
// table of PEERS thread ids per side). When a thread dies, it leaves the tables; if that
// empties a side, SENDERS_GONE or RECEIVERS_GONE is set and everyone is woken: a receiver
// finding the ring empty, or a sender finding it full, then gets E_DEAD_PEER instead of
// waiting forever. A new registration on that side clears the flag.
//
// Waiting: a blocked receiver increments `receivers waiting`, reads notEmpty, tries once
// more, then parks on notEmpty; a sender, after publishing, bumps notEmpty and wakes only
// if someone waits. Both sides' accesses are sequentially consistent, so either the
// receiver's second try sees the message or the sender sees the waiter (no lost wake-up).
// Senders waiting for room do the same with notFull. close() sets `closed` and wakes all:
// senders get E_CLOSED; receivers drain what is queued, then get E_CLOSED (end of stream).
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_NOMEM, E_TOO_LARGE, E_INVAL } from './status';
import { OBJ_HEADER, O_STATE, LIVE, objRemoved } from './object';
import { spinWhile, park, deadlineFrom, expired, wake, TIMED_OUT } from './futex';
import { alloc, free } from './alloc';
import { lockAcquire, lockRelease } from './lock';
import { armWait, wait_value, selfTid } from './local';
import { E_DEAD_PEER } from './status';

const F_CAP: usize = OBJ_HEADER;
const F_SLOT: usize = OBJ_HEADER + 4;
const F_INLINE: usize = OBJ_HEADER + 8;
const F_MAXMSG: usize = OBJ_HEADER + 12;
const F_FLAGS: usize = OBJ_HEADER + 16;
const F_CLOSED: usize = OBJ_HEADER + 20;
const F_SLOTS: usize = OBJ_HEADER + 24;
const F_LIMIT: usize = OBJ_HEADER + 28;
const F_TAIL: usize = OBJ_HEADER + 64;
const F_HEAD: usize = OBJ_HEADER + 128;
const F_NOT_EMPTY: usize = OBJ_HEADER + 192;
const F_RECV_WAITING: usize = OBJ_HEADER + 196;
const F_NOT_FULL: usize = OBJ_HEADER + 256;
const F_SEND_WAITING: usize = OBJ_HEADER + 260;
// unbounded mode: the list (its words live where the ring's indices would)
const U_LOCK: usize = OBJ_HEADER + 68;
const U_TAIL: usize = OBJ_HEADER + 72;
const U_COUNT: usize = OBJ_HEADER + 76;
const U_RESERVED: usize = OBJ_HEADER + 80;
const U_HEAD: usize = OBJ_HEADER + 132;
// dead peers: the threads that have sent / received (up to PEERS each), and whether all of
// one side has died
const F_BROKEN: usize = OBJ_HEADER + 272;  // a pipe's: every read end closed (0 on channels)
const F_PEERS_GONE: usize = OBJ_HEADER + 320;
const F_URGENT: usize = OBJ_HEADER + 324;   // the urgent lane: a small ring of its own
const URGENT_CAPACITY: u32 = 16;
const F_SENDERS: usize = OBJ_HEADER + 384;
const F_RECEIVERS: usize = OBJ_HEADER + 448;
const PEERS: u32 = 16;
const SENDERS_GONE: u32 = 1;
const RECEIVERS_GONE: u32 = 2;
export const CHANNEL_SIZE: usize = OBJ_HEADER + 512;

export const SPSC: u32 = 1;
export const RENDEZVOUS: u32 = 2;
export const UNBOUNDED: u32 = 4;
const LANE: u32 = 8;   // an urgent lane itself (it has none)
const HEAP: u32 = 0x80000000;
const TOMBSTONE: u32 = 0x7fffffff;
const S_SEQ: usize = 0;
const S_LEN: usize = 4;
export const S_DATA: usize = 8;

/** a0 capacity (power of two), a1 inline bytes per slot, a2 max message, a3 flags. */
export function channelInit(obj: usize, capacity: u32, inlineMax: u32, maxMessage: u32, flags: u32): i32 {
  if (capacity == 0 || capacity > (1 << 24) || (capacity & (capacity - 1)) != 0) return E_INVAL;
  if (inlineMax > 1 << 20 || maxMessage == 0 || maxMessage > 0x7ffffff0) return E_INVAL;
  if (flags & UNBOUNDED) {
    store<u32>(obj, maxMessage, F_INLINE);   // every message is "inline" in its node
    store<u32>(obj, maxMessage, F_MAXMSG);
    store<u32>(obj, flags, F_FLAGS);
    return OK;
  }
  const slotSize = (S_DATA + max<usize>(<usize>inlineMax, 4) + 7) & ~<usize>7;
  const ring = max<u32>(capacity, 2);
  const slots = alloc(<usize>ring * slotSize, false);
  if (slots < 0) return E_NOMEM;
  for (let i: u32 = 0; i < ring; i++) store<u32>(<usize>slots + <usize>i * slotSize, i, S_SEQ);
  store<u32>(obj, ring, F_CAP);
  store<u32>(obj, capacity, F_LIMIT);
  if ((flags & LANE) == 0) {
    const urgent = alloc(CHANNEL_SIZE, true);
    if (urgent < 0 || channelInit(<usize>urgent, URGENT_CAPACITY, inlineMax, maxMessage, LANE) != OK) {
      if (urgent >= 0) free(<usize>urgent);
      free(<usize>slots);
      return E_NOMEM;
    }
    atomic.store<u32>(<usize>urgent, LIVE, O_STATE);
    store<u32>(obj, <u32>urgent, F_URGENT);
  }
  store<u32>(obj, <u32>slotSize, F_SLOT);
  store<u32>(obj, <u32>(slotSize - S_DATA), F_INLINE);
  store<u32>(obj, maxMessage, F_MAXMSG);
  store<u32>(obj, flags, F_FLAGS);
  store<u32>(obj, <u32>slots, F_SLOTS);
  return OK;
}

@inline function slotAt(obj: usize, pos: u32): usize {
  return <usize>load<u32>(obj, F_SLOTS) + <usize>(pos & (load<u32>(obj, F_CAP) - 1)) * <usize>load<u32>(obj, F_SLOT);
}
@inline function isSpsc(obj: usize): bool { return (load<u32>(obj, F_FLAGS) & SPSC) != 0; }
@inline function isUnbounded(obj: usize): bool { return (load<u32>(obj, F_FLAGS) & UNBOUNDED) != 0; }

// ---- unbounded mode: a locked list of nodes ----

function listPush(obj: usize, node: usize): void {
  store<u32>(node, 0, S_SEQ);
  lockAcquire(obj + U_LOCK);
  const tail = <usize>load<u32>(obj, U_TAIL);
  if (tail != 0) store<u32>(tail, <u32>node, S_SEQ); else atomic.store<u32>(obj, <u32>node, U_HEAD);
  store<u32>(obj, <u32>node, U_TAIL);
  atomic.add<u32>(obj + U_COUNT, 1);
  lockRelease(obj + U_LOCK);
}

function listPop(obj: usize): usize {
  if (atomic.load<u32>(obj, U_HEAD) == 0) return 0;
  lockAcquire(obj + U_LOCK);
  const node = <usize>atomic.load<u32>(obj, U_HEAD);
  if (node != 0) {
    const next = load<u32>(node, S_SEQ);
    atomic.store<u32>(obj, next, U_HEAD);
    if (next == 0) store<u32>(obj, 0, U_TAIL);
    atomic.sub<u32>(obj + U_COUNT, 1);
  }
  lockRelease(obj + U_LOCK);
  return node;
}
@inline function isClosed(obj: usize): bool { return atomic.load<u32>(obj, F_CLOSED) != 0 || objRemoved(obj); }

/** Wake one side's waiters if there are any: bump its sequence first (they park on it). */
@inline function signal(obj: usize, seqField: usize, waitingField: usize): void {
  if (atomic.load<u32>(obj + waitingField) != 0) {
    atomic.add<i32>(obj + seqField, 1);
    wake(obj + seqField, i32.MAX_VALUE);
  }
}

// ---- sending ----

/** Claim a free slot: its address, or 0 when the ring is full. */
function claimSend(obj: usize): usize {
  let pos = atomic.load<u32>(obj, F_TAIL);
  while (true) {
    const slot = slotAt(obj, pos);
    const dif = <i32>(atomic.load<u32>(slot, S_SEQ) - pos);
    if (dif == 0) {
      if (atomic.load<u32>(obj, F_LIMIT) == 1 && pos != atomic.load<u32>(obj, F_HEAD)) return 0;
      if (isSpsc(obj)) { atomic.store<u32>(obj, pos + 1, F_TAIL); return slot; }
      const seen = atomic.cmpxchg<u32>(obj + F_TAIL, pos, pos + 1);
      if (seen == pos) return slot;
      pos = seen;
    } else if (dif < 0) {
      return 0;
    } else {
      pos = atomic.load<u32>(obj, F_TAIL);
    }
  }
}

/**
 * Reserve room for a message of len bytes. Returns the slot (the host writes at
 * ch_data(slot), then calls ch_commit), E_AGAIN when full, E_CLOSED, E_TOO_LARGE, E_NOMEM.
 */
export function ch_reserve(obj: usize, len: u32): i32 {
  if (isClosed(obj) || atomic.load<u32>(obj, F_BROKEN) != 0) return E_CLOSED;
  if (len > load<u32>(obj, F_MAXMSG)) return E_TOO_LARGE;
  if (isUnbounded(obj)) {
    // count the reservation before re-checking closed: a receiver ends only when none is out
    atomic.add<u32>(obj + U_RESERVED, 1);
    const node = isClosed(obj) ? E_CLOSED : alloc(S_DATA + <usize>len, false);
    if (node < 0) { atomic.sub<u32>(obj + U_RESERVED, 1); signal(obj, F_NOT_EMPTY, F_RECV_WAITING); return node; }
    store<u32>(<usize>node, len, S_LEN);
    return node;
  }
  const slot = claimSend(obj);
  if (slot == 0) return peersGone(obj, RECEIVERS_GONE) ? E_DEAD_PEER : E_AGAIN;
  // Closed between the check above and the claim? A receiver may already have seen the ring
  // drained and ended: give the slot up (a tombstone) rather than publish past the end.
  if (isClosed(obj)) {
    store<u32>(slot, TOMBSTONE, S_LEN);
    ch_commit(obj, slot);
    return E_CLOSED;
  }
  if (len <= load<u32>(obj, F_INLINE)) {
    store<u32>(slot, len, S_LEN);
    return <i32>slot;
  }
  const block = alloc(<usize>len, false);
  if (block < 0) {                       // keep the ring moving: publish a tombstone
    store<u32>(slot, TOMBSTONE, S_LEN);
    ch_commit(obj, slot);
    return E_NOMEM;
  }
  store<u32>(slot, len | HEAP, S_LEN);
  store<u32>(slot, <u32>block, S_DATA);
  return <i32>slot;
}

/** Where the message of a reserved or received slot lives. */
export function ch_data(slot: usize): usize {
  return (load<u32>(slot, S_LEN) & HEAP) != 0 ? <usize>load<u32>(slot, S_DATA) : slot + S_DATA;
}
export function ch_len(slot: usize): u32 { return load<u32>(slot, S_LEN) & ~HEAP; }

/** Publish a reserved slot. */
export function ch_commit(obj: usize, slot: usize): void {
  publish(obj, slot);
  signal(obj, F_NOT_EMPTY, F_RECV_WAITING);
}

/** Position of the last slot this thread published (thread-local): rendezvous waits on it. */
let lastPos: u32 = 0;
export function ch_last_pos(): u32 { return lastPos; }

function publish(obj: usize, slot: usize): void {
  if (isUnbounded(obj)) {
    listPush(obj, slot);
    atomic.sub<u32>(obj + U_RESERVED, 1);
    return;
  }
  const pos = atomic.load<u32>(slot, S_SEQ);
  lastPos = pos;
  atomic.store<u32>(slot, pos + 1, S_SEQ);
}

// ---- copying forms: one call per message or per batch (the host stages bytes) ----

/** memory.copy, with short messages copied by words: the bulk instruction has a fixed cost. */
@inline function copy(dst: usize, src: usize, n: usize): void {
  if (n > 64) { memory.copy(dst, src, n); return; }
  while (n >= 8) { store<u64>(dst, load<u64>(src)); dst += 8; src += 8; n -= 8; }
  while (n > 0) { store<u8>(dst, load<u8>(src)); dst++; src++; n--; }
}

/** Send len bytes staged at src: reserve, copy, publish in one call. OK or as ch_reserve. */
export function ch_send_from(obj: usize, src: usize, len: u32): i32 {
  const slot = ch_reserve(obj, len);
  if (slot < 0) return slot;
  copy(ch_data(<usize>slot), src, <usize>len);
  ch_commit(obj, <usize>slot);
  return OK;
}

/**
 * Receive into dst (cap bytes): the message's length, E_AGAIN, E_CLOSED, E_DEAD_PEER, or
 * E_TOO_LARGE when it does not fit: it is then taken, and ch_last_slot() names its slot.
 */
let lastSlot: usize = 0;
export function ch_last_slot(): usize { return lastSlot; }
export function ch_recv_into(obj: usize, dst: usize, cap: u32): i32 {
  lastSlot = 0;
  const slot = ch_take(obj);
  if (slot < 0) return slot;
  const len = ch_len(<usize>slot);
  if (len > cap) { lastSlot = <usize>slot; return E_TOO_LARGE; }
  copy(dst, ch_data(<usize>slot), <usize>len);
  ch_release(obj, <usize>slot, 0);
  return <i32>len;
}

/**
 * Send up to count records staged at src, each [len u32][bytes, padded to 4], in order,
 * stopping when the ring is full: the number sent (waking receivers once), or an error
 * when none could be.
 */
export function ch_send_batch(obj: usize, src: usize, count: u32): i32 {
  let sent: u32 = 0;
  let rc: i32 = OK;
  while (sent < count) {
    const len = load<u32>(src);
    const slot = ch_reserve(obj, len);
    if (slot < 0) { rc = slot; break; }
    copy(ch_data(<usize>slot), src + 4, <usize>len);
    publish(obj, <usize>slot);
    src += 4 + ((<usize>len + 3) & ~3);
    sent++;
  }
  if (sent > 0) { signal(obj, F_NOT_EMPTY, F_RECV_WAITING); return <i32>sent; }
  return rc;
}

/**
 * Receive up to max messages into dst (cap bytes) as records [len u32][bytes, padded to 4]:
 * the number copied (waking senders once), or an error when none was taken. A message that
 * does not fit the rest of dst ends the batch: it is taken but not copied, and
 * ch_last_slot() names its slot (else 0) for the host to read and release.
 */
export function ch_recv_batch(obj: usize, dst: usize, cap: u32, max: u32): i32 {
  let got: u32 = 0;
  let used: usize = 0;
  lastSlot = 0;
  while (got < max) {
    const slot = ch_take(obj);
    if (slot < 0) { if (got == 0) return slot; break; }
    const len = ch_len(<usize>slot);
    const need = 4 + ((<usize>len + 3) & ~3);
    if (used + need > <usize>cap) { lastSlot = <usize>slot; break; }
    store<u32>(dst + used, len);
    copy(dst + used + 4, ch_data(<usize>slot), <usize>len);
    freeSlotQuiet(obj, <usize>slot);
    used += need;
    got++;
  }
  if (got > 0) signal(obj, F_NOT_FULL, F_SEND_WAITING);
  return <i32>got;
}

// ---- receiving ----

/** Claim a full slot: its address, or 0 when the ring is empty. */
function claimRecv(obj: usize): usize {
  let pos = atomic.load<u32>(obj, F_HEAD);
  while (true) {
    const slot = slotAt(obj, pos);
    const dif = <i32>(atomic.load<u32>(slot, S_SEQ) - (pos + 1));
    if (dif == 0) {
      if (isSpsc(obj)) { atomic.store<u32>(obj, pos + 1, F_HEAD); return slot; }
      const seen = atomic.cmpxchg<u32>(obj + F_HEAD, pos, pos + 1);
      if (seen == pos) return slot;
      pos = seen;
    } else if (dif < 0) {
      return 0;
    } else {
      pos = atomic.load<u32>(obj, F_HEAD);
    }
  }
}

/**
 * Take the next message: its slot (read ch_len / ch_data, then ch_release), E_AGAIN when
 * empty, or E_CLOSED once closed and drained.
 */
export function ch_take(obj: usize): i32 {
  if (isUnbounded(obj)) {
    const node = listPop(obj);
    if (node != 0) return <i32>node;
    if (isClosed(obj) && atomic.load<u32>(obj, U_RESERVED) == 0 && atomic.load<u32>(obj, U_HEAD) == 0) return E_CLOSED;
    return peersGone(obj, SENDERS_GONE) && atomic.load<u32>(obj, U_RESERVED) == 0 ? E_DEAD_PEER : E_AGAIN;
  }
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (urgent != 0 && ch_depth(urgent) != 0) {
    const u = claimRecv(urgent);
    if (u != 0) return <i32>u;
  }
  while (true) {
    const slot = claimRecv(obj);
    if (slot == 0) {
      // closed and drained: nothing queued and nothing claimed but not yet published
      const drained = atomic.load<u32>(obj, F_HEAD) == atomic.load<u32>(obj, F_TAIL);
      if (drained && isClosed(obj)) return E_CLOSED;
      return drained && peersGone(obj, SENDERS_GONE) ? E_DEAD_PEER : E_AGAIN;
    }
    if (load<u32>(slot, S_LEN) != TOMBSTONE) return <i32>slot;
    freeSlot(obj, slot, false);
  }
}

function freeSlot(obj: usize, slot: usize, keepBlock: bool): void {
  if (isUnbounded(obj)) { free(slot); return; }
  const len = load<u32>(slot, S_LEN);
  if ((len & HEAP) != 0 && !keepBlock) free(<usize>load<u32>(slot, S_DATA));
  const cap = load<u32>(obj, F_CAP);
  atomic.store<u32>(slot, atomic.load<u32>(slot, S_SEQ) - 1 + cap, S_SEQ);
  signal(obj, F_NOT_FULL, F_SEND_WAITING);
}

/** freeSlot of a slot from this channel or its urgent lane, without the wake-up (batches signal once). */
function freeSlotQuiet(obj: usize, slot: usize): void {
  const lane = laneOf(obj, slot);
  if (isUnbounded(lane)) { free(slot); return; }
  const len = load<u32>(slot, S_LEN);
  if ((len & HEAP) != 0) free(<usize>load<u32>(slot, S_DATA));
  atomic.store<u32>(slot, atomic.load<u32>(slot, S_SEQ) - 1 + load<u32>(lane, F_CAP), S_SEQ);
}

/**
 * Give a taken slot back to the ring. keep = 1: a heap message's block is not freed (the
 * receiver keeps it as a view and frees it with ch_free_block).
 */
export function ch_release(obj: usize, slot: usize, keep: i32): void { freeSlot(laneOf(obj, slot), slot, keep != 0); }

/** The ring a taken slot belongs to: the channel's, or its urgent lane's. */
function laneOf(obj: usize, slot: usize): usize {
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (urgent == 0) return obj;
  const base = <usize>load<u32>(urgent, F_SLOTS);
  return slot >= base && slot < base + <usize>load<u32>(urgent, F_CAP) * <usize>load<u32>(urgent, F_SLOT) ? urgent : obj;
}

/** Reserve in the urgent lane (E_AGAIN when its 16 slots are full). Publish with ch_commit_urgent. */
export function ch_reserve_urgent(obj: usize, len: u32): i32 {
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (urgent == 0) return E_INVAL;
  if (isClosed(obj)) return E_CLOSED;
  return ch_reserve(urgent, len);
}

export function ch_commit_urgent(obj: usize, slot: usize): void {
  ch_commit(<usize>load<u32>(obj, F_URGENT), slot);
  atomic.add<i32>(obj + F_NOT_EMPTY, 1);   // the receivers wait on the main ring's sequence
  wake(obj + F_NOT_EMPTY, i32.MAX_VALUE);
}
export function ch_free_block(block: usize): void { free(block); }

// ---- waiting ----

/**
 * Try-or-arm for the async path. `send`: 1 to wait for room, 0 to wait for a message.
 * `registered`: the caller armed before (its waiter count is dropped first). Returns OK when
 * the caller should try again now, or E_AGAIN armed on the side's sequence.
 */
export function ch_arm(obj: usize, send: i32, registered: i32): i32 {
  const seqF = send ? F_NOT_FULL : F_NOT_EMPTY;
  const waitF = send ? F_SEND_WAITING : F_RECV_WAITING;
  if (registered) atomic.sub<u32>(obj + waitF, 1);
  atomic.add<u32>(obj + waitF, 1);
  const seq = atomic.load<i32>(obj + seqF);
  if (ready(obj, send != 0)) { atomic.sub<u32>(obj + waitF, 1); return OK; }
  return armWait(obj + seqF, seq);
}

/** Stop waiting without having been woken (timeout, abort): drop the waiter count. */
export function ch_disarm(obj: usize, send: i32): void {
  atomic.sub<u32>(obj + (send ? F_SEND_WAITING : F_RECV_WAITING), 1);
}

/** Would the next send (receive) find room (a message, or the end)? */
function ready(obj: usize, send: bool): bool {
  if (isClosed(obj) || peersGone(obj, send ? RECEIVERS_GONE : SENDERS_GONE)) return true;
  if (isUnbounded(obj)) return send || atomic.load<u32>(obj, U_HEAD) != 0;
  if (send) {
    const pos = atomic.load<u32>(obj, F_TAIL);
    if (atomic.load<u32>(obj, F_LIMIT) == 1 && pos != atomic.load<u32>(obj, F_HEAD)) return false;
    // a sequence ahead of pos means tail moved on meanwhile: not "full", try again
    return <i32>(atomic.load<u32>(slotAt(obj, pos), S_SEQ) - pos) >= 0;
  }
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (urgent != 0 && ch_depth(urgent) != 0) return true;
  const pos = atomic.load<u32>(obj, F_HEAD);
  // a sequence ahead of pos + 1 means another receiver took it and head moved on: a later
  // message may be there, so try again rather than park (found by models/channel.pml)
  return <i32>(atomic.load<u32>(slotAt(obj, pos), S_SEQ) - (pos + 1)) >= 0;
}

/**
 * Block until a send (send = 1) or a receive could proceed, or the deadline: OK or
 * E_TIMEOUT. Spins first (on the slot the next operation needs), then parks.
 */
export function ch_wait(obj: usize, send: i32, timeoutMs: f64): i32 {
  const deadline = deadlineFrom(timeoutMs);
  const word = isUnbounded(obj) ? obj + U_HEAD : slotAt(obj, atomic.load<u32>(obj + (send ? F_TAIL : F_HEAD))) + S_SEQ;
  const seen = atomic.load<u32>(word);
  if (!ready(obj, send != 0) && spinWhile(word, <i32>seen) && ready(obj, send != 0)) return OK;
  let registered = 0;
  while (true) {
    if (ch_arm(obj, send, registered) == OK) return OK;
    registered = 1;
    const seqF = send ? F_NOT_FULL : F_NOT_EMPTY;
    if (park(obj + seqF, wait_value(), deadline) == TIMED_OUT || expired(deadline)) {
      ch_disarm(obj, send);
      return ready(obj, send != 0) ? OK : E_TIMEOUT;
    }
  }
}

// ---- rendezvous: the sender waits until a receiver has taken its message ----
//
//   send: reserve, write, commit at position p; then wait until head > p (a receiver
//   claimed it). Receivers signal notFull after every take, which is what the sender parks on.
//   Giving up (timeout, close, abort): withdraw by claiming p itself (CAS head p → p + 1):
//   if that wins, the message is gone and nothing was delivered; if a receiver won, it was.

@inline function taken(obj: usize, pos: u32): bool { return <i32>(atomic.load<u32>(obj, F_HEAD) - pos) > 0; }

/** 1 once the message at pos was taken by a receiver. */
export function ch_taken(obj: usize, pos: u32): i32 { return taken(obj, pos) ? 1 : 0; }

/** Take back the message at pos: OK if withdrawn (never delivered), E_AGAIN if a receiver took it. */
export function ch_withdraw(obj: usize, pos: u32): i32 {
  if (atomic.cmpxchg<u32>(obj + F_HEAD, pos, pos + 1) != pos) return E_AGAIN;
  freeSlot(obj, slotAt(obj, pos), false);
  return OK;
}

/** Async: OK once taken, else E_AGAIN armed on notFull (registered: as in ch_arm). */
export function ch_arm_taken(obj: usize, pos: u32, registered: i32): i32 {
  if (registered) atomic.sub<u32>(obj + F_SEND_WAITING, 1);
  if (taken(obj, pos)) return OK;
  atomic.add<u32>(obj + F_SEND_WAITING, 1);
  const seq = atomic.load<i32>(obj + F_NOT_FULL);
  if (taken(obj, pos) || isClosed(obj)) { atomic.sub<u32>(obj + F_SEND_WAITING, 1); return OK; }
  return armWait(obj + F_NOT_FULL, seq);
}

/** Block until the message at pos is taken: OK, or E_TIMEOUT / E_CLOSED (withdrawn, or taken meanwhile: OK). */
export function ch_wait_taken(obj: usize, pos: u32, timeoutMs: f64): i32 {
  const deadline = deadlineFrom(timeoutMs);
  let registered = 0;
  while (true) {
    if (ch_arm_taken(obj, pos, registered) == OK) {
      if (taken(obj, pos)) return OK;
      return ch_withdraw(obj, pos) == OK ? E_CLOSED : OK;     // closed before anyone took it
    }
    registered = 1;
    if (park(obj + F_NOT_FULL, wait_value(), deadline) == TIMED_OUT || expired(deadline)) {
      atomic.sub<u32>(obj + F_SEND_WAITING, 1);
      return ch_withdraw(obj, pos) == OK ? E_TIMEOUT : OK;
    }
  }
}

// ---- dead peers ----

/** Register this thread as a sender (1) or receiver (0). OK; a full table just goes untracked. */
export function ch_register(obj: usize, send: i32): i32 {
  const table = obj + (send ? F_SENDERS : F_RECEIVERS);
  let free: usize = 0;
  for (let i: u32 = 0; i < PEERS; i++) {
    const at = table + <usize>i * 4;
    const v = atomic.load<u32>(at);
    if (v == selfTid) return OK;
    if (v == 0 && free == 0) free = at;
  }
  while (free != 0 && atomic.cmpxchg<u32>(free, 0, selfTid) != 0) {
    free = 0;
    for (let i: u32 = 0; i < PEERS && free == 0; i++) if (atomic.load<u32>(table + <usize>i * 4) == 0) free = table + <usize>i * 4;
  }
  atomic.and<u32>(obj + F_PEERS_GONE, ~(send ? SENDERS_GONE : RECEIVERS_GONE));
  return OK;
}

/** Remove a dead thread from one side's table; true if that emptied the side. */
function leave(obj: usize, table: usize, tid: u32): bool {
  let was = false;
  let left: u32 = 0;
  for (let i: u32 = 0; i < PEERS; i++) {
    const at = table + <usize>i * 4;
    const v = atomic.load<u32>(at);
    if (v == tid && atomic.cmpxchg<u32>(at, tid, 0) == tid) was = true;
    else if (v != 0) left++;
  }
  return was && left == 0;
}

export function channelOnDeath(obj: usize, tid: u32): void {
  let gone: u32 = 0;
  if (leave(obj, obj + F_SENDERS, tid)) gone |= SENDERS_GONE;
  if (leave(obj, obj + F_RECEIVERS, tid)) gone |= RECEIVERS_GONE;
  if (gone != 0) {
    atomic.or<u32>(obj + F_PEERS_GONE, gone);
    channelWakeAll(obj);
  }
}

@inline function peersGone(obj: usize, flag: u32): bool { return (atomic.load<u32>(obj, F_PEERS_GONE) & flag) != 0; }

// ---- close, state ----

export function ch_close(obj: usize): void {
  atomic.store<u32>(obj, 1, F_CLOSED);
  channelWakeAll(obj);
}
export function ch_closed(obj: usize): i32 { return isClosed(obj) ? 1 : 0; }

export function channelWakeAll(obj: usize): void {
  atomic.add<i32>(obj + F_NOT_EMPTY, 1);
  wake(obj + F_NOT_EMPTY, i32.MAX_VALUE);
  atomic.add<i32>(obj + F_NOT_FULL, 1);
  wake(obj + F_NOT_FULL, i32.MAX_VALUE);
}

/** Messages queued (published or being written), urgent ones included. */
export function ch_depth(obj: usize): u32 {
  const urgent = <usize>load<u32>(obj, F_URGENT);
  const extra = urgent != 0 ? ch_depth(urgent) : 0;
  if (isUnbounded(obj)) return atomic.load<u32>(obj, U_COUNT) + extra;
  return atomic.load<u32>(obj, F_TAIL) - atomic.load<u32>(obj, F_HEAD) + extra;
}
export function ch_capacity(obj: usize): u32 { return load<u32>(obj, F_LIMIT); }
export function ch_max_message(obj: usize): u32 { return load<u32>(obj, F_MAXMSG); }
export function ch_inline_max(obj: usize): u32 { return load<u32>(obj, F_INLINE); }
export function ch_flags(obj: usize): u32 { return load<u32>(obj, F_FLAGS); }

/** Free the slots and every queued heap message. */
export function channelDestroy(obj: usize): void {
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (urgent != 0) { channelDestroy(urgent); free(urgent); store<u32>(obj, 0, F_URGENT); }
  if (isUnbounded(obj)) {
    for (let node = listPop(obj); node != 0; node = listPop(obj)) free(node);
    return;
  }
  const slots = <usize>load<u32>(obj, F_SLOTS);
  if (slots == 0) return;
  for (let pos = atomic.load<u32>(obj, F_HEAD); pos != atomic.load<u32>(obj, F_TAIL); pos++) {
    const slot = slotAt(obj, pos);
    const len = load<u32>(slot, S_LEN);
    if (atomic.load<u32>(slot, S_SEQ) == pos + 1 && (len & HEAP) != 0 && len != TOMBSTONE) free(<usize>load<u32>(slot, S_DATA));
  }
  free(slots);
  store<u32>(obj, 0, F_SLOTS);
}

/** ipcs: [depth, capacity, receivers waiting, senders waiting] */
export function channelSummary(obj: usize, out: usize): void {
  store<u32>(out, ch_depth(obj));
  store<u32>(out, load<u32>(obj, F_LIMIT), 4);
  store<u32>(out, atomic.load<u32>(obj, F_RECV_WAITING), 8);
  store<u32>(out, atomic.load<u32>(obj, F_SEND_WAITING), 12);
}
