// Topic: publish/subscribe (broadcast, multicast by key). A Disruptor-style ring: publishers
// claim positions, every subscriber has its own cursor and reads every message published
// after it subscribed; nothing is copied per subscriber.
//
// Object: ring size (a power of two), slot stride, max message, policy, the slots (a heap
// block), `tail` (the next position to claim), a publisher's cached gate, two eventcounts
// (`published` for subscribers, `room` for blocked publishers), and SUBS subscriber entries
// [tid][cursor][key][flags] (flags: ACTIVE, FILTER).
// Slot: [seq][len][key][pos][writer][pad][bytes]. seq is pos + 1 once position pos is
// published in it, WRITING while a publisher fills it, and pos - size + 1 (the last lap's)
// before that.
//
//   publish: claim pos (CAS on tail). Policy `block`: only while every active subscriber is
//            less than a ring behind (pos - cursor < size), else E_AGAIN and the publisher
//            waits on `room`; `overwrite`: never refused. Then take the slot from the last
//            lap (CAS seq: pos - size + 1 → WRITING; a lap-old writer still filling it is
//            waited for), write, seq = pos + 1, signal `published`.
//   receive (one subscriber): at cursor c, seq == c + 1: copy, re-check seq (an overwrite
//            may have begun meanwhile), cursor = c + 1, signal `room`. A message whose key
//            the filter rejects, or a tombstone, is passed over. If tail - c > size, the
//            subscriber was lapped (overwrite policy): it jumps to tail - size and the
//            messages skipped are counted as lost, reported with the next message received.
//   subscribe: an entry with cursor = tail (then tail again: claims that raced the
//            registration count as published before it); unsubscribe or death: the entry
//            goes, and `room` is signalled so publishers stop waiting for it.
//   a publisher dies while filling a slot: the death hook publishes the slot as a tombstone,
//            so subscribers and later laps do not wait for it.
// Containment (guard.ts): every operation first checks the ring's sizes against each other and
// its block (valid, which copies them into thread-local globals: what the operation then uses,
// so a field overwritten meanwhile changes nothing), the slot addresses are computed from
// them with masked positions, a slot's length is checked against the maximum before a copy,
// a publisher waits for the last lap's writer only as long as such a writer can exist (a lap
// behind per live thread, RETRY_LIMIT steps), and the receive loop is bounded.
import { OK, E_AGAIN, E_CLOSED, E_NOMEM, E_TOO_LARGE, E_INVAL, E_LIMIT, E_PERM, E_TIMEOUT, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { allocOwned, free } from './alloc';
import { ownedBlock, isPow2, RETRY_LIMIT } from './guard';
import { HEADER, H_THREAD_COUNT } from './layout';
import { ecSignal, ecWait } from './eventcount';
import { deadlineFrom, TIMED_OUT } from './futex';
import { selfTid } from './local';

const F_SIZE: usize = OBJ_HEADER;
const F_STRIDE: usize = OBJ_HEADER + 4;
const F_MAXMSG: usize = OBJ_HEADER + 8;
const F_POLICY: usize = OBJ_HEADER + 12;
const F_SLOTS: usize = OBJ_HEADER + 16;
const F_TAIL: usize = OBJ_HEADER + 64;
const F_GATE: usize = OBJ_HEADER + 68;        // publisher-side cache of the slowest cursor
const F_PUBLISHED: usize = OBJ_HEADER + 128;  // eventcounts
const F_ROOM: usize = OBJ_HEADER + 192;
const F_SUBS: usize = OBJ_HEADER + 256;
const SUBS: u32 = 64;
const SUB_SIZE: usize = 16;
export const TOPIC_SIZE: usize = F_SUBS + <usize>SUBS * SUB_SIZE;
const SB_TID: usize = 0;
const SB_CURSOR: usize = 4;
const SB_KEY: usize = 8;
const SB_FLAGS: usize = 12;
const ACTIVE: u32 = 1;
const FILTER: u32 = 2;

export const BLOCK: u32 = 0;
export const OVERWRITE: u32 = 1;

const S_SEQ: usize = 0;
const S_LEN: usize = 4;
const S_KEY: usize = 8;
const S_POS: usize = 12;
const S_WRITER: usize = 16;
const S_DATA: usize = 24;
const WRITING: u32 = 0xffffffff;
const TOMBSTONE: u32 = 0xffffffff;

const SIZE_MAX: u32 = 1 << 20;
/** The host stages a message in its thread's 64 KiB staging block (threads.ts STAGING_SIZE): no more. */
const MESSAGE_MAX: u32 = 1 << 16;
@inline function strideFor(maxMessage: u32): usize { return (S_DATA + <usize>maxMessage + 7) & ~<usize>7; }

// The ring as valid() found it (thread-local: each thread's instance has its own globals).
let rSlots: usize = 0;
let rSize: u32 = 0;
let rStride: usize = 0;
let rMax: u32 = 0;
let rPolicy: u32 = 0;

/** The sizes agree with each other and the block holds the ring (guard.ts); they are kept in r*. */
function valid(obj: usize): bool {
  const size = load<u32>(obj, F_SIZE), maxMessage = load<u32>(obj, F_MAXMSG), policy = load<u32>(obj, F_POLICY);
  if (size < 2 || size > SIZE_MAX || !isPow2(size) || maxMessage == 0 || maxMessage > MESSAGE_MAX || policy > OVERWRITE) return false;
  const stride = strideFor(maxMessage);
  const slots = <usize>load<u32>(obj, F_SLOTS);
  if (<usize>load<u32>(obj, F_STRIDE) != stride || !ownedBlock(slots, obj, stride * <usize>size)) return false;
  rSlots = slots; rSize = size; rStride = stride; rMax = maxMessage; rPolicy = policy;
  return true;
}

export function topicInit(obj: usize, size: u32, maxMessage: u32, policy: u32): i32 {
  if (size < 2 || size > SIZE_MAX || !isPow2(size) || maxMessage == 0 || maxMessage > MESSAGE_MAX || policy > OVERWRITE) return E_INVAL;
  const stride = strideFor(maxMessage);
  if (stride * <usize>size > 0x40000000) return E_NOMEM;
  const slots = allocOwned(stride * <usize>size, true, obj);
  if (slots < 0) return E_NOMEM;
  for (let i: u32 = 0; i < size; i++) store<u32>(<usize>slots + <usize>i * stride, i - size + 1, S_SEQ);
  store<u32>(obj, size, F_SIZE);
  store<u32>(obj, <u32>stride, F_STRIDE);
  store<u32>(obj, maxMessage, F_MAXMSG);
  store<u32>(obj, policy, F_POLICY);
  store<u32>(obj, <u32>slots, F_SLOTS);
  return OK;
}

export function topicDestroy(obj: usize): void {
  if (load<u32>(obj, F_SLOTS) != 0 && valid(obj)) { store<u32>(obj, 0, F_SLOTS); free(rSlots); }   // (corrupted: leaked, not misfreed)
}

/** The slot of a position, in the ring valid() checked. */
@inline function slotAt(pos: u32): usize { return rSlots + <usize>(pos & (rSize - 1)) * rStride; }
@inline function sub(obj: usize, i: u32): usize { return obj + F_SUBS + <usize>i * SUB_SIZE; }
/** a - b as a signed distance (positions wrap at 2^32) */
@inline function ahead(a: u32, b: u32): i32 { return <i32>(a - b); }

// ---- publishing ----

/** The slowest active subscriber's cursor, or pos when there is none. */
function slowest(obj: usize, pos: u32): u32 {
  let m = pos;
  for (let i: u32 = 0; i < SUBS; i++) {
    const e = sub(obj, i);
    if ((atomic.load<u32>(e, SB_FLAGS) & ACTIVE) == 0) continue;
    const c = atomic.load<u32>(e, SB_CURSOR);
    if (ahead(pos, c) > ahead(pos, m)) m = c;
  }
  return m;
}

/** Claim the next position: it, or -1 when the block policy says wait (E_AGAIN). */
@inline function claim(obj: usize): i64 {
  const size = rSize;
  const block = rPolicy == BLOCK;
  while (true) {
    const pos = atomic.load<u32>(obj, F_TAIL);
    if (block && ahead(pos, atomic.load<u32>(obj, F_GATE)) >= <i32>size) {
      const gate = slowest(obj, pos);
      atomic.store<u32>(obj, gate, F_GATE);
      if (ahead(pos, gate) >= <i32>size) return -1;
    }
    if (atomic.cmpxchg<u32>(obj + F_TAIL, pos, pos + 1) == pos) return <i64>pos;
  }
}

/**
 * Publish len bytes at src with a key: OK, E_AGAIN (block policy: a subscriber is a full ring
 * behind), E_TOO_LARGE, E_CLOSED once removed.
 */
export function topic_publish(obj: usize, src: usize, len: u32, key: u32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  if (len > rMax) return E_TOO_LARGE;
  const claimed = claim(obj);
  if (claimed < 0) return E_AGAIN;
  const pos = <u32>claimed;
  const slot = slotAt(pos);
  const size = rSize;
  const last = pos - size + 1;
  // The last lap's writer (preempted a whole lap) must finish first. The slot shows WRITING
  // (it fills it), `last` (it has published), or an older lap's seq: a lap behind for each
  // writer still in progress, so no more laps than live threads. Anything else: corrupted
  // (a position past the tail, seq from another slot's residue, or a tail far ahead).
  for (let tries: u32 = 0; atomic.cmpxchg<u32>(slot + S_SEQ, last, WRITING) != last; tries++) {
    const seq = atomic.load<u32>(slot, S_SEQ);
    if (seq != WRITING && seq != last) {
      const behind = last - seq;
      if (<i32>behind < 0 || (behind & (size - 1)) != 0 || behind / size > atomic.load<u32>(HEADER, H_THREAD_COUNT)) return E_CORRUPT;
    }
    if (tries >= RETRY_LIMIT) return E_CORRUPT;
  }
  store<u32>(slot, pos, S_POS);
  store<u32>(slot, selfTid, S_WRITER);
  store<u32>(slot, len, S_LEN);
  store<u32>(slot, key, S_KEY);
  memory.copy(slot + S_DATA, src, <usize>len);
  atomic.store<u32>(slot, pos + 1, S_SEQ);
  ecSignal(obj + F_PUBLISHED);
  return OK;
}

// ---- subscribing ----

/** Join: a subscriber index (0..63), E_LIMIT when the table is full. `filter`: only messages with this key. */
export function topic_subscribe(obj: usize, filter: i32, key: u32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  for (let i: u32 = 0; i < SUBS; i++) {
    const e = sub(obj, i);
    if (atomic.cmpxchg<u32>(e + SB_TID, 0, selfTid) != 0) continue;
    store<u32>(e, key, SB_KEY);
    atomic.store<u32>(e, atomic.load<u32>(obj, F_TAIL), SB_CURSOR);
    atomic.store<u32>(e, ACTIVE | (filter ? FILTER : 0), SB_FLAGS);
    atomic.store<u32>(e, atomic.load<u32>(obj, F_TAIL), SB_CURSOR);   // what raced the registration came before it
    return <i32>i;
  }
  return E_LIMIT;
}

/** Active subscribers now (a scan of the table: a value only, as it was a moment ago). */
export function topic_subscribers(obj: usize): i32 {
  if (!valid(obj)) return E_CORRUPT;
  let n = 0;
  for (let i: u32 = 0; i < SUBS; i++) if ((atomic.load<u32>(sub(obj, i), SB_FLAGS) & ACTIVE) != 0) n++;
  return n;
}

/** Leave: OK, or E_PERM if the entry is not this thread's. */
export function topic_unsubscribe(obj: usize, i: u32): i32 {
  if (i >= SUBS || atomic.load<u32>(sub(obj, i), SB_TID) != selfTid) return E_PERM;
  leave(obj, sub(obj, i));
  return OK;
}

function leave(obj: usize, e: usize): void {
  atomic.store<u32>(e, 0, SB_FLAGS);
  atomic.store<u32>(e, 0, SB_TID);
  atomic.store<u32>(obj, atomic.load<u32>(obj, F_TAIL) - load<u32>(obj, F_SIZE), F_GATE);  // re-scan next claim (a value only)
  ecSignal(obj + F_ROOM);
}

let lastLost: u32 = 0;
let lastKey: u32 = 0;
/** Messages the last receive found lost (lapped) before the one it returned (thread-local). */
export function topic_last_lost(): u32 { return lastLost; }
export function topic_last_key(): u32 { return lastKey; }

/**
 * Subscriber i's next message into dst (cap bytes): its length (topic_last_key, and
 * topic_last_lost for messages lost before it), E_AGAIN when there is none yet,
 * E_TOO_LARGE (it stays next), E_PERM if the entry is not this thread's, E_CLOSED.
 */
export function topic_recv(obj: usize, i: u32, dst: usize, cap: u32): i32 {
  if (i >= SUBS) return E_PERM;
  const e = sub(obj, i);
  if (atomic.load<u32>(e, SB_TID) != selfTid || (atomic.load<u32>(e, SB_FLAGS) & ACTIVE) == 0) return E_PERM;
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  const size = rSize;
  const filter = (load<u32>(e, SB_FLAGS) & FILTER) != 0;
  const want = load<u32>(e, SB_KEY);
  let c = atomic.load<u32>(e, SB_CURSOR);
  let lost: u32 = 0;
  let rc: i32 = E_AGAIN;
  // Each step moves the cursor on, towards the tail (bounded: RETRY_LIMIT steps).
  for (let steps: u32 = 0; ; steps++) {
    if (steps >= RETRY_LIMIT) { rc = E_CORRUPT; break; }
    const slot = slotAt(c);
    const s = atomic.load<u32>(slot, S_SEQ);
    if (s == c + 1) {
      const len = load<u32>(slot, S_LEN);
      const key = load<u32>(slot, S_KEY);
      if (len == TOMBSTONE || (filter && key != want)) { c++; continue; }
      if (len > rMax) { rc = E_CORRUPT; break; }     // a length no publish wrote: the copy would leave the slot
      if (len > cap) { rc = E_TOO_LARGE; break; }
      memory.copy(dst, slot + S_DATA, <usize>len);
      if (atomic.load<u32>(slot, S_SEQ) == s) {
        c++;
        lastKey = key;
        rc = <i32>len;
        break;
      }
    } else if (ahead(atomic.load<u32>(obj, F_TAIL), c) <= <i32>size) {
      break;                                           // not published yet
    }
    // lapped (overwritten before or while we read it): jump to the oldest still in the ring
    const oldest = atomic.load<u32>(obj, F_TAIL) - size;
    if (ahead(oldest, c) > 0) { lost += oldest - c; c = oldest; } else { lost++; c++; }
  }
  atomic.store<u32>(e, c, SB_CURSOR);
  lastLost = lost;
  if (rPolicy == BLOCK) ecSignal(obj + F_ROOM);
  return rc;
}

// ---- waiting ----

/** The eventcount a subscriber (which = 0: published) or blocked publisher (1: room) waits on. */
export function topic_event(obj: usize, which: i32): usize { return obj + (which ? F_ROOM : F_PUBLISHED); }
export function topic_wait(obj: usize, which: i32, seen: u32, timeoutMs: f64): i32 {
  return ecWait(topic_event(obj, which), seen, deadlineFrom(timeoutMs)) == TIMED_OUT ? E_TIMEOUT : OK;
}
export function topic_policy(obj: usize): i32 { return valid(obj) ? <i32>rPolicy : E_CORRUPT; }
export function topic_size(obj: usize): i32 { return valid(obj) ? <i32>rSize : E_CORRUPT; }
export function topic_max_message(obj: usize): i32 { return valid(obj) ? <i32>rMax : E_CORRUPT; }

export function topicWakeAll(obj: usize): void {
  ecSignal(obj + F_PUBLISHED);
  ecSignal(obj + F_ROOM);
}

/** A dead subscriber stops holding publishers back; a publisher that died filling a slot leaves a tombstone. */
export function topicOnDeath(obj: usize, tid: u32): void {
  for (let i: u32 = 0; i < SUBS; i++) {
    const e = sub(obj, i);
    if (atomic.load<u32>(e, SB_TID) == tid) leave(obj, e);
  }
  if (!valid(obj)) return;   // (corrupted: its slots are not looked at)
  const size = rSize;
  for (let i: u32 = 0; i < size; i++) {
    const slot = slotAt(i);
    if (atomic.load<u32>(slot, S_SEQ) == WRITING && load<u32>(slot, S_WRITER) == tid) {
      store<u32>(slot, TOMBSTONE, S_LEN);
      atomic.store<u32>(slot, load<u32>(slot, S_POS) + 1, S_SEQ);
      ecSignal(obj + F_PUBLISHED);
    }
  }
}

/** ipcs: [published (tail), subscribers, ring size, policy] */
export function topicSummary(obj: usize, out: usize): void {
  if (!valid(obj)) { memory.fill(out, 0xff, 16); return; }   // -1 in every word: corrupted
  let n: u32 = 0;
  for (let i: u32 = 0; i < SUBS; i++) if ((atomic.load<u32>(sub(obj, i), SB_FLAGS) & ACTIVE) != 0) n++;
  store<u32>(out, atomic.load<u32>(obj, F_TAIL));
  store<u32>(out, n, 4);
  store<u32>(out, rSize, 8);
  store<u32>(out, rPolicy, 12);
}
