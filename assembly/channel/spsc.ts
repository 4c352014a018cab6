// The SPSC ring: a Lamport ring with cached indices (rigtorp's SPSCQueue), the flavor of a
// channel made with spsc: one producer thread, one consumer thread.
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
// Who wakes whom: commit signals notEmpty and release notFull (select.ts signal), only when
// someone waits there; blocking waits spin on the other side's index first (wait.ts).
import { OK, E_AGAIN, E_CLOSED, E_NOMEM, E_INVAL, E_CORRUPT, E_DEAD_PEER, E_TOO_LARGE } from '../status';
import { allocOwned } from '../alloc';
import { selfTid } from '../local';
import {
  F_TAIL, F_HEAD, F_LIMIT, F_INLINE, F_MAXMSG, F_NOT_EMPTY, F_RECV_WAITING, F_NOT_FULL, F_SEND_WAITING,
  S_LEN, S_DATA, HEAP, RECEIVERS_GONE, SENDERS_GONE, slotAt, isClosed, peersGone,
} from './layout';
import { setLastBlock, reservedData, msgAt, msgLen, confirmTaken, dropBlock, copy, beyondHeap, tooLong } from './slot';
import { signal } from './select';

export const P_CACHED_HEAD: usize = F_TAIL + 4;   // producer-private
export const P_CLAIM: usize = F_TAIL + 8;         // 1 while a reservation is out
export const P_CLAIMER: usize = F_TAIL + 12;      // the thread holding it (cleared if it dies)
export const C_CACHED_TAIL: usize = F_HEAD + 4;   // consumer-private
export const CLOSED_BIT: u32 = 0x80000000;
export const POS_MASK: u32 = 0x7fffffff;

/** Published messages not yet released. */
@inline export function spscUsed(obj: usize): u32 {
  return ((atomic.load<u32>(obj, F_TAIL) & POS_MASK) - atomic.load<u32>(obj, F_HEAD)) & POS_MASK;
}

/** Room for one more message at pos? Reads head only when the cached copy says no. */
@inline export function spscRoom(obj: usize, pos: u32): bool {
  const limit = load<u32>(obj, F_LIMIT);
  if (((pos - load<u32>(obj, P_CACHED_HEAD)) & POS_MASK) < limit) return true;
  const head = atomic.load<u32>(obj, F_HEAD);
  store<u32>(obj, head, P_CACHED_HEAD);
  return ((pos - head) & POS_MASK) < limit;
}

/** Fill in the slot's length (and heap block): false when the segment is full. */
@inline export function spscFill(obj: usize, slot: usize, len: u32): bool {
  if (len <= load<u32>(obj, F_INLINE)) { store<u32>(slot, len, S_LEN); return true; }
  const block = allocOwned(<usize>len, false, obj);
  if (block < 0) return false;
  setLastBlock(<usize>block);
  store<u32>(slot, len | HEAP, S_LEN);
  store<u32>(slot, <u32>block, S_DATA);
  return true;
}

export function spscReserve(obj: usize, len: u32): i32 {
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
export function spscPublish(obj: usize, n: u32): i32 {
  store<u32>(obj, 0, P_CLAIM);
  const pos = atomic.load<u32>(obj, F_TAIL);   // only close() changes it meanwhile
  if ((pos & CLOSED_BIT) != 0 || atomic.cmpxchg<u32>(obj + F_TAIL, pos, (pos + n) & POS_MASK) != pos) return E_CLOSED;
  return OK;
}

/** The slot at head (released later), E_AGAIN, E_CLOSED once closed and drained, E_DEAD_PEER. */
export function spscTake(obj: usize, fit: u32): i32 {
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

@inline export function spscAdvanceHead(obj: usize, n: u32): void {
  atomic.store<u32>(obj, (atomic.load<u32>(obj, F_HEAD) + n) & POS_MASK, F_HEAD);
}

/** ch_send_batch in SPSC mode: every message written, then one publish. */
export function spscSendBatch(obj: usize, lens: usize, data: usize, count: u32): i32 {
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
export function spscRecvBatch(obj: usize, lens: usize, data: usize, cap: u32, max: u32): i32 {
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

