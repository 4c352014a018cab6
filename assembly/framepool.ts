// FramePool: zero-copy hand-over of fixed-size frames (video frames, audio blocks). The
// lecture notes' token passing: a fixed number of buffers circulates between producers and
// consumers, and only their indices move, so nothing is copied and nothing is allocated.
//
// Memory (made at creation): `slots` frames of frameSize bytes, 64-byte aligned (a host view
// of a slot is its frame, in place), a meta area per slot ([len][bytes]), a state word per
// slot, and two bounded MPMC queues of slot indices (Vyukov's: a sequence per cell), `free`
// and `ready`. Each queue's capacity is at least `slots`, and a slot index is in at most one
// queue at a time, so a push never finds its queue full.
//
// A slot's state word is state | owner << 2:
//   FREE ──acquire: pop free──▶ WRITING(producer) ──publish(meta): push ready──▶ READY
//   READY ──next: pop ready──▶ READING(consumer) ──release: push free──▶ FREE
//   WRITING ──release (abandon)──▶ FREE        WRITING / READING ──owner dies──▶ FREE
// Each transition is a CAS by the thread named in the word (the death hook, for a dead
// one), so a slot is never handed out twice and a publish or release of a slot this thread
// does not hold is refused (E_PERM).
// Waiting: `freed` and `published` are eventcounts: read the sequence, try, wait for it to
// move. The try forms are one pop attempt each: they never wait, and with one producer and
// one consumer they finish in a bounded number of steps (an AudioWorklet may call them).
// Containment (guard.ts): every operation first checks the sizes and the block against each
// other (valid); the pointers into the block are recomputed from them, never read; a slot
// number popped from a queue is range-checked, and the queues' retry loops are bounded.
import { OK, E_AGAIN, E_CLOSED, E_NOMEM, E_INVAL, E_PERM, E_TIMEOUT, E_CORRUPT } from './status';
import { ownedBlock, isPow2, RETRY_LIMIT } from './guard';
import { OBJ_HEADER, objRemoved } from './object';
import { allocOwned, free } from './alloc';
import { ecSignal, ecWait } from './eventcount';
import { deadlineFrom, TIMED_OUT } from './futex';
import { selfTid } from './local';

const F_SLOTS: usize = OBJ_HEADER;
const F_FRAME: usize = OBJ_HEADER + 4;       // frame size
const F_META: usize = OBJ_HEADER + 8;        // meta bytes per slot
const F_BLOCK: usize = OBJ_HEADER + 12;      // the heap block of everything below
const F_QCAP: usize = OBJ_HEADER + 28;       // queue capacity (power of two)
const F_FREED: usize = OBJ_HEADER + 32;      // eventcounts
const F_PUBLISHED: usize = OBJ_HEADER + 36;
const Q_FREE: usize = OBJ_HEADER + 64;       // queues: [pad][head @+64][tail @+128]
const Q_READY: usize = OBJ_HEADER + 256;
export const FRAMEPOOL_SIZE: usize = OBJ_HEADER + 448;
const Q_HEAD: usize = 64;
const Q_TAIL: usize = 128;

const FREE: u32 = 0;
const WRITING: u32 = 1;
const READY: u32 = 2;
const READING: u32 = 3;
export const MAX_SLOTS: u32 = 4096;
const FRAME_MAX: u32 = 0x40000000;

// ---- the layout: everything in one heap block, derived from the four sizes ----
//   [pad to 64][frames: slots x frame (64-aligned)][states: slots x 4][metas: slots x metaStride]
//   [free queue cells: qcap x 8][ready queue cells: qcap x 8]

@inline function frameStride(frameSize: u32): usize { return (<usize>frameSize + 63) & ~<usize>63; }
@inline function metaStride(metaSize: u32): usize { return (<usize>metaSize + 4 + 7) & ~<usize>7; }
@inline function dataOf(obj: usize): usize { return (<usize>load<u32>(obj, F_BLOCK) + 63) & ~<usize>63; }
@inline function statesOf(obj: usize): usize { return dataOf(obj) + frameStride(load<u32>(obj, F_FRAME)) * <usize>load<u32>(obj, F_SLOTS); }
@inline function metasOf(obj: usize): usize { return statesOf(obj) + (<usize>load<u32>(obj, F_SLOTS) << 2); }
@inline function cellsOf(obj: usize, q: usize): usize {
  const cells = metasOf(obj) + <usize>load<u32>(obj, F_SLOTS) * metaStride(load<u32>(obj, F_META));
  return q == Q_FREE ? cells : cells + (<usize>load<u32>(obj, F_QCAP) << 3);
}
function blockSize(slots: u32, frameSize: u32, metaSize: u32, qcap: u32): usize {
  return 63 + frameStride(frameSize) * <usize>slots + (<usize>slots << 2) + <usize>slots * metaStride(metaSize) + 2 * (<usize>qcap << 3);
}
function qcapFor(slots: u32): u32 { let q: u32 = 2; while (q < slots) q <<= 1; return q; }

/** The sizes agree with each other and the block holds them all (guard.ts). */
function valid(obj: usize): bool {
  const slots = load<u32>(obj, F_SLOTS), frameSize = load<u32>(obj, F_FRAME), metaSize = load<u32>(obj, F_META), qcap = load<u32>(obj, F_QCAP);
  if (slots == 0 || slots > MAX_SLOTS || frameSize == 0 || frameSize > FRAME_MAX || metaSize > 65536) return false;
  if (!isPow2(qcap) || qcap != qcapFor(slots)) return false;
  return ownedBlock(<usize>load<u32>(obj, F_BLOCK), obj, blockSize(slots, frameSize, metaSize, qcap));
}

// ---- the index queues (Vyukov's bounded MPMC: cell [seq][value]) ----

@inline function cell(obj: usize, q: usize, pos: u32): usize {
  return cellsOf(obj, q) + (<usize>(pos & (load<u32>(obj, F_QCAP) - 1)) << 3);
}

/**
 * Push an index: OK, or E_CORRUPT when the cell shows a sequence the protocol never makes.
 * With the tail unchanged, the cell is either free (seq == pos) or still being emptied by a
 * consumer of the last lap (seq == pos - qcap + 1, between its claim and its store: wait).
 */
function push(obj: usize, q: usize, v: u32): i32 {
  let pos = atomic.load<u32>(obj + q, Q_TAIL);
  for (let tries: u32 = 0; tries < RETRY_LIMIT; tries++) {
    const c = cell(obj, q, pos);
    const seq = atomic.load<u32>(c);
    if (seq == pos) {
      const seen = atomic.cmpxchg<u32>(obj + q + Q_TAIL, pos, pos + 1);
      if (seen == pos) { store<u32>(c, v, 4); atomic.store<u32>(c, pos + 1); return OK; }
      pos = seen;
      continue;
    }
    const tail = atomic.load<u32>(obj + q, Q_TAIL);
    if (tail == pos && seq != pos - load<u32>(obj, F_QCAP) + 1) return E_CORRUPT;
    pos = tail;   // (never full: at most `slots` indices in flight)
  }
  return E_CORRUPT;
}

/**
 * Pop an index: the slot, E_AGAIN when empty, E_CORRUPT for a slot number out of range or a
 * sequence ahead of an unmoved head (only a consumer that moved the head writes one).
 */
function pop(obj: usize, q: usize): i32 {
  let pos = atomic.load<u32>(obj + q, Q_HEAD);
  for (let tries: u32 = 0; tries < RETRY_LIMIT; tries++) {
    const c = cell(obj, q, pos);
    const dif = <i32>(atomic.load<u32>(c) - (pos + 1));
    if (dif == 0) {
      const seen = atomic.cmpxchg<u32>(obj + q + Q_HEAD, pos, pos + 1);
      if (seen == pos) {
        const v = load<u32>(c, 4);
        atomic.store<u32>(c, pos + load<u32>(obj, F_QCAP));
        return v < load<u32>(obj, F_SLOTS) ? <i32>v : E_CORRUPT;
      }
      pos = seen;
    } else if (dif < 0) {
      return E_AGAIN;
    } else {
      const head = atomic.load<u32>(obj + q, Q_HEAD);
      if (head == pos) return E_CORRUPT;
      pos = head;
    }
  }
  return E_CORRUPT;
}

// ---- life ----

export function framePoolInit(obj: usize, slots: u32, frameSize: u32, metaSize: u32): i32 {
  if (slots == 0 || slots > MAX_SLOTS || frameSize == 0 || frameSize > FRAME_MAX || metaSize > 65536) return E_INVAL;
  const qcap = qcapFor(slots);
  const size = blockSize(slots, frameSize, metaSize, qcap);
  if (size > 0x7fff0000) return E_NOMEM;
  const block = allocOwned(size, false, obj);
  if (block < 0) return E_NOMEM;
  store<u32>(obj, slots, F_SLOTS);
  store<u32>(obj, frameSize, F_FRAME);
  store<u32>(obj, metaSize, F_META);
  store<u32>(obj, <u32>block, F_BLOCK);
  store<u32>(obj, qcap, F_QCAP);
  const cells = cellsOf(obj, Q_FREE);
  for (let i: u32 = 0; i < qcap; i++) {
    store<u32>(cells + (<usize>i << 3), i);
    store<u32>(cells + (<usize>qcap << 3) + (<usize>i << 3), i);
  }
  memory.fill(statesOf(obj), 0, <usize>slots * 4);
  for (let i: u32 = 0; i < slots; i++) push(obj, Q_FREE, i);   // every slot starts free
  return OK;
}

export function framePoolDestroy(obj: usize): void {
  const block = <usize>load<u32>(obj, F_BLOCK);
  if (block != 0 && valid(obj)) { store<u32>(obj, 0, F_BLOCK); free(block); }   // (corrupted: leaked, not misfreed)
}

@inline function stateOf(obj: usize, slot: u32): usize { return statesOf(obj) + (<usize>slot << 2); }
@inline function mine(state: u32): u32 { return state | (selfTid << 2); }
@inline function metaOf(obj: usize, slot: u32): usize { return metasOf(obj) + <usize>slot * metaStride(load<u32>(obj, F_META)); }

// ---- ABI ----

/** A free slot, now WRITING by this thread: its index, E_AGAIN when none, E_CLOSED once removed. */
export function fp_acquire(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  const slot = pop(obj, Q_FREE);
  if (slot < 0) return slot;
  atomic.store<u32>(stateOf(obj, <u32>slot), mine(WRITING));
  return slot;
}

/** Hand a written slot to the consumers, with metaLen bytes of meta already at fp_meta: OK, E_PERM, E_INVAL. */
export function fp_publish(obj: usize, slot: u32, metaLen: u32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  if (slot >= load<u32>(obj, F_SLOTS) || metaLen > load<u32>(obj, F_META)) return E_INVAL;
  if (atomic.cmpxchg<u32>(stateOf(obj, slot), mine(WRITING), READY) != mine(WRITING)) return E_PERM;
  store<u32>(metaOf(obj, slot), metaLen);
  const rc = push(obj, Q_READY, slot);
  ecSignal(obj + F_PUBLISHED);
  return rc;
}

/** The next published slot, now READING by this thread: its index, E_AGAIN when none, E_CLOSED once removed. */
export function fp_next(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  const slot = pop(obj, Q_READY);
  if (slot < 0) return slot;
  atomic.store<u32>(stateOf(obj, <u32>slot), mine(READING));
  return slot;
}

/** Give a slot this thread reads (or writes: abandoned) back to the producers: OK, E_PERM, E_INVAL. */
export function fp_release(obj: usize, slot: u32): i32 {
  if (!valid(obj)) return E_CORRUPT;
  if (slot >= load<u32>(obj, F_SLOTS)) return E_INVAL;
  const s = stateOf(obj, slot);
  if (atomic.cmpxchg<u32>(s, mine(READING), FREE) != mine(READING) && atomic.cmpxchg<u32>(s, mine(WRITING), FREE) != mine(WRITING)) return E_PERM;
  const rc = push(obj, Q_FREE, slot);
  ecSignal(obj + F_FREED);
  return rc;
}

// The host's views: offsets into the block, checked like everything else (a view made from a
// corrupted offset would let the host write anywhere).
export function fp_data(obj: usize, slot: u32): i32 {
  if (!valid(obj) || slot >= load<u32>(obj, F_SLOTS)) return E_CORRUPT;
  return <i32>(dataOf(obj) + <usize>slot * frameStride(load<u32>(obj, F_FRAME)));
}
export function fp_meta(obj: usize, slot: u32): i32 {
  if (!valid(obj) || slot >= load<u32>(obj, F_SLOTS)) return E_CORRUPT;
  return <i32>(metaOf(obj, slot) + 4);
}
export function fp_meta_len(obj: usize, slot: u32): i32 {
  if (!valid(obj) || slot >= load<u32>(obj, F_SLOTS)) return E_CORRUPT;
  return <i32>min<u32>(load<u32>(metaOf(obj, slot)), load<u32>(obj, F_META));
}
export function fp_slots(obj: usize): i32 { return valid(obj) ? <i32>load<u32>(obj, F_SLOTS) : E_CORRUPT; }
export function fp_frame_size(obj: usize): i32 { return valid(obj) ? <i32>load<u32>(obj, F_FRAME) : E_CORRUPT; }
export function fp_meta_size(obj: usize): i32 { return valid(obj) ? <i32>load<u32>(obj, F_META) : E_CORRUPT; }
/** The slot's state word (state | owner << 2), for tests and ipcs. */
export function fp_state(obj: usize, slot: u32): i32 {
  if (!valid(obj) || slot >= load<u32>(obj, F_SLOTS)) return E_CORRUPT;
  return <i32>atomic.load<u32>(stateOf(obj, slot));
}

/** The eventcount a producer (which = 0: a slot freed) or consumer (1: a frame published) waits on. */
export function fp_event(obj: usize, which: i32): usize { return obj + (which ? F_PUBLISHED : F_FREED); }
export function fp_wait(obj: usize, which: i32, seen: u32, timeoutMs: f64): i32 {
  return ecWait(fp_event(obj, which), seen, deadlineFrom(timeoutMs)) == TIMED_OUT ? E_TIMEOUT : OK;
}

export function framePoolWakeAll(obj: usize): void {
  ecSignal(obj + F_FREED);
  ecSignal(obj + F_PUBLISHED);
}

/** A dead thread's slots (being written or read) go back to the free queue. */
export function framePoolOnDeath(obj: usize, tid: u32): void {
  if (!valid(obj)) return;
  const slots = load<u32>(obj, F_SLOTS);
  let freed = false;
  for (let i: u32 = 0; i < slots; i++) {
    const s = stateOf(obj, i);
    for (let st: u32 = WRITING; st <= READING; st += READING - WRITING) {
      const held = st | (tid << 2);
      if (atomic.load<u32>(s) == held && atomic.cmpxchg<u32>(s, held, FREE) == held) { push(obj, Q_FREE, i); freed = true; }
    }
  }
  if (freed) ecSignal(obj + F_FREED);
}

/** ipcs: [slots, frame size, free, ready] */
export function framePoolSummary(obj: usize, out: usize): void {
  if (!valid(obj)) { memory.fill(out, 0xff, 16); return; }   // -1 in every word: corrupted
  const slots = load<u32>(obj, F_SLOTS);
  let free_: u32 = 0, ready: u32 = 0;
  for (let i: u32 = 0; i < slots; i++) {
    const st = atomic.load<u32>(stateOf(obj, i)) & 3;
    if (st == FREE) free_++; else if (st == READY) ready++;
  }
  store<u32>(out, slots);
  store<u32>(out, load<u32>(obj, F_FRAME), 4);
  store<u32>(out, free_, 8);
  store<u32>(out, ready, 12);
}
