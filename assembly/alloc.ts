// The shared allocator: segregated size classes, lock-free, plus a locked list for large blocks.
//
// Every block starts with an 8-byte header [info: u32][state: u32] and hands out the bytes
// after it, 8-byte aligned. info is the class index (< NCLASSES) for a small block, or the
// block's byte size for a large one. state is FREE, or ALLOCATED | a 16-bit tag of the
// block's owner (the object it belongs to, 0 for none: guard.ts checks a pointer read from
// an object's fields against it). free() flips it with one CAS, so a double free or a
// pointer that is not a block is refused, not obeyed.
//
// Small blocks (<= 32 KiB with header; 40 classes, four per doubling above 128 B):
//   free ──alloc: pop the class's Treiber stack──▶ allocated ──free: push──▶ free
//   nothing free ──alloc: bump `top` with a CAS (growing the memory first)──▶ allocated
// The stack head is 64 bits, tag << 32 | block: every pop and push bumps the tag, so a
// stale head (ABA) fails its CAS. Reading a popped block's link is safe: shared memory is
// never unmapped, and a stale read is discarded by the failed CAS.
//
// Large blocks (multiples of 4 KiB) come from an address-ordered free list of extents,
// first fit, split and coalesced, under the internal lock; an extent that ends at `top`
// is given back to the bump region, where small classes can use it too. Memory that a
// small class has taken stays in that class (no coalescing across classes).
import { E_NOMEM, E_INVAL, OK } from './status';
import {
  HEADER, H_TOP, H_MAX_BYTES, H_BYTES_IN_USE, H_BLOCKS_IN_USE, H_LARGE_LOCK, H_LARGE_FREE,
  H_CLASS_HEADS, NCLASSES, HEAP_START, PAGE,
} from './layout';
import { lockAcquire, lockRelease } from './lock';

const BLOCK_HEADER: usize = 8;
const ALLOCATED: u32 = 0xA1100000;   // | ownerTag(owner)
const FREE: u32 = 0xF4EEB10C;
@inline function isAllocated(state: u32): bool { return (state & 0xffff0000) == ALLOCATED; }
/** 16 bits of the owner's offset (8-aligned), mixed: a forged pointer to another object's block fails. */
@inline function ownerTag(owner: usize): u32 { return ((<u32>(owner >> 3)) * 0x9E3779B1) >>> 16; }
const SMALL_MAX: usize = 32768;
const LARGE_UNIT: usize = 4096;
/** The largest request we accept: 2 GiB less headers (segments are capped at 2 GiB). */
export const ALLOC_MAX: usize = 0x7FFF0000;

// ---- size classes ----

/** Class index for a block of `total` bytes (header included), total <= SMALL_MAX. */
@inline function classOf(total: usize): usize {
  if (total <= 128) return ((total + 15) >> 4) - 1;
  const b = <usize>(31 - clz<u32>(<u32>(total - 1)));   // 2^b < total <= 2^(b+1)
  const quarter = ((total - 1) >> (b - 2)) & 3;
  return 8 + (b - 7) * 4 + quarter;
}

@inline function classSize(c: usize): usize {
  if (c < 8) return (c + 1) << 4;
  const b: usize = 7 + ((c - 8) >> 2);
  return (<usize>1 << b) + (((c - 8) & 3) + 1) * (<usize>1 << (b - 2));
}

// ---- the bump region ----

/** Make sure the memory reaches `end`, growing it (in steps of at least 1 MiB) below the maximum. */
function ensureMemory(end: usize): bool {
  const max = <usize>load<u32>(HEADER, H_MAX_BYTES);
  if (end > max) return false;
  while (true) {
    const have = <usize>memory.size() * PAGE;
    if (end <= have) return true;
    const need = (end - have + PAGE - 1) / PAGE;
    let step = need < 16 ? <usize>16 : need;
    if (have + step * PAGE > max) step = need;
    // Several threads may grow at once; each re-checks the size afterwards.
    if (memory.grow(<i32>step) < 0 && <usize>memory.size() * PAGE < end) return false;
  }
}

/** Carve `size` bytes off the top of the heap; 0 when the segment is full. */
function bump(size: usize): usize {
  while (true) {
    const top = <usize>atomic.load<u32>(HEADER, H_TOP);
    const end = top + size;
    if (end > ALLOC_MAX + HEAP_START || !ensureMemory(end)) return 0;
    if (atomic.cmpxchg<u32>(HEADER + H_TOP, <u32>top, <u32>end) == <u32>top) return top;
  }
}

// ---- small blocks: one Treiber stack per class ----

@inline function headAddr(c: usize): usize { return HEADER + H_CLASS_HEADS + (c << 3); }

function popClass(c: usize): usize {
  const head = headAddr(c);
  while (true) {
    const old = atomic.load<u64>(head);
    const block = <usize>(<u32>old);
    if (block == 0) return 0;
    const next = <u64>atomic.load<u32>(block + BLOCK_HEADER);
    const tag = (old >> 32) + 1;
    if (atomic.cmpxchg<u64>(head, old, (tag << 32) | next) == old) return block;
  }
}

function pushClass(c: usize, block: usize): void {
  const head = headAddr(c);
  while (true) {
    const old = atomic.load<u64>(head);
    atomic.store<u32>(block + BLOCK_HEADER, <u32>old);
    const tag = (old >> 32) + 1;
    if (atomic.cmpxchg<u64>(head, old, (tag << 32) | <u64>block) == old) return;
  }
}

// ---- large blocks: address-ordered extents [size: u32][next: u32] ----

function largeTake(size: usize): usize {
  const lockAddr = HEADER + H_LARGE_LOCK;
  lockAcquire(lockAddr);
  let prevLink = HEADER + H_LARGE_FREE;
  let ext = <usize>load<u32>(prevLink);
  while (ext != 0) {
    const extSize = <usize>load<u32>(ext);
    const next = load<u32>(ext, 4);
    if (extSize >= size) {
      if (extSize - size >= LARGE_UNIT) {          // split: the tail stays free
        const rest = ext + size;
        store<u32>(rest, <u32>(extSize - size));
        store<u32>(rest, next, 4);
        store<u32>(prevLink, <u32>rest);
      } else {
        size = extSize;
        store<u32>(prevLink, next);
      }
      lockRelease(lockAddr);
      store<u32>(ext, <u32>size);                 // becomes the block header's info
      return ext;
    }
    prevLink = ext + 4;
    ext = <usize>next;
  }
  lockRelease(lockAddr);
  const block = bump(size);
  if (block != 0) store<u32>(block, <u32>size);
  return block;
}

function largeGive(block: usize, size: usize): void {
  const lockAddr = HEADER + H_LARGE_LOCK;
  lockAcquire(lockAddr);
  // find the neighbours: prev < block < ext
  let prev: usize = 0;
  let prevLink = HEADER + H_LARGE_FREE;
  let ext = <usize>load<u32>(prevLink);
  while (ext != 0 && ext < block) {
    prev = ext;
    prevLink = ext + 4;
    ext = <usize>load<u32>(ext, 4);
  }
  let start = block;
  let end = block + size;
  if (ext != 0 && ext == end) {                   // merge with the next extent
    end += <usize>load<u32>(ext);
    ext = <usize>load<u32>(ext, 4);
  }
  if (prev != 0 && prev + <usize>load<u32>(prev) == start) {   // merge into the previous one
    start = prev;
    // unlink prev: find its link again (list is short; large blocks are few)
    prevLink = HEADER + H_LARGE_FREE;
    while (<usize>load<u32>(prevLink) != prev) prevLink = <usize>load<u32>(prevLink) + 4;
  }
  // An extent that ends at the top goes back to the bump region.
  if (atomic.cmpxchg<u32>(HEADER + H_TOP, <u32>end, <u32>start) == <u32>end) {
    store<u32>(prevLink, <u32>ext);
  } else {
    store<u32>(start, <u32>(end - start));
    store<u32>(start, <u32>ext, 4);
    store<u32>(prevLink, <u32>start);
  }
  lockRelease(lockAddr);
}

// ---- ABI ----

/** Allocate `size` bytes, 8-byte aligned, zeroed when `zero`. Returns the offset, or E_NOMEM / E_INVAL. */
export function alloc(size: usize, zero: bool): i32 { return allocOwned(size, zero, 0); }

/** alloc, the block tagged as `owner`'s (an object's offset): see ownedBlock. */
export function allocOwned(size: usize, zero: bool, owner: usize): i32 {
  if (size > ALLOC_MAX) return E_NOMEM;
  const total = (max<usize>(size, 8) + BLOCK_HEADER + 7) & ~<usize>7;
  let block: usize;
  let blockSize: usize;
  if (total <= SMALL_MAX) {
    const c = classOf(total);
    blockSize = classSize(c);
    block = popClass(c);
    if (block == 0) block = bump(blockSize);
    if (block == 0) return E_NOMEM;
    store<u32>(block, <u32>c);
  } else {
    blockSize = (total + LARGE_UNIT - 1) & ~(LARGE_UNIT - 1);
    block = largeTake(blockSize);
    if (block == 0) return E_NOMEM;
    blockSize = <usize>load<u32>(block);
  }
  atomic.store<u32>(block, ALLOCATED | ownerTag(owner), 4);
  atomic.add<u32>(HEADER + H_BYTES_IN_USE, <u32>blockSize);
  atomic.add<u32>(HEADER + H_BLOCKS_IN_USE, 1);
  const p = block + BLOCK_HEADER;
  if (zero) memory.fill(p, 0, blockSize - BLOCK_HEADER);
  return <i32>p;
}

/** Free a block from alloc. E_INVAL (and nothing changes) for a pointer that is not a live block. */
export function free(p: usize): i32 { return freeBlock(p, 0, 0); }

/**
 * free(p), and zero the word at `held` if it names p, in the same stretch as the block's
 * state flips to FREE (no call between them: a terminated thread stops only at a call or a
 * loop's back edge). A thread records a block it is about to free, or holds for its host, in
 * such a word (threads.ts S_HELD, S_FREEING), and its death walk frees what the word still
 * names: the word never outlives the block, so the walk cannot free a block reused since.
 */
export function freeClearing(p: usize, held: usize): i32 { return freeBlock(p, held, 0); }

/**
 * free(p), and replace the link word that names p with next in the same stretch: a list
 * record is unlinked and freed at once, so a walk cut short leaves it either linked and live
 * (the resumed walk takes it) or gone, never unlinked and live (lost). Inlined, so that no
 * call separates it from what the caller did just before (registry.ts: the count dropped).
 */
@inline export function freeUnlinking(p: usize, link: usize, next: u32): i32 { return freeBlock(p, link, next); }

@inline function freeBlock(p: usize, held: usize, next: u32): i32 {
  const top = <usize>atomic.load<u32>(HEADER, H_TOP);
  if (p < HEAP_START + BLOCK_HEADER || p >= top || (p & 7) != 0) return E_INVAL;
  const block = p - BLOCK_HEADER;
  const info = <usize>load<u32>(block);
  const small = info < NCLASSES;
  if (!small && (info < SMALL_MAX || (info & (LARGE_UNIT - 1)) != 0 || block + info > top)) return E_INVAL;
  const state = atomic.load<u32>(block, 4);
  if (!isAllocated(state) || atomic.cmpxchg<u32>(block + 4, state, FREE) != state) return E_INVAL;
  if (held != 0 && load<u32>(held) == <u32>p) store<u32>(held, next);
  const blockSize = small ? classSize(info) : info;
  atomic.sub<u32>(HEADER + H_BYTES_IN_USE, <u32>blockSize);
  atomic.sub<u32>(HEADER + H_BLOCKS_IN_USE, 1);
  if (small) pushClass(info, block);
  else largeGive(block, blockSize);
  return OK;
}

/** Usable bytes of a live block (its class or extent size less the header), or E_INVAL. */
export function alloc_usable(p: usize): i32 {
  const top = <usize>atomic.load<u32>(HEADER, H_TOP);
  if (p < HEAP_START + BLOCK_HEADER || p >= top || (p & 7) != 0) return E_INVAL;
  const block = p - BLOCK_HEADER;
  if (!isAllocated(atomic.load<u32>(block, 4))) return E_INVAL;
  const info = <usize>load<u32>(block);
  return <i32>((info < NCLASSES ? classSize(info) : info) - BLOCK_HEADER);
}

/**
 * Whether p is a live block tagged as owner's with at least `need` usable bytes: how a
 * protocol checks a pointer it read from shared memory before using it (guard.ts).
 */
export function ownedBlock(p: usize, owner: usize, need: usize): bool {
  const top = <usize>atomic.load<u32>(HEADER, H_TOP);
  if (p < HEAP_START + BLOCK_HEADER || p >= top || (p & 7) != 0) return false;
  const block = p - BLOCK_HEADER;
  if (atomic.load<u32>(block, 4) != (ALLOCATED | ownerTag(owner))) return false;
  const info = <usize>load<u32>(block);
  if (info >= NCLASSES && (info < SMALL_MAX || (info & (LARGE_UNIT - 1)) != 0 || block + info > top)) return false;
  return (info < NCLASSES ? classSize(info) : info) - BLOCK_HEADER >= need;
}

/**
 * The state word of a live block tagged as owner's (what ownedBlock compares): for a caller
 * that keeps a block it checked in full and re-checks only its header later (channel.ts).
 */
@inline export function ownedState(owner: usize): u32 { return ALLOCATED | ownerTag(owner); }

/**
 * ownedBlock's check, giving the usable bytes: those of p when it is a live block tagged as
 * owner's, -1 otherwise (a protocol that reads a length from the block checks it against them).
 */
export function ownedUsable(p: usize, owner: usize): i32 {
  const top = <usize>atomic.load<u32>(HEADER, H_TOP);
  if (p < HEAP_START + BLOCK_HEADER || p >= top || (p & 7) != 0) return -1;
  const block = p - BLOCK_HEADER;
  if (atomic.load<u32>(block, 4) != (ALLOCATED | ownerTag(owner))) return -1;
  const info = <usize>load<u32>(block);
  if (info >= NCLASSES && (info < SMALL_MAX || (info & (LARGE_UNIT - 1)) != 0 || block + info > top)) return -1;
  return <i32>((info < NCLASSES ? classSize(info) : info) - BLOCK_HEADER);
}

/**
 * Hand a live block over from owner `from` to owner `to` (one CAS on its state word): true if
 * it was from's. p must have passed ownedBlock / ownedUsable (this reads its header). A
 * message node moves this way between the host (a fixed owner while it is written or read)
 * and the port it is queued on (port.ts).
 */
@inline export function adoptBlock(p: usize, from: usize, to: usize): bool {
  const was = ALLOCATED | ownerTag(from);
  return atomic.cmpxchg<u32>(p - BLOCK_HEADER + 4, was, ALLOCATED | ownerTag(to)) == was;
}

export function alloc_bytes_in_use(): u32 { return atomic.load<u32>(HEADER, H_BYTES_IN_USE); }
export function alloc_blocks_in_use(): u32 { return atomic.load<u32>(HEADER, H_BLOCKS_IN_USE); }
export function alloc_top(): u32 { return atomic.load<u32>(HEADER, H_TOP); }
