// Containment of a channel (guard.ts): what every operation checks first. Every block a
// channel makes is tagged as its ring's (the ring block and the urgent lane's object as the
// channel's, the lane's ring as the lane's, each heap message and unbounded node as the ring it
// travels in). valid() checks the immutable fields against each other and the ring block
// against its tag (on the fast path five loads against a per-thread memo of that check); the
// lane's block and fields are checked (laneValid) only when the lane holds something or is
// touched (laneBusy reads its two indices once its pointer is bounded by the heap). What a
// slot holds is checked in slot.ts (msgAt).
import { ALLOC_MAX, ownedState } from '../alloc';
import { ownedBlock } from '../guard';
import { HEADER, H_TOP, HEAP_START } from '../layout';
import {
  F_CAP, F_SLOT, F_INLINE, F_MAXMSG, F_FLAGS, F_SLOTS, F_LIMIT, F_URGENT, F_TAIL, F_HEAD, CHANNEL_SIZE, URGENT_CAPACITY,
  SPSC, RENDEZVOUS, UNBOUNDED, LANE, MAX_MESSAGE, isUnbounded,
} from './layout';

export const KNOWN_FLAGS: u32 = SPSC | RENDEZVOUS;   // a ring channel's (a lane's is LANE; a list's UNBOUNDED)

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
@inline export function valid(obj: usize): bool {
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
export let m0Obj: usize = 0;
export let m0A: u64 = 0;
export let m0B: u64 = 0;
export let m0C: u64 = 0;
export let m0F: u64 = 0;
export let m0H: u64 = 0;
export let m1Obj: usize = 0;
export let m1A: u64 = 0;
export let m1B: u64 = 0;
export let m1C: u64 = 0;
export let m1F: u64 = 0;
export let m1H: u64 = 0;
export let mNext: u32 = 0;

/** The full check of the words valid loaded (each read once: what is checked is what is kept). */
export function validFull(obj: usize, a: u64, b: u64, c: u64, flags: u32): bool {
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
export function validList(obj: usize): bool {
  const maxMessage = load<u32>(obj, F_MAXMSG);
  return maxMessage - 1 < MAX_MESSAGE && load<u32>(obj, F_INLINE) == maxMessage && load<u32>(obj, F_SLOTS) == 0
    && load<u32>(obj, F_URGENT) == 0 && load<u32>(obj, F_CAP) == 0 && load<u32>(obj, F_SLOT) == 0;
}

/** The urgent lane is what channelInit made: a block of the channel's, its sizes the channel's, its ring its own. */
export function laneValid(obj: usize, urgent: usize): bool {
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

/**
 * A checked ring channel's urgent lane holds something, claimed or published: two loads. A
 * lane pointer outside the heap (or misaligned) says busy, unread: the callers then run
 * laneValid, which refuses it (E_CORRUPT).
 */
@inline export function laneBusy(urgent: usize): bool {
  if (urgent < HEAP_START || (urgent & 7) != 0 || urgent + CHANNEL_SIZE > <usize>atomic.load<u32>(HEADER, H_TOP)) return true;
  return atomic.load<u32>(urgent, F_TAIL) != atomic.load<u32>(urgent, F_HEAD);
}
