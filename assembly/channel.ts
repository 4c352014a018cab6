// Channel: a bounded MPMC queue of variable-length messages (Vyukov's bounded queue with a
// sequence number per slot), with an SPSC mode that is a Lamport ring (see "SPSC mode" below).
//
// Object fields (after the header), producers' and consumers' words a cache line apart:
//   +0 ring size (slots, a power of two >= 2)  +4 slot size  +8 inline max  +12 max message
//   +16 flags (SPSC)  +20 closed  +24 slots (a heap block)  +28 capacity (1 on a ring of 2:
//   the slot sequence protocol needs two slots, so a capacity-1 sender also checks head)
//   +64 tail (next position to claim for a send)      +128 head (next to receive)
//   +192 notEmpty sequence, +196 receivers waiting    +256 notFull sequence, +260 senders waiting
//   +272 broken (pipes)  +320 peers gone  +324 urgent lane  +384 / +448 senders / receivers seen
//   +512 / +544 selectors waiting for a message / for room (blocking select)
//   +576 unbounded mode: reservations out per thread (RESERVERS x [tid][count])
// Slot: [seq][len][payload: inline bytes, or a heap block's offset when len has HEAP set]
//       [owner][pad] (owner: who holds the slot claimed, see "Killed mid-operation")
// A message sent with a receipt (delivery confirmation, receipt.ts) always goes to a heap
// block, [receipt][pad][bytes], and its len has CONFIRM set too: taking it settles the
// receipt (ch_take); a batch receive stops after one.
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
// Killed mid-operation (ring modes other than SPSC): a slot is marked with its claimer in
// the word after its payload (S_OWNER: the thread id, | TAKEN for a receiver) right after
// the CAS that claims it, and the mark is cleared just before the slot is published or
// released, with no call in between either pair (a terminated thread stops only at a call
// or a loop's back edge). The death hook publishes a dead sender's claimed slot as a
// tombstone (its heap block, if any, leaks) and releases a dead receiver's taken slot (its
// message is lost); unmarked, one killed thread stalled the ring for everyone. Unbounded
// mode counts each thread's reservations (a table of RESERVERS [tid][count]) so that the
// hook takes a dead thread's out of `reserved`, which the end of stream waits for.
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
//
// Containment (guard.ts): every block a channel makes is tagged as its ring's (the ring
// block and the urgent lane's object as the channel's, the lane's ring as the lane's, each
// heap message and unbounded node as the ring it travels in). Each operation first checks
// the immutable fields against each other and the ring block against its tag (valid; on the
// fast path five loads against a per-thread memo of that check, see valid); the lane's
// block and fields are checked (laneValid) only when the lane holds something or is
// touched (a receiver's laneBusy reads its two indices once its pointer is bounded by the
// heap). A message's length and heap block, read from its slot or node, are checked before
// anything is copied or the host is given an address (msgAt): an inline length fits the slot
// (the node), a heap block is the ring's with room for it, a receipt in a confirmed block
// passes receiptValid. A block the sender just allocated is kept in a local (lastBlock),
// never read back. The claim loops call a sequence no step makes (ahead of an unmoved
// index) corrupt, every retry loop is bounded (RETRY_LIMIT), and ready() agrees with the
// next attempt (a waiter never spins on a "yes" the attempt refuses); the unbounded list's
// lock is lockAcquireObj (a forged holder is E_CORRUPT, not a hang), and a list node read
// from a field or a link is checked before it is written through. Destroy, the death hook
// and the summary skip (leak) what they cannot check; the host reads no pointer itself
// (ts/channel.ts asks ch_data and ch_len).
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_NOMEM, E_TOO_LARGE, E_INVAL, E_CORRUPT } from './status';
import { OBJ_HEADER, O_STATE, LIVE, objRemoved } from './object';
import { spinWhile, park, deadlineFrom, expired, wake, TIMED_OUT } from './futex';
import { allocOwned, free, ALLOC_MAX, ownedState } from './alloc';
import { lockAcquireObj, lockRelease } from './lock';
import { armWait, wait_value, selfTid } from './local';
import { E_DEAD_PEER, E_LIMIT } from './status';
import { slotOf, isAlive, S_WAKE } from './slots';
import { receiptTaken, receiptDropped, receiptValid, receipt_last, clearLast } from './receipt';
import { ownedBlock, isPow2, isTidForm, RETRY_LIMIT } from './guard';
import { HEADER, H_TOP, HEAP_START } from './layout';

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
// selectors (blocking select) waiting for a message / for room: see "select" below
const F_SELECT_RECV: usize = OBJ_HEADER + 512;
const F_SELECT_SEND: usize = OBJ_HEADER + 544;
const SELECTORS: u32 = 8;
const F_RESERVERS: usize = OBJ_HEADER + 576;
const RESERVERS: u32 = 16;
export const CHANNEL_SIZE: usize = F_RESERVERS + <usize>RESERVERS * 8;

export const SPSC: u32 = 1;
export const RENDEZVOUS: u32 = 2;
export const UNBOUNDED: u32 = 4;
const LANE: u32 = 8;   // an urgent lane itself (it has none)
const HEAP: u32 = 0x80000000;
const CONFIRM: u32 = 0x40000000;
const LEN_MASK: u32 = ~(HEAP | CONFIRM);
const MAX_MESSAGE: u32 = 0x3ffffff0;
const RECEIPT_HEAD: usize = 8;   // a confirmed message's block: [receipt][pad][bytes]
const TOMBSTONE: u32 = 0x7fffffff;
const TAKEN: u32 = 0x80000000;   // an owner mark's receiver bit (thread ids are below 2^30)
const S_SEQ: usize = 0;
const S_LEN: usize = 4;
export const S_DATA: usize = 8;

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

@inline function slotAt(obj: usize, pos: u32): usize {
  return <usize>load<u32>(obj, F_SLOTS) + <usize>(pos & (load<u32>(obj, F_CAP) - 1)) * <usize>load<u32>(obj, F_SLOT);
}

// ---- containment (guard.ts) ----

const KNOWN_FLAGS: u32 = SPSC | RENDEZVOUS;   // a ring channel's (a lane's is LANE; a list's UNBOUNDED)

/**
 * The immutable fields agree with each other and with the block they name: a ring of
 * F_CAP slots of F_SLOT bytes (the inline payload, then the owner mark) in a block of the
 * channel's; or, unbounded, no ring at all. What every operation checks first. The urgent
 * lane waits for the receivers: laneBusy reads its two indices if its pointer is inside the
 * heap (else it says busy), and before anything else is done to it (a busy lane included),
 * laneValid checks its block's tag and its fields.
 *
 * The fast path is a per-thread memo of the last two ring channels checked in full (a
 * request channel and a reply channel in turn): their immutable words (F_CAP .. F_LIMIT but
 * F_CLOSED, four loads) and their ring block's header (info and state, one load). When the
 * object's words and its block's header are still those, the full check would pass again:
 * equal words meet the same relations and name the same block, and a block freed since has
 * another state word (FREE, or another owner's tag), one allocated again by this channel at
 * that address another size in its info word.
 */
@inline function valid(obj: usize): bool {
  const a = load<u64>(obj, F_CAP), b = load<u64>(obj, F_INLINE), c = load<u64>(obj, F_SLOTS);
  const f = <u64>load<u32>(obj, F_FLAGS);
  if (obj == m0Obj) {
    if (((a ^ m0A) | (b ^ m0B) | (c ^ m0C) | (f ^ m0F)) == 0 && load<u64>(<usize><u32>c - 8) == m0H) return true;
  } else if (obj == m1Obj) {
    if (((a ^ m1A) | (b ^ m1B) | (c ^ m1C) | (f ^ m1F)) == 0 && load<u64>(<usize><u32>c - 8) == m1H) return true;
  }
  return validFull(obj, a, b, c, <u32>f);
}

// the memo (thread-local): [F_CAP, F_SLOT], [F_INLINE, F_MAXMSG], [F_SLOTS, F_LIMIT], F_FLAGS
// and the ring block's header, of the two channels checked last (mNext: the one to replace)
let m0Obj: usize = 0;
let m0A: u64 = 0;
let m0B: u64 = 0;
let m0C: u64 = 0;
let m0F: u64 = 0;
let m0H: u64 = 0;
let m1Obj: usize = 0;
let m1A: u64 = 0;
let m1B: u64 = 0;
let m1C: u64 = 0;
let m1F: u64 = 0;
let m1H: u64 = 0;
let mNext: u32 = 0;

/** The full check of the words valid loaded (each read once: what is checked is what is kept). */
function validFull(obj: usize, a: u64, b: u64, c: u64, flags: u32): bool {
  if (flags == UNBOUNDED) return validList(obj);
  const cap = <u32>a, slot = <u32>(a >> 32), inline = <u32>b, maxMessage = <u32>(b >> 32);
  const slots = <usize><u32>c, limit = <u32>(c >> 32);
  // every test a term that is 0 when it passes, or'ed: one branch
  const bad = (flags & ~KNOWN_FLAGS) | <u32>(maxMessage - 1 >= MAX_MESSAGE)
    | (cap & (cap - 1)) | <u32>(cap - 2 > (1 << 24) - 2)                       // a power of two, 2 .. 2^24
    | <u32>(inline - 8 > (1 << 20) - 8) | (inline & 7) | (slot ^ (inline + 16))  // then the owner mark
    | ((limit ^ cap) & ((limit ^ 1) | (cap ^ 2)));                             // capacity: the ring's, or 1 of 2
  if (bad != 0 || <u64>cap * <u64>slot > <u64>ALLOC_MAX) return false;
  const need = <usize>cap * <usize>slot;
  if (!ownedBlock(slots, obj, need)) return false;
  // remembered only with a header that is ours and that a second ownedBlock saw unmoved
  const h = load<u64>(slots - 8);
  if (<u32>(h >> 32) != ownedState(obj) || !ownedBlock(slots, obj, need) || load<u64>(slots - 8) != h) return true;
  if (obj == m0Obj || (obj != m1Obj && mNext == 0)) { m0Obj = obj; m0A = a; m0B = b; m0C = c; m0F = <u64>flags; m0H = h; mNext = 1; }
  else { m1Obj = obj; m1A = a; m1B = b; m1C = c; m1F = <u64>flags; m1H = h; mNext = 0; }
  return true;
}

/** valid for an unbounded channel: no ring, no lane, every message "inline" in its node. */
function validList(obj: usize): bool {
  const maxMessage = load<u32>(obj, F_MAXMSG);
  return maxMessage - 1 < MAX_MESSAGE && load<u32>(obj, F_INLINE) == maxMessage && load<u32>(obj, F_SLOTS) == 0
    && load<u32>(obj, F_URGENT) == 0 && load<u32>(obj, F_CAP) == 0 && load<u32>(obj, F_SLOT) == 0;
}

/** The urgent lane is what channelInit made: a block of the channel's, its sizes the channel's, its ring its own. */
function laneValid(obj: usize, urgent: usize): bool {
  if (!ownedBlock(urgent, obj, CHANNEL_SIZE)) return false;
  const slot = load<u32>(urgent, F_SLOT);
  return load<u32>(urgent, F_FLAGS) == LANE && load<u32>(urgent, F_CAP) == URGENT_CAPACITY
    && load<u32>(urgent, F_LIMIT) == URGENT_CAPACITY && slot == load<u32>(obj, F_SLOT)
    && load<u32>(urgent, F_INLINE) == load<u32>(obj, F_INLINE) && load<u32>(urgent, F_MAXMSG) == load<u32>(obj, F_MAXMSG)
    && load<u32>(urgent, F_URGENT) == 0
    && ownedBlock(<usize>load<u32>(urgent, F_SLOTS), urgent, <usize>URGENT_CAPACITY * <usize>slot);
}

/** valid, and a ring's lane too (laneValid): for what reads both (depth), and the other kinds' files (pipe.ts). */
export function channelValid(obj: usize): bool {
  return valid(obj) && (isUnbounded(obj) || laneValid(obj, <usize>load<u32>(obj, F_URGENT)));
}

/** Claim results besides a slot: 0 empty / full, NO_FIT, BAD (corrupt). Slots are far above. */
const NO_FIT: usize = 1;
const BAD: usize = 2;

/** The length of the message msgAt last found (thread-local). */
let msgLen: u32 = 0;

/**
 * Where the message in a slot of ring (or an unbounded node) lives, its length in msgLen; 0
 * when the slot's words are not a message's (guard.ts): an inline length beyond the slot (the
 * node's block), a heap block not the ring's or too small, a length beyond the maximum (a
 * tombstone too: it is no message). The length and the block are read once.
 */
function msgAt(ring: usize, slot: usize): usize {
  const len = load<u32>(slot, S_LEN);
  const n = len & LEN_MASK;
  msgLen = n;
  if (n > load<u32>(ring, F_MAXMSG)) return 0;
  if ((len & HEAP) == 0) {
    if ((len & CONFIRM) != 0) return 0;
    if (isUnbounded(ring) ? !ownedBlock(slot, ring, S_DATA + <usize>n) : n > load<u32>(ring, F_INLINE)) return 0;
    return slot + S_DATA;
  }
  const head: usize = (len & CONFIRM) != 0 ? RECEIPT_HEAD : 0;
  const block = <usize>load<u32>(slot, S_DATA);
  return ownedBlock(block, ring, head + <usize>n) ? block + head : 0;
}

/** The heap block a sender's reserve just allocated (thread-local): the copy goes there, never read back from the slot. */
let lastBlock: usize = 0;
/** Where a sender writes the len bytes of the slot (or node) it reserved in this call. */
@inline function reservedData(ring: usize, slot: usize, len: u32): usize {
  return len <= load<u32>(ring, F_INLINE) ? slot + S_DATA : lastBlock;
}
/** A ring slot's owner mark: the thread holding it claimed (| TAKEN: to receive), 0 when none. */
@inline function ownerOf(obj: usize, slot: usize): usize { return slot + S_DATA + <usize>load<u32>(obj, F_INLINE); }
/**
 * A checked ring channel's urgent lane holds something, claimed or published: two loads. A
 * lane pointer outside the heap (or misaligned) says busy, unread: the callers then run
 * laneValid, which refuses it (E_CORRUPT).
 */
@inline function laneBusy(urgent: usize): bool {
  if (urgent < HEAP_START || (urgent & 7) != 0 || urgent + CHANNEL_SIZE > <usize>atomic.load<u32>(HEADER, H_TOP)) return true;
  return atomic.load<u32>(urgent, F_TAIL) != atomic.load<u32>(urgent, F_HEAD);
}
@inline function isSpsc(obj: usize): bool { return (load<u32>(obj, F_FLAGS) & SPSC) != 0; }
@inline function isUnbounded(obj: usize): bool { return (load<u32>(obj, F_FLAGS) & UNBOUNDED) != 0; }

// ---- unbounded mode: a locked list of nodes ----

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
@inline function isClosed(obj: usize): bool { return atomic.load<u32>(obj, F_CLOSED) != 0 || objRemoved(obj); }

/** Wake one side's waiters if there are any: bump its sequence first (they park on it). */
@inline function signal(obj: usize, seqField: usize, waitingField: usize): void {
  if (atomic.load<u32>(obj + waitingField) != 0) wakeSide(obj, seqField);
}

function wakeSide(obj: usize, seqField: usize): void {
  atomic.add<i32>(obj + seqField, 1);
  wake(obj + seqField, i32.MAX_VALUE);
  wakeSelectors(obj + (seqField == F_NOT_EMPTY ? F_SELECT_RECV : F_SELECT_SEND));
}

// ---- sending ----

/**
 * Claim a free slot: its address, 0 when the ring is full, or BAD. With the tail unmoved,
 * its slot's sequence is at most the tail (a sender of this lap moves the tail before it
 * publishes): one ahead of it is corrupt (guard.ts), not a reason to retry.
 */
function claimSend(obj: usize): usize {
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
 * Reserve room for a message of len bytes. Returns the slot (the host writes at
 * ch_data(slot), then calls ch_commit), E_AGAIN when full, E_CLOSED, E_TOO_LARGE, E_NOMEM,
 * E_CORRUPT.
 */
export function ch_reserve(obj: usize, len: u32): i32 {
  return valid(obj) ? reserve(obj, len) : E_CORRUPT;
}

/** ch_reserve on a checked ring (the channel's, or its lane once laneValid). */
function reserve(obj: usize, len: u32): i32 {
  if (isClosed(obj) || atomic.load<u32>(obj, F_BROKEN) != 0) return E_CLOSED;
  if (len > load<u32>(obj, F_MAXMSG)) return E_TOO_LARGE;
  if (isUnbounded(obj)) {
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
  if (isSpsc(obj)) return spscReserve(obj, len);
  const slot = claimSend(obj);
  if (slot == BAD) return E_CORRUPT;
  if (slot == 0) return peersGone(obj, RECEIVERS_GONE) ? E_DEAD_PEER : E_AGAIN;
  // Closed between the check above and the claim? A receiver may already have seen the ring
  // drained and ended: give the slot up (a tombstone) rather than publish past the end.
  if (isClosed(obj)) {
    store<u32>(slot, TOMBSTONE, S_LEN);
    commit(obj, slot);
    return E_CLOSED;
  }
  if (len <= load<u32>(obj, F_INLINE)) {
    store<u32>(slot, len, S_LEN);
    return <i32>slot;
  }
  const block = allocOwned(<usize>len, false, obj);
  if (block < 0) {                       // keep the ring moving: publish a tombstone
    store<u32>(slot, TOMBSTONE, S_LEN);
    commit(obj, slot);
    return E_NOMEM;
  }
  lastBlock = <usize>block;
  store<u32>(slot, len | HEAP, S_LEN);
  store<u32>(slot, <u32>block, S_DATA);
  return <i32>slot;
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

/**
 * A slot of ring just taken by this thread from channel obj: if its message carries a
 * receipt (a block of the ring's, checked, holding a receipt that passes receiptValid),
 * settle it (received by this thread) and clear it from the block. True if it carried one.
 */
@inline function confirmTaken(obj: usize, ring: usize, slot: usize): bool {
  const len = load<u32>(slot, S_LEN);
  if ((len & CONFIRM) == 0 || (len & HEAP) == 0) return false;
  const block = <usize>load<u32>(slot, S_DATA);
  if (!ownedBlock(block, ring, RECEIPT_HEAD)) return true;   // (msgAt refuses the message)
  const r = <usize>load<u32>(block);
  if (r != 0 && receiptValid(r)) receiptTaken(r, obj);
  store<u32>(block, 0);
  return true;
}

/** Publish a reserved slot: OK, E_CLOSED (SPSC: closed since the reserve; nothing published), E_CORRUPT. */
export function ch_commit(obj: usize, slot: usize): i32 {
  return valid(obj) ? commit(obj, slot) : E_CORRUPT;
}

function commit(obj: usize, slot: usize): i32 {
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

/** Free a slot's heap block, if its message has one and it is the ring's (else it leaks). */
@inline function dropBlock(ring: usize, slot: usize): void {
  const len = load<u32>(slot, S_LEN);
  if ((len & HEAP) != 0) dropHeap(ring, len, <usize>load<u32>(slot, S_DATA));
}

function dropHeap(ring: usize, len: u32, block: usize): void {
  const confirm = (len & CONFIRM) != 0;
  if (!ownedBlock(block, ring, confirm ? RECEIPT_HEAD : 0)) return;
  if (confirm) {     // taken: the receipt is settled, and clear; never taken: it fails
    const r = <usize>load<u32>(block);
    if (r != 0) receiptDropped(r);   // (checked there: receiptValid)
  }
  free(block);
}

/** Position of the last slot this thread published (thread-local): rendezvous waits on it. */
let lastPos: u32 = 0;
export function ch_last_pos(): u32 { return lastPos; }

/** OK, or E_CORRUPT: an unbounded list that would not take the node (it is freed, the message lost). */
function publish(obj: usize, slot: usize): i32 {
  if (isUnbounded(obj)) {
    const mine = reserver(obj, false);   // found first: nothing may come between the two counts
    const rc = listPush(obj, slot);
    atomic.sub<u32>(obj + U_RESERVED, 1);
    if (mine != 0 && load<u32>(mine, 4) != 0) atomic.sub<u32>(mine + 4, 1);   // 0: reserved untracked
    if (rc != OK) { dropBlock(obj, slot); free(slot); }
    return rc;
  }
  const pos = atomic.load<u32>(slot, S_SEQ);
  lastPos = pos;
  store<u32>(ownerOf(obj, slot), 0);
  atomic.store<u32>(slot, pos + 1, S_SEQ);
  return OK;
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
 * A batch's next message would be read from beyond the heap: its lengths are in shared
 * memory (the caller's staging block), where another thread could have written garbage,
 * and a read past the memory's end would trap.
 */
@inline function beyondHeap(data: usize, len: u32): bool {
  return <u64>data + <u64>len > <u64>atomic.load<u32>(HEADER, H_TOP);
}

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

// ---- receiving ----

const ANY: u32 = 0xffffffff;   // a fit that every message meets

/** The next message would not fit in fit bytes (a tombstone always does: it is skipped). */
@inline function tooLong(slot: usize, fit: u32): bool {
  const len = load<u32>(slot, S_LEN);
  return len != TOMBSTONE && (len & LEN_MASK) > fit;
}

/**
 * Claim a full slot holding at most fit bytes: its address, 0 when empty, NO_FIT, or BAD.
 * With the head unmoved, its slot's sequence is at most head + 1 (the receiver that takes it
 * moves the head before it releases): further ahead is corrupt (guard.ts).
 */
function claimRecv(obj: usize, fit: u32): usize {
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

/**
 * Take the next message if it holds at most fit bytes: its slot (read ch_len / ch_data, then
 * ch_release), E_AGAIN when empty, E_TOO_LARGE (nothing taken) when it is longer,
 * E_CLOSED once closed and drained, or E_CORRUPT.
 */
export function ch_take(obj: usize, fit: u32): i32 {
  clearLast();
  return valid(obj) ? take(obj, fit) : E_CORRUPT;
}

/** takeSlot, and a receipt the message carries settled (taken by this thread). The ring in takenRing. */
function take(obj: usize, fit: u32): i32 {
  const slot = takeSlot(obj, fit);
  if (slot > 0) confirmTaken(obj, takenRing, <usize>slot);
  return slot;
}

/** The ring takeSlot took from (thread-local): the channel's, or its urgent lane's. */
let takenRing: usize = 0;

function takeSlot(obj: usize, fit: u32): i32 {
  takenRing = obj;
  if (isUnbounded(obj)) {
    const node = listPop(obj, fit);
    if (node == NO_FIT) return E_TOO_LARGE;
    if (node == BAD) return E_CORRUPT;
    if (node != 0) return <i32>node;
    if (isClosed(obj) && atomic.load<u32>(obj, U_RESERVED) == 0 && atomic.load<u32>(obj, U_HEAD) == 0) return E_CLOSED;
    return peersGone(obj, SENDERS_GONE) && atomic.load<u32>(obj, U_RESERVED) == 0 ? E_DEAD_PEER : E_AGAIN;
  }
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
    freeSlot(obj, slot, false);
  }
  return E_CORRUPT;
}

/** Give a taken slot (node) back to its ring (list), freeing its heap block unless keepBlock. */
function freeSlot(obj: usize, slot: usize, keepBlock: bool): void {
  if (!keepBlock) dropBlock(obj, slot);   // (a node that carries a receipt points to a block too)
  if (isUnbounded(obj)) { if (ownedBlock(slot, obj, S_DATA)) free(slot); return; }
  releaseSlot(obj, slot);
  signal(obj, F_NOT_FULL, F_SEND_WAITING);
}

/** Hand a taken slot of a ring back to the senders (for its next lap). */
@inline function releaseSlot(ring: usize, slot: usize): void {
  if (isSpsc(ring)) spscAdvanceHead(ring, 1);
  else {
    store<u32>(ownerOf(ring, slot), 0);
    atomic.store<u32>(slot, atomic.load<u32>(slot, S_SEQ) - 1 + load<u32>(ring, F_CAP), S_SEQ);
  }
}

/** freeSlot of a slot of ring (the channel's or its lane's), without the wake-up (batches signal once). */
function freeSlotQuiet(ring: usize, slot: usize): void {
  dropBlock(ring, slot);
  if (isUnbounded(ring)) { if (ownedBlock(slot, ring, S_DATA)) free(slot); return; }
  releaseSlot(ring, slot);
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

// ---- SPSC mode: a Lamport ring with cached indices (rigtorp's SPSCQueue) ----
//
// The producer owns tail, the consumer owns head, and each keeps a private copy of the
// other's index (P_CACHED_HEAD, C_CACHED_TAIL), refreshed only when its own copy says full
// (empty). Slots carry no sequence numbers: [tail, head) bounds what is published. In steady
// state a message costs one sequentially consistent store per side (tail on commit, head on
// release), and a slot's cache line travels once, producer to consumer.
//   reserve: room = tail - cachedHead < capacity (else reload head); write at tail (private)
//   commit:  CAS tail → tail + n (publishes n messages)
//   take:    head != cachedTail (else reload tail); read the slot at head
//   release: head + 1 (frees the slot for the producer)
// Close: close() sets CLOSED_BIT in the tail word, and commit publishes by CAS on that word,
// so a commit either lands before the close (receivers drain it) or fails with E_CLOSED,
// nothing published: no message appears past the end of stream. A receiver ends only on
// the bit (a removed object gets it from the first receiver that finds it drained).
// One reservation at a time (P_CLAIM): a second reserve before the commit is refused.
const P_CACHED_HEAD: usize = F_TAIL + 4;   // producer-private
const P_CLAIM: usize = F_TAIL + 8;         // 1 while a reservation is out
const P_CLAIMER: usize = F_TAIL + 12;      // the thread holding it (cleared if it dies)
const C_CACHED_TAIL: usize = F_HEAD + 4;   // consumer-private
const CLOSED_BIT: u32 = 0x80000000;
const POS_MASK: u32 = 0x7fffffff;

/** Published messages not yet released. */
@inline function spscUsed(obj: usize): u32 {
  return ((atomic.load<u32>(obj, F_TAIL) & POS_MASK) - atomic.load<u32>(obj, F_HEAD)) & POS_MASK;
}

/** Room for one more message at pos? Reads head only when the cached copy says no. */
@inline function spscRoom(obj: usize, pos: u32): bool {
  const limit = load<u32>(obj, F_LIMIT);
  if (((pos - load<u32>(obj, P_CACHED_HEAD)) & POS_MASK) < limit) return true;
  const head = atomic.load<u32>(obj, F_HEAD);
  store<u32>(obj, head, P_CACHED_HEAD);
  return ((pos - head) & POS_MASK) < limit;
}

/** Fill in the slot's length (and heap block): false when the segment is full. */
@inline function spscFill(obj: usize, slot: usize, len: u32): bool {
  if (len <= load<u32>(obj, F_INLINE)) { store<u32>(slot, len, S_LEN); return true; }
  const block = allocOwned(<usize>len, false, obj);
  if (block < 0) return false;
  lastBlock = <usize>block;
  store<u32>(slot, len | HEAP, S_LEN);
  store<u32>(slot, <u32>block, S_DATA);
  return true;
}

function spscReserve(obj: usize, len: u32): i32 {
  const claim = load<u32>(obj, P_CLAIM);
  if (claim != 0) return claim == 1 ? E_INVAL : E_CORRUPT;   // a reservation is out: commit it first
  const pos = atomic.load<u32>(obj, F_TAIL) & POS_MASK;
  if (!spscRoom(obj, pos)) return peersGone(obj, RECEIVERS_GONE) ? E_DEAD_PEER : E_AGAIN;
  const slot = slotAt(obj, pos);
  if (!spscFill(obj, slot, len)) return E_NOMEM;       // nothing claimed: nothing to undo
  store<u32>(obj, selfTid, P_CLAIMER);
  store<u32>(obj, 1, P_CLAIM);
  return <i32>slot;
}

/** Publish the next n messages: OK, or E_CLOSED (close() came first: nothing published). */
function spscPublish(obj: usize, n: u32): i32 {
  store<u32>(obj, 0, P_CLAIM);
  const pos = atomic.load<u32>(obj, F_TAIL);   // only close() changes it meanwhile
  if ((pos & CLOSED_BIT) != 0 || atomic.cmpxchg<u32>(obj + F_TAIL, pos, (pos + n) & POS_MASK) != pos) return E_CLOSED;
  return OK;
}

/** The slot at head (released later), E_AGAIN, E_CLOSED once closed and drained, E_DEAD_PEER. */
function spscTake(obj: usize, fit: u32): i32 {
  const pos = atomic.load<u32>(obj, F_HEAD);
  if (pos == load<u32>(obj, C_CACHED_TAIL)) {
    let tail = atomic.load<u32>(obj, F_TAIL);
    if ((tail & POS_MASK) == pos) {
      if ((tail & CLOSED_BIT) == 0 && isClosed(obj)) {   // removed, or close() is under way
        atomic.or<u32>(obj + F_TAIL, CLOSED_BIT);
        tail = atomic.load<u32>(obj, F_TAIL);
      }
      if ((tail & POS_MASK) == pos) {
        if ((tail & CLOSED_BIT) != 0) return E_CLOSED;
        return peersGone(obj, SENDERS_GONE) ? E_DEAD_PEER : E_AGAIN;
      }
    }
    store<u32>(obj, tail & POS_MASK, C_CACHED_TAIL);
  }
  const slot = slotAt(obj, pos);
  return tooLong(slot, fit) ? E_TOO_LARGE : <i32>slot;
}

@inline function spscAdvanceHead(obj: usize, n: u32): void {
  atomic.store<u32>(obj, (atomic.load<u32>(obj, F_HEAD) + n) & POS_MASK, F_HEAD);
}

/** ch_send_batch in SPSC mode: every message written, then one publish. */
function spscSendBatch(obj: usize, lens: usize, data: usize, count: u32): i32 {
  if (isClosed(obj)) return E_CLOSED;
  if (load<u32>(obj, P_CLAIM) != 0) return E_INVAL;
  const start = atomic.load<u32>(obj, F_TAIL) & POS_MASK;
  const maxMessage = load<u32>(obj, F_MAXMSG);
  const limit = load<u32>(obj, F_LIMIT);
  let room: u32 = 0;   // slots known free from start + n on (head read at most once)
  let n: u32 = 0;
  let rc: i32 = OK;
  while (n < count) {
    const len = load<u32>(lens + (<usize>n << 2));
    if (len > maxMessage) { rc = E_TOO_LARGE; break; }
    if (beyondHeap(data, len)) { rc = E_INVAL; break; }
    if (room == 0) {
      if (!spscRoom(obj, start + n)) { rc = peersGone(obj, RECEIVERS_GONE) ? E_DEAD_PEER : E_AGAIN; break; }
      room = limit - ((start + n - load<u32>(obj, P_CACHED_HEAD)) & POS_MASK);
    }
    room--;
    const slot = slotAt(obj, start + n);
    if (!spscFill(obj, slot, len)) { rc = E_NOMEM; break; }
    copy(reservedData(obj, slot, len), data, <usize>len);
    data += len;
    n++;
  }
  if (n == 0) return rc;
  if (spscPublish(obj, n) != OK) {
    for (let i: u32 = 0; i < n; i++) dropBlock(obj, slotAt(obj, start + i));
    return E_CLOSED;
  }
  signal(obj, F_NOT_EMPTY, F_RECV_WAITING);
  return <i32>n;
}

/**
 * ch_recv_batch in SPSC mode (urgent lane empty): every message copied, then one release.
 * More published than the ring holds, or a first message that fails msgAt (dropped), is
 * E_CORRUPT; a later one that fails stays for the next call.
 */
function spscRecvBatch(obj: usize, lens: usize, data: usize, cap: u32, max: u32): i32 {
  const first = spscTake(obj, cap);
  if (first < 0) return first;
  const start = atomic.load<u32>(obj, F_HEAD);
  let tail = load<u32>(obj, C_CACHED_TAIL);
  if (((tail - start) & POS_MASK) < max) {
    tail = atomic.load<u32>(obj, F_TAIL) & POS_MASK;
    store<u32>(obj, tail, C_CACHED_TAIL);
  }
  const avail = (tail - start) & POS_MASK;
  if (avail > load<u32>(obj, F_LIMIT)) return E_CORRUPT;
  let got: u32 = 0;
  let used: u32 = 0;
  while (got < max && got < avail) {
    const slot = slotAt(obj, start + got);
    const src = msgAt(obj, slot);
    const len = msgLen;
    if (src == 0) {
      if (got != 0) break;
      dropBlock(obj, slot);
      spscAdvanceHead(obj, 1);
      return E_CORRUPT;
    }
    if (len > cap - used) break;
    const confirmed = confirmTaken(obj, obj, slot);
    store<u32>(lens + (<usize>got << 2), len);
    copy(data + used, src, <usize>len);
    dropBlock(obj, slot);
    used += len;
    got++;
    if (confirmed) break;   // one per batch, the last: receipt_last() names it
  }
  spscAdvanceHead(obj, got);
  signal(obj, F_NOT_FULL, F_SEND_WAITING);
  return <i32>got;
}

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
  if (!valid(obj)) return OK;   // corrupted: the caller's next try says so (E_CORRUPT)
  atomic.add<u32>(obj + waitF, 1);
  const seq = atomic.load<i32>(obj + seqF);
  if (ready(obj, send != 0)) { atomic.sub<u32>(obj + waitF, 1); return OK; }
  return armWait(obj + seqF, seq);
}

/** The word a side's async waiters park on (send = 1: room; 0: messages). */
export function ch_wait_word(obj: usize, send: i32): usize { return obj + (send ? F_NOT_FULL : F_NOT_EMPTY); }

/** Stop waiting without having been woken (timeout, abort): drop the waiter count. */
export function ch_disarm(obj: usize, send: i32): void {
  atomic.sub<u32>(obj + (send ? F_SEND_WAITING : F_RECV_WAITING), 1);
}

/**
 * Would the next send (receive) find room (a message, or the end)? On a checked channel.
 * Every answer agrees with what the next attempt does (takeSlot, reserve): a "yes" that the
 * attempt then turns into E_AGAIN has its caller retry without waiting, for as long as that
 * lasts, and a corrupted index makes it last for ever. So the end of a receiver's stream
 * (closed, or its senders gone) counts only once drained, as takeSlot has it, and the lane
 * counts only with a message published at its head (or when it fails laneValid: E_CORRUPT).
 */
function ready(obj: usize, send: bool): bool {
  if (send) {
    if (isClosed(obj) || peersGone(obj, RECEIVERS_GONE) || isUnbounded(obj)) return true;
    if (isSpsc(obj)) return spscUsed(obj) < load<u32>(obj, F_LIMIT);
    const pos = atomic.load<u32>(obj, F_TAIL);
    if (atomic.load<u32>(obj, F_LIMIT) == 1 && pos != atomic.load<u32>(obj, F_HEAD)) return false;
    // a sequence ahead of pos means tail moved on meanwhile: not "full", try again
    return <i32>(atomic.load<u32>(slotAt(obj, pos), S_SEQ) - pos) >= 0;
  }
  const end = isClosed(obj) || peersGone(obj, SENDERS_GONE);   // loaded first, as in takeSlot
  if (isUnbounded(obj)) return atomic.load<u32>(obj, U_HEAD) != 0 || (end && atomic.load<u32>(obj, U_RESERVED) == 0);
  const urgent = <usize>load<u32>(obj, F_URGENT);
  if (laneBusy(urgent)) {
    if (!laneValid(obj, urgent)) return true;
    const pos = atomic.load<u32>(urgent, F_HEAD);
    if (<i32>(atomic.load<u32>(slotAt(urgent, pos), S_SEQ) - (pos + 1)) >= 0) return true;
  }
  if (isSpsc(obj)) return end || spscUsed(obj) != 0 || (atomic.load<u32>(obj, F_TAIL) & CLOSED_BIT) != 0;
  const pos = atomic.load<u32>(obj, F_HEAD);
  // a sequence ahead of pos + 1 means another receiver took it and head moved on: a later
  // message may be there, so try again rather than park (found by models/channel.pml)
  if (<i32>(atomic.load<u32>(slotAt(obj, pos), S_SEQ) - (pos + 1)) >= 0) return true;
  return end && pos == atomic.load<u32>(obj, F_TAIL) && !laneBusy(urgent);
}

/**
 * Block until a send (send = 1) or a receive could proceed, or the deadline: OK or
 * E_TIMEOUT. Spins first (on the slot the next operation needs), then parks.
 */
export function ch_wait(obj: usize, send: i32, timeoutMs: f64): i32 {
  if (!valid(obj)) return OK;   // corrupted: the caller's next try says so (E_CORRUPT)
  const deadline = deadlineFrom(timeoutMs);
  const word = isUnbounded(obj) ? obj + U_HEAD
    : isSpsc(obj) ? obj + (send ? F_HEAD : F_TAIL)        // the other side's index
    : slotAt(obj, atomic.load<u32>(obj + (send ? F_TAIL : F_HEAD))) + S_SEQ;
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

/** Take back the message at pos: OK if withdrawn (never delivered), E_AGAIN if a receiver took it, E_CORRUPT. */
export function ch_withdraw(obj: usize, pos: u32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  if (atomic.cmpxchg<u32>(obj + F_HEAD, pos, pos + 1) != pos) return E_AGAIN;
  store<u32>(ownerOf(obj, slotAt(obj, pos)), selfTid | TAKEN);
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
      const rc = ch_withdraw(obj, pos);     // closed before anyone took it
      return rc == OK ? E_CLOSED : rc == E_CORRUPT ? rc : OK;
    }
    registered = 1;
    if (park(obj + F_NOT_FULL, wait_value(), deadline) == TIMED_OUT || expired(deadline)) {
      atomic.sub<u32>(obj + F_SEND_WAITING, 1);
      const rc = ch_withdraw(obj, pos);
      return rc == OK ? E_TIMEOUT : rc == E_CORRUPT ? rc : OK;
    }
  }
}

// ---- select: one thread waiting on several channels ----
//
// A thread parks on one address at a time, so a blocking select parks on its own wake word
// (its thread slot's S_WAKE). While it waits on a channel it is in that channel's selector
// table for the side it waits on, and counted among that side's waiters; wakeSide (run by
// signal whenever someone waits, and by close and deaths) bumps and wakes the word of every
// selector in the table as well as the side's sequence.
//   selector: v = sel_begin(); ch_sel_arm(each channel, side); try each channel once more;
//             if none is ready, sel_park(v, timeout); ch_sel_disarm(each channel, side)
// No lost wake-up: the selector counts itself a waiter before its last try, so an operation
// that makes a channel ready after that try sees the count and bumps the word, which the
// selector read before arming: its park then returns at once.

/** This thread's wake word, to park on after arming (sel_park). */
export function sel_begin(): i32 { return atomic.load<i32>(slotOf(selfTid) + S_WAKE); }

/** Park on this thread's wake word while it still holds v: OK, or E_TIMEOUT. */
export function sel_park(v: i32, timeoutMs: f64): i32 {
  return park(slotOf(selfTid) + S_WAKE, v, deadlineFrom(timeoutMs), false) == TIMED_OUT ? E_TIMEOUT : OK;
}

/** Wait as a selector on one side (send = 1: for room): OK, or E_LIMIT when its table is full. */
export function ch_sel_arm(obj: usize, send: i32): i32 {
  const table = obj + (send ? F_SELECT_SEND : F_SELECT_RECV);
  for (let i: u32 = 0; i < SELECTORS; i++) {
    if (atomic.cmpxchg<u32>(table + <usize>i * 4, 0, selfTid) == 0) {
      atomic.add<u32>(obj + (send ? F_SEND_WAITING : F_RECV_WAITING), 1);
      return OK;
    }
  }
  return E_LIMIT;
}

export function ch_sel_disarm(obj: usize, send: i32): void { selDisarm(obj, send, selfTid); }

/** Take thread tid out of one side's selector table (and the waiter count), if it is there. */

function selDisarm(obj: usize, send: i32, tid: u32): void {
  const table = obj + (send ? F_SELECT_SEND : F_SELECT_RECV);
  for (let i: u32 = 0; i < SELECTORS; i++) {
    if (atomic.load<u32>(table + <usize>i * 4) == tid && atomic.cmpxchg<u32>(table + <usize>i * 4, tid, 0) == tid) {
      atomic.sub<u32>(obj + (send ? F_SEND_WAITING : F_RECV_WAITING), 1);
      return;
    }
  }
}

function wakeSelectors(table: usize): void {
  for (let i: u32 = 0; i < SELECTORS; i++) {
    const tid = atomic.load<u32>(table + <usize>i * 4);
    // a word that names no living thread (garbage: a selector disarms before it dies, and
    // its death hook takes it out) wakes nobody: only a live selector's wake word is bumped
    if (isTidForm(tid) && isAlive(tid)) {
      const word = slotOf(tid) + S_WAKE;
      atomic.add<u32>(word, 1);
      wake(word, 1);
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
  if (isSpsc(obj) && load<u32>(obj, P_CLAIM) != 0 && load<u32>(obj, P_CLAIMER) == tid) store<u32>(obj, 0, P_CLAIM);
  selDisarm(obj, 0, tid);
  selDisarm(obj, 1, tid);
  let gone: u32 = 0;
  if (leave(obj, obj + F_SENDERS, tid)) gone |= SENDERS_GONE;
  if (leave(obj, obj + F_RECEIVERS, tid)) gone |= RECEIVERS_GONE;
  if (gone != 0) atomic.or<u32>(obj + F_PEERS_GONE, gone);
  let unstuck = false;
  if (valid(obj)) {   // (the rings only once checked: the tables above are fields, at fixed places)
    const urgent = <usize>load<u32>(obj, F_URGENT);
    unstuck = dropClaims(obj, tid);
    if (urgent != 0 && laneValid(obj, urgent) && dropClaims(urgent, tid)) unstuck = true;
  }
  if (gone != 0 || unstuck) channelWakeAll(obj);
}

/** What a dead thread held claimed in one ring (or reserved, unbounded): let it go. True if anything was. */
function dropClaims(obj: usize, tid: u32): bool {
  let any = false;
  if (isUnbounded(obj)) {
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
  if (isSpsc(obj)) return false;
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

@inline function peersGone(obj: usize, flag: u32): bool { return (atomic.load<u32>(obj, F_PEERS_GONE) & flag) != 0; }

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

export function channelWakeAll(obj: usize): void {
  wakeSide(obj, F_NOT_EMPTY);
  wakeSide(obj, F_NOT_FULL);
}

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
  if (isUnbounded(obj)) {
    for (let i: u32 = 0; i < RETRY_LIMIT; i++) {
      const node = listPop(obj, ANY);
      if (node == 0 || node == BAD) break;
      dropBlock(obj, node);
      free(node);
    }
    return;
  }
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
