// Containment. Any thread attached to a segment can write anywhere in it, so the core treats
// an object's fields as untrusted input: every offset, length and index read from shared
// memory is validated or masked before it addresses memory. A corrupted object then fails
// with E_CORRUPT (ts: CorruptedError, naming it) instead of writing outside its own region,
// trapping (which would leave internal locks held), or spinning forever.
//
// The rules each protocol follows:
//   - every heap block an object makes is tagged as the object's (alloc.ts: allocOwned); a
//     pointer read from its fields must be a live block with its tag and room enough
//     (ownedBlock), so a pointer forged to a canary, or to another object's block, fails;
//   - immutable fields (sizes, the blocks made at creation) are checked against each other
//     and against the heap at every operation's entry; derived pointers are recomputed, never read;
//   - a value taken from a mutable word (a slot number, a node's offset, a length) is
//     range-checked against the immutable fields before use; ring positions are masked;
//   - a retry loop that waits for another thread's step is bounded (RETRY_LIMIT), and a
//     list walk is bounded by the count the object keeps;
//   - an internal lock among the fields is taken with lockAcquireObj (lock.ts): a word no
//     locker writes is E_CORRUPT at once, a holder that never lets go E_CORRUPT in bounded
//     time; a thread id read from a word is masked to index the thread table (threads.ts:
//     slotOf), and one that is no id at all (isTidForm) is corrupted, not a dead holder;
//   - a size the host views memory by (a region's, a value's length) is checked against the
//     block that holds it, and the host copies the length the core checked, not a re-read;
//   - the limit: the tag has 16 bits, so a forger who tries blocks until one's tag matches
//     gets through 1 time in 65536; such a forger could as well write into the other object.
export { ownedBlock } from './alloc';

/** Retries of a lock-free step (a CAS lost, a neighbour's sequence not there yet) before
 * the object is called corrupted: far beyond any real contention. */
export const RETRY_LIMIT: u32 = 1 << 26;

@inline export function isPow2(x: u32): bool { return x != 0 && (x & (x - 1)) == 0; }

/**
 * A value that can be a thread id (threads.ts: gen << 10 | slot, gen and slot nonzero, below
 * 2^30). A lock word naming anything else was written by no locker: corrupted, not a holder.
 */
@inline export function isTidForm(tid: u32): bool { return tid < (1 << 30) && (tid >> 10) != 0 && (tid & 1023) != 0; }
