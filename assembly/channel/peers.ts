// Dead peers: a thread registers as a sender or receiver on its first send or receive (a
// table of PEERS thread ids per side). When a thread dies, it leaves the tables; if that
// empties a side, SENDERS_GONE or RECEIVERS_GONE is set and everyone is woken: a receiver
// finding the ring empty, or a sender finding it full, then gets E_DEAD_PEER instead of
// waiting forever. A new registration on that side clears the flag. The death hook also lets
// go of what the thread held claimed in each flavor (array.ts, list.ts, spsc.ts), and takes
// it out of the selector tables (select.ts).
import { OK } from '../status';
import { selfTid } from '../local';
import {
  F_SENDERS, F_RECEIVERS, F_PEERS_GONE, F_URGENT, PEERS, SENDERS_GONE, RECEIVERS_GONE, isSpsc, isUnbounded,
} from './layout';
import { valid, laneValid } from './check';
import { selDisarm, channelWakeAll } from './select';
import { arrayDropClaims } from './array';
import { listDropClaims } from './list';
import { P_CLAIM, P_CLAIMER } from './spsc';

/** Register this thread as a sender (1) or receiver (0). OK; a full table just goes untracked. */
export function ch_register(obj: usize, send: i32): i32 {
  const table = obj + (send ? F_SENDERS : F_RECEIVERS);
  let free: usize = 0;
  for (let i: u32 = 0; i < PEERS; i++) {
    const at = table + <usize>i * 4;
    const v = atomic.load<u32>(at);
    if (v == selfTid) return OK;
    if (v == 0 && free == 0) free = at;
  }
  while (free != 0 && atomic.cmpxchg<u32>(free, 0, selfTid) != 0) {
    free = 0;
    for (let i: u32 = 0; i < PEERS && free == 0; i++) if (atomic.load<u32>(table + <usize>i * 4) == 0) free = table + <usize>i * 4;
  }
  atomic.and<u32>(obj + F_PEERS_GONE, ~(send ? SENDERS_GONE : RECEIVERS_GONE));
  return OK;
}

/** Remove a dead thread from one side's table; true if that emptied the side. */
function leave(obj: usize, table: usize, tid: u32): bool {
  let was = false;
  let left: u32 = 0;
  for (let i: u32 = 0; i < PEERS; i++) {
    const at = table + <usize>i * 4;
    const v = atomic.load<u32>(at);
    if (v == tid && atomic.cmpxchg<u32>(at, tid, 0) == tid) was = true;
    else if (v != 0) left++;
  }
  return was && left == 0;
}

export function channelOnDeath(obj: usize, tid: u32): void {
  if (isSpsc(obj) && load<u32>(obj, P_CLAIM) != 0 && load<u32>(obj, P_CLAIMER) == tid) store<u32>(obj, 0, P_CLAIM);
  selDisarm(obj, 0, tid);
  selDisarm(obj, 1, tid);
  let gone: u32 = 0;
  if (leave(obj, obj + F_SENDERS, tid)) gone |= SENDERS_GONE;
  if (leave(obj, obj + F_RECEIVERS, tid)) gone |= RECEIVERS_GONE;
  if (gone != 0) atomic.or<u32>(obj + F_PEERS_GONE, gone);
  let unstuck = false;
  if (valid(obj)) {   // (the rings only once checked: the tables above are fields, at fixed places)
    const urgent = <usize>load<u32>(obj, F_URGENT);
    unstuck = dropClaims(obj, tid);
    if (urgent != 0 && laneValid(obj, urgent) && dropClaims(urgent, tid)) unstuck = true;
  }
  if (gone != 0 || unstuck) channelWakeAll(obj);
}

/** What a dead thread held claimed in one ring (or reserved, unbounded): let it go. True if anything was. */
function dropClaims(obj: usize, tid: u32): bool {
  if (isUnbounded(obj)) return listDropClaims(obj, tid);
  return isSpsc(obj) ? false : arrayDropClaims(obj, tid);
}
