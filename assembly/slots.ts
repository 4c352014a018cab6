// The thread table's layout: one 64-byte slot per thread (layout.ts THREADS), the words
// every layer reads (who is alive, where a thread parks, what it holds). Only the layout and
// one-load questions live here, below the futex and the allocator, so that every protocol can
// ask them without importing the thread table's life cycle (threads.ts), which sits above ports.
//
// Each slot is [live][gen][scratch][host id][wake][refs][staging][port][acks][interrupt]
// [parked][sent][held][freeing] (u32 each); live is the thread's id while it is alive,
// id | DYING while its clean-up runs, 0 when free (threads.ts has the transitions).
import { THREADS, THREAD_SLOT, MAX_THREADS } from './layout';

export const DYING: u32 = 0x80000000;   // thread ids are below 2^30

export const S_LIVE: usize = 0;
export const S_GEN: usize = 4;
export const S_SCRATCH: usize = 8;
export const S_HOST_ID: usize = 12;
export const S_WAKE: usize = 16;
export const S_REFS: usize = 20;      // the objects it holds references to (registry.ts)
export const S_STAGING: usize = 24;
export const S_PORT: usize = 28;      // its default port (port.ts): made once per slot, kept
export const S_ACKS: usize = 32;      // receipts it owes an ack on (receipt.ts)
export const S_INTR: usize = 36;      // an interrupt is pending (futex.ts)
export const S_PARKED: usize = 40;    // the address it is parked on, for an interrupt to wake
export const S_SENT: usize = 44;      // receipts it sent and holds a reference on (receipt.ts)
export const S_HELD: usize = 48;      // the message node its host holds: received, not yet freed (port.ts)
export const S_FREEING: usize = 52;   // a receipt whose last reference it dropped, while it is freed (receipt.ts)

@inline export function slotOf(tid: u32): usize {
  return THREADS + <usize>(tid & (MAX_THREADS - 1)) * THREAD_SLOT;
}

@inline export function isAlive(tid: u32): bool {
  return tid != 0 && atomic.load<u32>(slotOf(tid), S_LIVE) == tid;
}

/**
 * The owner a message node in thread tid's host's hands is tagged with (alloc.ts): the
 * address of its S_HELD word, where no object lives, so the death walk frees only such a node.
 */
@inline export function heldOwner(tid: u32): usize { return slotOf(tid) + S_HELD; }
