// Snapshot: the lecture notes' "avoiding locks". A writer publishes a new immutable value
// with one atomic pointer swap; readers never block and always see one whole version. Old
// versions are reclaimed by epochs, only after every reader that could see them has left.
//
// Fields: +0 current block, +4 version (an eventcount: readers may wait for a new one),
//         +8 global epoch (from 1), +12 writers' internal lock, +16 retired list, +20 its length,
//         +32 one reader slot per thread-table slot: the epoch it entered at, 0 when out.
// Block: [version][len][retire epoch][next retired][data …]; `next` is RESERVED (1) in a
// block reserved and not yet committed, CURRENT (3) in the current one (odd: never a block).
//
//   read:    slot = epoch; p = current; copy p's data; slot = 0           (wait-free)
//   publish: (lock) old = swap current; old.retire = epoch; epoch++; retire old;
//            free every retired block whose retire epoch is below every reader's slot;
//            version++ and wake version waiters; (unlock)
// Why it is safe: a reader publishes its slot before it loads the pointer, and the writer
// swaps the pointer before it scans the slots (all sequentially consistent; the epoch only
// changes under the lock). A reader that loaded the old pointer therefore entered at an epoch <= the
// old block's retire epoch, and holds it back; one that entered later loads the new one.
// A dead reader's slot is cleared by kindOnThreadDeath; freed blocks are poisoned first.
//
// Containment (guard.ts): blocks are tagged as the object's, and every pointer read from the
// fields (current, retired, a retired block's next) must be such a block with room for the
// length it states before it is read, handed to the host, written or freed; the marks tell a
// retired block from the current or a reserved one, so a forged pointer cannot enter one
// block into the list twice, and a walk of the list goes no further than its kept length (a
// cycle ends there). A commit checks all this before it changes anything; the writers' lock
// is bounded (lockAcquireObj). A global epoch of 0 is corrupted; a reader slot later than
// the epoch (garbage) holds every retired block back: a leak until it is cleared, not a
// block freed under a reader.
import { OK, E_CLOSED, E_INVAL, E_NOMEM, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { MAX_THREADS, HEAP_START } from './layout';
import { lockAcquireObj, lockRelease } from './lock';
import { allocOwned, free, alloc_usable, alloc_top, ALLOC_MAX } from './alloc';
import { ownedBlock } from './guard';
import { ecSeq, ecSignal } from './eventcount';
import { selfTid } from './local';

const S_CURRENT: usize = OBJ_HEADER;
const S_VERSION: usize = OBJ_HEADER + 4;
const S_EPOCH: usize = OBJ_HEADER + 8;
const S_LOCK: usize = OBJ_HEADER + 12;
const S_RETIRED: usize = OBJ_HEADER + 16;
const S_NRETIRED: usize = OBJ_HEADER + 20;
const S_READERS: usize = OBJ_HEADER + 32;
export const SNAPSHOT_SIZE: usize = S_READERS + <usize>MAX_THREADS * 4;

const B_VERSION: usize = 0;
const B_LEN: usize = 4;
const B_RETIRE: usize = 8;
const B_NEXT: usize = 12;
export const B_DATA: usize = 16;
const POISON: u8 = 0xdd;
const RESERVED: u32 = 1;   // a block's `next` before its commit
const CURRENT: u32 = 3;    // ... while it is the current one

export function snapshotInit(obj: usize): i32 {
  store<u32>(obj, 1, S_EPOCH);
  return OK;
}

@inline function readerSlot(obj: usize, tid: u32): usize { return obj + S_READERS + <usize>(tid & (MAX_THREADS - 1)) * 4; }

/** A block for a value of len bytes (the host writes the data at block + 16), or E_NOMEM. */
export function snap_reserve(obj: usize, len: u32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (<usize>len > ALLOC_MAX - B_DATA) return E_NOMEM;
  const b = allocOwned(B_DATA + <usize>len, false, obj);
  if (b < 0) return b;
  store<u32>(b, len, B_LEN);
  store<u32>(b, RESERVED, B_NEXT);
  return b;
}

/** b is a block of this object's with room for the length it states (guard.ts). */
function blockOk(obj: usize, b: usize): bool {
  return ownedBlock(b, obj, B_DATA) && <usize>load<u32>(b, B_LEN) <= <usize>alloc_usable(b) - B_DATA;
}

/** The retired list, walked at most its kept length: every block one of ours, and just that many. */
function retiredOk(obj: usize): bool {
  const n = load<u32>(obj, S_NRETIRED);
  if (<usize>n > (<usize>alloc_top() - HEAP_START) >> 4) return false;   // more than the heap holds
  let b = <usize>load<u32>(obj, S_RETIRED);
  for (let i: u32 = 0; i < n; i++) {
    if (!blockOk(obj, b)) return false;   // (the marks of the current and reserved blocks are odd: they fail here)
    b = <usize>load<u32>(b, B_NEXT);
  }
  return b == 0;
}

/** Drop a reserved block that will not be published. */
export function snap_cancel(block: usize): void { free(block); }

/** Poison and free a block blockOk passed. */
function release(block: usize): void {
  memory.fill(block, POISON, B_DATA + <usize>load<u32>(block, B_LEN));
  free(block);
}

/**
 * The oldest epoch a reader is in (u32.MAX_VALUE: none), or 0 for a slot later than the
 * epoch (garbage: no reader stores one), which holds every retired block back.
 */
function oldestReader(obj: usize, epoch: u32): u32 {
  let oldest: u32 = u32.MAX_VALUE;
  for (let i: u32 = 0; i < MAX_THREADS; i++) {
    const e = atomic.load<u32>(obj + S_READERS + <usize>i * 4);
    if (e > epoch) return 0;
    if (e != 0 && e < oldest) oldest = e;
  }
  return oldest;
}

/**
 * Under the lock: free the retired blocks no reader can still see (blocks retired before the
 * oldest reader's epoch). The list was checked (retiredOk); each block is checked again
 * before it is freed, and the walk stops at one that fails, keeping the rest.
 */
function reclaim(obj: usize, oldest: u32): void {
  let link = obj + S_RETIRED;
  let b = <usize>load<u32>(link);
  let n = load<u32>(obj, S_NRETIRED);
  for (let i = n; i > 0 && b != 0 && blockOk(obj, b); i--) {
    const next = <usize>load<u32>(b, B_NEXT);
    if (load<u32>(b, B_RETIRE) < oldest) { store<u32>(link, <u32>next); release(b); n--; }
    else link = b + B_NEXT;
    b = next;
  }
  store<u32>(obj, n, S_NRETIRED);
}

/**
 * Publish a reserved block as the current value. Returns the new version; E_CORRUPT (the
 * block freed, nothing else changed) when the fields fail the checks; E_INVAL for a block
 * snap_reserve did not make for this object.
 */
export function snap_commit(obj: usize, block: usize): i32 {
  if (!blockOk(obj, block) || load<u32>(block, B_NEXT) != RESERVED) return E_INVAL;
  if (objRemoved(obj)) { free(block); return E_CLOSED; }
  const locked = lockAcquireObj(obj + S_LOCK, -1);
  if (locked != OK) { free(block); return locked; }
  // Check everything before anything changes: the current block, the list, the epochs.
  const old = <usize>atomic.load<u32>(obj, S_CURRENT);
  const epoch = atomic.load<u32>(obj, S_EPOCH);
  if ((old != 0 && (!blockOk(obj, old) || load<u32>(old, B_NEXT) != CURRENT)) || epoch == 0 || !retiredOk(obj)) {
    lockRelease(obj + S_LOCK);
    free(block);
    return E_CORRUPT;
  }
  const version = ecSeq(obj + S_VERSION) + 1;
  store<u32>(block, version, B_VERSION);
  store<u32>(block, CURRENT, B_NEXT);
  atomic.store<u32>(obj, <u32>block, S_CURRENT);
  if (old != 0) {
    store<u32>(old, epoch, B_RETIRE);
    store<u32>(old, load<u32>(obj, S_RETIRED), B_NEXT);
    store<u32>(obj, <u32>old, S_RETIRED);
    store<u32>(obj, load<u32>(obj, S_NRETIRED) + 1, S_NRETIRED);
  }
  atomic.store<u32>(obj, epoch + 1, S_EPOCH);
  reclaim(obj, oldestReader(obj, epoch + 1));   // the readers scanned after the swap (0: a slot gone bad, nothing freed)
  // Still under the lock: the next writer numbers its version after this one (signalled
  // outside, two writers could read the same sequence and publish one version number twice).
  ecSignal(obj + S_VERSION);
  lockRelease(obj + S_LOCK);
  return <i32>version;   // not read back from the block: once unlocked, the next writer may retire and free it
}

/** The length of the value snap_read_begin returned (thread-local): what the host copies. */
let readLen: u32 = 0;
export function snap_read_len(): u32 { return readLen; }

/**
 * Enter a read: the current block (0 if nothing was published), its length at
 * snap_read_len. Pair with snap_read_end. E_CORRUPT (out again) for a current pointer that
 * is not one of its blocks, or an epoch of 0, or this thread's reader slot found in use
 * (reads do not nest: only garbage puts a value there; it is cleared).
 */
export function snap_read_begin(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  const slot = readerSlot(obj, selfTid);
  if (atomic.load<u32>(slot) != 0) { atomic.store<u32>(slot, 0); return E_CORRUPT; }
  const epoch = atomic.load<u32>(obj, S_EPOCH);
  if (epoch == 0) return E_CORRUPT;
  atomic.store<u32>(slot, epoch);
  const cur = <usize>atomic.load<u32>(obj, S_CURRENT);
  if (cur == 0) return 0;
  if (!blockOk(obj, cur)) { atomic.store<u32>(slot, 0); return E_CORRUPT; }
  readLen = load<u32>(cur, B_LEN);
  return <i32>cur;
}

export function snap_read_end(obj: usize): void { atomic.store<u32>(readerSlot(obj, selfTid), 0); }

export function snap_version(obj: usize): u32 { return ecSeq(obj + S_VERSION); }
export function snap_version_addr(obj: usize): usize { return obj + S_VERSION; }

export function snapshotOnDeath(obj: usize, tid: u32): void { atomic.store<u32>(readerSlot(obj, tid), 0); }
export function snapshotWakeAll(obj: usize): void { ecSignal(obj + S_VERSION); }

/** The object is being freed: free its blocks (those that pass the checks; the rest leak). */
export function snapshotDestroy(obj: usize): void {
  const cur = <usize>atomic.xchg<u32>(obj + S_CURRENT, 0);
  if (cur != 0 && blockOk(obj, cur) && load<u32>(cur, B_NEXT) == CURRENT) release(cur);
  let b = <usize>load<u32>(obj, S_RETIRED);
  for (let n = load<u32>(obj, S_NRETIRED); n > 0 && b != 0 && blockOk(obj, b); n--) {
    const next = <usize>load<u32>(b, B_NEXT);
    release(b);
    b = next;
  }
  store<u32>(obj, 0, S_RETIRED);
  store<u32>(obj, 0, S_NRETIRED);
}

/** ipcs: [version, bytes of the current value, retired blocks, epoch]; -1 in every word when corrupted. */
export function snapshotSummary(obj: usize, out: usize): void {
  // No lock (this runs under the registry's): the current block is checked before its length is read.
  const cur = <usize>atomic.load<u32>(obj, S_CURRENT);
  const epoch = atomic.load<u32>(obj, S_EPOCH);
  const retired = load<u32>(obj, S_NRETIRED);
  if ((cur != 0 && !blockOk(obj, cur)) || epoch == 0 || <usize>retired > (<usize>alloc_top() - HEAP_START) >> 4) {
    memory.fill(out, 0xff, 16);
    return;
  }
  store<u32>(out, ecSeq(obj + S_VERSION));
  store<u32>(out, cur != 0 ? load<u32>(cur, B_LEN) : 0, 4);
  store<u32>(out, retired, 8);
  store<u32>(out, epoch, 12);
}
