// What a slot (or an unbounded node) holds: the message's bytes inline or in a heap block,
// read and checked once (msgAt), copied, a receipt it carries settled, its block dropped.
// Shared by every flavor.
import { free } from '../alloc';
import { ownedBlock } from '../guard';
import { HEADER, H_TOP } from '../layout';
import { receiptTaken, receiptDropped, receiptValid } from '../receipt';
import {
  F_MAXMSG, F_INLINE, S_LEN, S_DATA, HEAP, CONFIRM, LEN_MASK, RECEIPT_HEAD, TOMBSTONE, isUnbounded,
} from './layout';

/** The length of the message msgAt last found (thread-local). */
export let msgLen: u32 = 0;

/**
 * Where the message in a slot of ring (or an unbounded node) lives, its length in msgLen; 0
 * when the slot's words are not a message's (guard.ts): an inline length beyond the slot (the
 * node's block), a heap block not the ring's or too small, a length beyond the maximum (a
 * tombstone too: it is no message). The length and the block are read once.
 */
export function msgAt(ring: usize, slot: usize): usize {
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
export let lastBlock: usize = 0;
/** Where a sender writes the len bytes of the slot (or node) it reserved in this call. */
@inline export function reservedData(ring: usize, slot: usize, len: u32): usize {
  return len <= load<u32>(ring, F_INLINE) ? slot + S_DATA : lastBlock;
}
/** Set by the reserve that allocated a heap message's block (array.ts, spsc.ts). */
@inline export function setLastBlock(block: usize): void { lastBlock = block; }

/**
 * A slot of ring just taken by this thread from channel obj: if its message carries a
 * receipt (a block of the ring's, checked, holding a receipt that passes receiptValid),
 * settle it (received by this thread) and clear it from the block. True if it carried one.
 */
@inline export function confirmTaken(obj: usize, ring: usize, slot: usize): bool {
  const len = load<u32>(slot, S_LEN);
  if ((len & CONFIRM) == 0 || (len & HEAP) == 0) return false;
  const block = <usize>load<u32>(slot, S_DATA);
  if (!ownedBlock(block, ring, RECEIPT_HEAD)) return true;   // (msgAt refuses the message)
  const r = <usize>load<u32>(block);
  if (r != 0 && receiptValid(r)) receiptTaken(r, obj);
  store<u32>(block, 0);
  return true;
}

/** Free a slot's heap block, if its message has one and it is the ring's (else it leaks). */
@inline export function dropBlock(ring: usize, slot: usize): void {
  const len = load<u32>(slot, S_LEN);
  if ((len & HEAP) != 0) dropHeap(ring, len, <usize>load<u32>(slot, S_DATA));
}

export function dropHeap(ring: usize, len: u32, block: usize): void {
  const confirm = (len & CONFIRM) != 0;
  if (!ownedBlock(block, ring, confirm ? RECEIPT_HEAD : 0)) return;
  if (confirm) {     // taken: the receipt is settled, and clear; never taken: it fails
    const r = <usize>load<u32>(block);
    if (r != 0) receiptDropped(r);   // (checked there: receiptValid)
  }
  free(block);
}

/** memory.copy, with short messages copied by words: the bulk instruction has a fixed cost. */
@inline export function copy(dst: usize, src: usize, n: usize): void {
  if (n > 64) { memory.copy(dst, src, n); return; }
  while (n >= 8) { store<u64>(dst, load<u64>(src)); dst += 8; src += 8; n -= 8; }
  while (n > 0) { store<u8>(dst, load<u8>(src)); dst++; src++; n--; }
}

/**
 * A batch's next message would be read from beyond the heap: its lengths are in shared
 * memory (the caller's staging block), where another thread could have written garbage,
 * and a read past the memory's end would trap.
 */
@inline export function beyondHeap(data: usize, len: u32): bool {
  return <u64>data + <u64>len > <u64>atomic.load<u32>(HEADER, H_TOP);
}

/** The next message would not fit in fit bytes (a tombstone always does: it is skipped). */
@inline export function tooLong(slot: usize, fit: u32): bool {
  const len = load<u32>(slot, S_LEN);
  return len != TOMBSTONE && (len & LEN_MASK) > fit;
}
