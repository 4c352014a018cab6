// The channel object's layout, shared by every flavor (channel.ts is the face, the flavors
// are array.ts, list.ts, spsc.ts and zero.ts). Producers' and consumers' words a cache line apart:
//   +0 ring size (slots, a power of two >= 2)  +4 slot size  +8 inline max  +12 max message
//   +16 flags (SPSC, RENDEZVOUS, UNBOUNDED, LANE)  +20 closed  +24 slots (a heap block)
//   +28 capacity (1 on a ring of 2: the slot sequence protocol needs two slots, so a
//   capacity-1 sender also checks head)
//   +64 tail (next position to claim for a send)      +128 head (next to receive)
//   +192 notEmpty sequence, +196 receivers waiting    +256 notFull sequence, +260 senders waiting
//   +272 broken (pipes)  +320 peers gone  +324 urgent lane  +384 / +448 senders / receivers seen
//   +512 / +544 selectors waiting for a message / for room (blocking select)
//   +576 unbounded mode: reservations out per thread (RESERVERS x [tid][count])
// Slot: [seq][len][payload: inline bytes, or a heap block's offset when len has HEAP set]
//       [owner][pad] (owner: who holds the slot claimed: array.ts, "Killed mid-operation").
// A message sent with a receipt (delivery confirmation, receipt.ts) always goes to a heap
// block, [receipt][pad][bytes], and its len has CONFIRM set too (slot.ts confirmTaken).
import { OBJ_HEADER, objRemoved } from '../object';

export const F_CAP: usize = OBJ_HEADER;
export const F_SLOT: usize = OBJ_HEADER + 4;
export const F_INLINE: usize = OBJ_HEADER + 8;
export const F_MAXMSG: usize = OBJ_HEADER + 12;
export const F_FLAGS: usize = OBJ_HEADER + 16;
export const F_CLOSED: usize = OBJ_HEADER + 20;
export const F_SLOTS: usize = OBJ_HEADER + 24;
export const F_LIMIT: usize = OBJ_HEADER + 28;
export const F_TAIL: usize = OBJ_HEADER + 64;
export const F_HEAD: usize = OBJ_HEADER + 128;
export const F_NOT_EMPTY: usize = OBJ_HEADER + 192;
export const F_RECV_WAITING: usize = OBJ_HEADER + 196;
export const F_NOT_FULL: usize = OBJ_HEADER + 256;
export const F_SEND_WAITING: usize = OBJ_HEADER + 260;
// unbounded mode: the list (its words live where the ring's indices would)
export const U_LOCK: usize = OBJ_HEADER + 68;
export const U_TAIL: usize = OBJ_HEADER + 72;
export const U_COUNT: usize = OBJ_HEADER + 76;
export const U_RESERVED: usize = OBJ_HEADER + 80;
export const U_HEAD: usize = OBJ_HEADER + 132;
// dead peers: the threads that have sent / received (up to PEERS each), and whether all of
// one side has died
export const F_BROKEN: usize = OBJ_HEADER + 272;  // a pipe's: every read end closed (0 on channels)
export const F_PEERS_GONE: usize = OBJ_HEADER + 320;
export const F_URGENT: usize = OBJ_HEADER + 324;   // the urgent lane: a small ring of its own
export const URGENT_CAPACITY: u32 = 16;
export const F_SENDERS: usize = OBJ_HEADER + 384;
export const F_RECEIVERS: usize = OBJ_HEADER + 448;
export const PEERS: u32 = 16;
export const SENDERS_GONE: u32 = 1;
export const RECEIVERS_GONE: u32 = 2;
// selectors (blocking select) waiting for a message / for room: see "select" below
export const F_SELECT_RECV: usize = OBJ_HEADER + 512;
export const F_SELECT_SEND: usize = OBJ_HEADER + 544;
export const SELECTORS: u32 = 8;
export const F_RESERVERS: usize = OBJ_HEADER + 576;
export const RESERVERS: u32 = 16;
export const CHANNEL_SIZE: usize = F_RESERVERS + <usize>RESERVERS * 8;

export const SPSC: u32 = 1;
export const RENDEZVOUS: u32 = 2;
export const UNBOUNDED: u32 = 4;
export const LANE: u32 = 8;   // an urgent lane itself (it has none)
export const HEAP: u32 = 0x80000000;
export const CONFIRM: u32 = 0x40000000;
export const LEN_MASK: u32 = ~(HEAP | CONFIRM);
export const MAX_MESSAGE: u32 = 0x3ffffff0;
export const RECEIPT_HEAD: usize = 8;   // a confirmed message's block: [receipt][pad][bytes]
export const TOMBSTONE: u32 = 0x7fffffff;
export const TAKEN: u32 = 0x80000000;   // an owner mark's receiver bit (thread ids are below 2^30)
export const S_SEQ: usize = 0;
export const S_LEN: usize = 4;
export const S_DATA: usize = 8;

/** Claim results besides a slot: 0 empty / full, NO_FIT, BAD (corrupt). Slots are far above. */
export const NO_FIT: usize = 1;
export const BAD: usize = 2;
export const ANY: u32 = 0xffffffff;   // a fit that every message meets

@inline export function slotAt(obj: usize, pos: u32): usize {
  return <usize>load<u32>(obj, F_SLOTS) + <usize>(pos & (load<u32>(obj, F_CAP) - 1)) * <usize>load<u32>(obj, F_SLOT);
}

/** A ring slot's owner mark: the thread holding it claimed (| TAKEN: to receive), 0 when none. */
@inline export function ownerOf(obj: usize, slot: usize): usize { return slot + S_DATA + <usize>load<u32>(obj, F_INLINE); }
@inline export function isSpsc(obj: usize): bool { return (load<u32>(obj, F_FLAGS) & SPSC) != 0; }
@inline export function isUnbounded(obj: usize): bool { return (load<u32>(obj, F_FLAGS) & UNBOUNDED) != 0; }
@inline export function isClosed(obj: usize): bool { return atomic.load<u32>(obj, F_CLOSED) != 0 || objRemoved(obj); }
@inline export function peersGone(obj: usize, flag: u32): bool { return (atomic.load<u32>(obj, F_PEERS_GONE) & flag) != 0; }
