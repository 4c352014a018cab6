// The common header of every shared object: the first OBJ_HEADER bytes of its block.
//
//   +0 kind    +4 serial (fresh per object: a stale handle to reused memory is told apart)
//   +8 state   LIVE, or REMOVED once ipcrm'd (operations then fail with E_CLOSED)
//   +12 entry  its registry entry
//
// Kind-specific fields start at OBJ_HEADER.
export const OBJ_HEADER: usize = 16;
export const O_KIND: usize = 0;
export const O_SERIAL: usize = 4;
export const O_STATE: usize = 8;
export const O_ENTRY: usize = 12;

export const LIVE: u32 = 1;
export const REMOVED: u32 = 2;

@inline export function objKind(obj: usize): u32 { return load<u32>(obj, O_KIND); }
@inline export function objRemoved(obj: usize): bool { return atomic.load<u32>(obj, O_STATE) != LIVE; }
