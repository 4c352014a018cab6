// Snapshot: the lecture notes' "avoiding locks". A writer publishes a new immutable value
// with one atomic pointer swap; readers never block and always see one whole version. Old
// versions are reclaimed by epochs, only after every reader that could see them has left.
//
// Fields: +0 current block, +4 version (an eventcount: readers may wait for a new one),
//         +8 global epoch (from 1), +12 writers' internal lock, +16 retired list,
//         +32 one reader slot per thread-table slot: the epoch it entered at, 0 when out.
// Block: [version][len][retire epoch][next retired][data …]
//
//   read:    slot = epoch; p = current; copy p's data; slot = 0           (wait-free)
//   publish: (lock) old = swap current; old.retire = epoch; epoch++; retire old;
//            free every retired block whose retire epoch is below every reader's slot;
//            (unlock); version++ and wake version waiters
// Why it is safe: a reader publishes its slot before it loads the pointer, and the writer
// swaps the pointer before it reads the epoch and scans the slots (all sequentially
// consistent). A reader that loaded the old pointer therefore entered at an epoch <= the
// old block's retire epoch, and holds it back; one that entered later loads the new one.
// A dead reader's slot is cleared by kindOnThreadDeath; freed blocks are poisoned first.
import { OK, E_CLOSED, E_INVAL, E_NOMEM } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { MAX_THREADS } from './layout';
import { lockAcquire, lockRelease } from './lock';
import { alloc, free, ALLOC_MAX } from './alloc';
import { ecSeq, ecSignal } from './eventcount';
import { selfTid } from './local';

const S_CURRENT: usize = OBJ_HEADER;
const S_VERSION: usize = OBJ_HEADER + 4;
const S_EPOCH: usize = OBJ_HEADER + 8;
const S_LOCK: usize = OBJ_HEADER + 12;
const S_RETIRED: usize = OBJ_HEADER + 16;
const S_READERS: usize = OBJ_HEADER + 32;
export const SNAPSHOT_SIZE: usize = S_READERS + <usize>MAX_THREADS * 4;

const B_VERSION: usize = 0;
const B_LEN: usize = 4;
const B_RETIRE: usize = 8;
const B_NEXT: usize = 12;
export const B_DATA: usize = 16;
const POISON: u8 = 0xdd;

export function snapshotInit(obj: usize): i32 {
  store<u32>(obj, 1, S_EPOCH);
  return OK;
}

@inline function readerSlot(obj: usize, tid: u32): usize { return obj + S_READERS + <usize>(tid & (MAX_THREADS - 1)) * 4; }

/** A block for a value of len bytes (the host writes the data at block + 16), or E_NOMEM. */
export function snap_reserve(obj: usize, len: u32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (<usize>len > ALLOC_MAX - B_DATA) return E_NOMEM;
  const b = alloc(B_DATA + <usize>len, false);
  if (b < 0) return b;
  store<u32>(b, len, B_LEN);
  return b;
}

/** Drop a reserved block that will not be published. */
export function snap_cancel(block: usize): void { free(block); }

function release(block: usize): void {
  memory.fill(block, POISON, B_DATA + <usize>load<u32>(block, B_LEN));
  free(block);
}

/** Under the lock: free the retired blocks no reader can still see. */
function reclaim(obj: usize): void {
  let oldest: u32 = u32.MAX_VALUE;
  for (let i: u32 = 0; i < MAX_THREADS; i++) {
    const e = atomic.load<u32>(obj + S_READERS + <usize>i * 4);
    if (e != 0 && e < oldest) oldest = e;
  }
  let link = obj + S_RETIRED;
  let b = <usize>load<u32>(link);
  while (b != 0) {
    const next = <usize>load<u32>(b, B_NEXT);
    if (load<u32>(b, B_RETIRE) < oldest) { store<u32>(link, <u32>next); release(b); }
    else link = b + B_NEXT;
    b = next;
  }
}

/** Publish a reserved block as the current value. Returns the new version. */
export function snap_commit(obj: usize, block: usize): i32 {
  if (objRemoved(obj)) { free(block); return E_CLOSED; }
  lockAcquire(obj + S_LOCK);
  store<u32>(block, ecSeq(obj + S_VERSION) + 1, B_VERSION);
  const old = <usize>atomic.xchg<u32>(obj + S_CURRENT, <u32>block);
  if (old != 0) {
    store<u32>(old, atomic.load<u32>(obj, S_EPOCH), B_RETIRE);
    store<u32>(old, load<u32>(obj, S_RETIRED), B_NEXT);
    store<u32>(obj, <u32>old, S_RETIRED);
  }
  atomic.add<u32>(obj + S_EPOCH, 1);
  reclaim(obj);
  lockRelease(obj + S_LOCK);
  ecSignal(obj + S_VERSION);
  return <i32>load<u32>(block, B_VERSION);
}

/** Enter a read: the current block (0 if nothing was published). Pair with snap_read_end. */
export function snap_read_begin(obj: usize): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  const slot = readerSlot(obj, selfTid);
  if (atomic.load<u32>(slot) != 0) return E_INVAL;  // reads do not nest
  atomic.store<u32>(slot, atomic.load<u32>(obj, S_EPOCH));
  return <i32>atomic.load<u32>(obj, S_CURRENT);
}

export function snap_read_end(obj: usize): void { atomic.store<u32>(readerSlot(obj, selfTid), 0); }

export function snap_version(obj: usize): u32 { return ecSeq(obj + S_VERSION); }
export function snap_version_addr(obj: usize): usize { return obj + S_VERSION; }

export function snapshotOnDeath(obj: usize, tid: u32): void { atomic.store<u32>(readerSlot(obj, tid), 0); }
export function snapshotWakeAll(obj: usize): void { ecSignal(obj + S_VERSION); }

/** The object is being freed: free its blocks. */
export function snapshotDestroy(obj: usize): void {
  const cur = <usize>atomic.xchg<u32>(obj + S_CURRENT, 0);
  if (cur != 0) release(cur);
  let b = <usize>load<u32>(obj, S_RETIRED);
  while (b != 0) {
    const next = <usize>load<u32>(b, B_NEXT);
    release(b);
    b = next;
  }
  store<u32>(obj, 0, S_RETIRED);
}

/** ipcs: [version, bytes of the current value, retired blocks, epoch] */
export function snapshotSummary(obj: usize, out: usize): void {
  lockAcquire(obj + S_LOCK);
  const cur = <usize>atomic.load<u32>(obj, S_CURRENT);
  let retired: u32 = 0;
  for (let b = <usize>load<u32>(obj, S_RETIRED); b != 0 && retired < 1 << 20; b = <usize>load<u32>(b, B_NEXT)) retired++;
  store<u32>(out, ecSeq(obj + S_VERSION));
  store<u32>(out, cur != 0 ? load<u32>(cur, B_LEN) : 0, 4);
  store<u32>(out, retired, 8);
  store<u32>(out, atomic.load<u32>(obj, S_EPOCH), 12);
  lockRelease(obj + S_LOCK);
}
