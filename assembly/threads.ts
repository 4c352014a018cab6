// The thread table: who is attached to this segment, and who has died.
//
// A thread id is gen << 10 | slot (slot 1..1023, gen 1..2^20-1): never 0, below 2^30 (so a
// lock word can hold it with two state bits), and not reused while a slot's generation
// has not wrapped, so an id recorded as a lock's owner never names a later thread.
//
// The slot layout is in slots.ts (below every protocol); this file is the life cycle, above
// ports (a registering thread gets its default port). refs heads the list of the objects the thread holds references to (registry.ts), which
// its death releases, the way a process's exit closes its descriptors.
//
//   live 0 (free) ──register: CAS 0→CLAIMING, gen++──▶ live = tid (alive)
//   live = tid ──exit (markDying, no lock): CAS tid→tid|DYING──▶ dying (not alive, not free)
//   dying ──clean-up done (markDead, under the registry lock)──▶ 0 (free for reuse; gen keeps the old id)
// Dying before taking the lock is what lets the clean-up of a thread killed while it held
// the lock take that lock over (lock.ts).
//
// alive(tid) is one load: live of slot (tid & 1023) == tid. Marking a thread dead walks the
// registry so that every object can release what the thread held and wake whoever waited
// on it (robust locks, dead-peer errors): see kinds.ts onThreadDeath.
import { OK, E_LIMIT, E_INVAL, E_NOMEM } from './status';
import { HEADER, H_THREAD_COUNT, H_REG_LOCK, THREADS, THREAD_SLOT, MAX_THREADS } from './layout';
import {
  slotOf, isAlive, DYING, S_LIVE, S_GEN, S_SCRATCH, S_HOST_ID, S_WAKE, S_REFS, S_STAGING, S_ACKS, S_INTR, S_PARKED,
  S_SENT, S_HELD, S_FREEING,
} from './slots';
export { slotOf, isAlive, S_REFS } from './slots';
import { lockAcquire, lockRelease } from './lock';
import { alloc, freeClearing } from './alloc';
import { setSelf, selfTid } from './local';
import { threadPortAttach } from './port';

const CLAIMING: u32 = 1;
const SLOT_BITS: u32 = 10;
const GEN_MAX: u32 = (1 << 20) - 1;
export const SCRATCH_SIZE: u32 = 4096 - 8; // one 4 KiB block with its header
/** Bytes of a thread's staging block: where the host stages messages for one-call copies. */
export const STAGING_SIZE: usize = 64 << 10;

/**
 * Register a thread (hostId: the host's own thread number, for ipcs). Returns its id, or
 * E_LIMIT. A thread registers itself and adopts the id; a parent may register a child it
 * is about to spawn, so that the child's death is tracked even before it runs.
 */
export function thread_register(hostId: u32): i32 {
  // Under the registry lock: a slot is never reused while thread_exit is still running a
  // dead thread's clean-up (which indexes per-thread tables by slot).
  lockAcquire(HEADER + H_REG_LOCK);
  const tid = register(hostId);
  lockRelease(HEADER + H_REG_LOCK);
  return tid;
}

function register(hostId: u32): i32 {
  for (let i: u32 = 1; i < MAX_THREADS; i++) {
    const slot = THREADS + <usize>i * THREAD_SLOT;
    if (atomic.load<u32>(slot, S_LIVE) != 0) continue;
    if (atomic.cmpxchg<u32>(slot + S_LIVE, 0, CLAIMING) != 0) continue;
    if (load<u32>(slot, S_SCRATCH) == 0) {
      const scratch = alloc(SCRATCH_SIZE, true);
      if (scratch < 0) { atomic.store<u32>(slot, 0, S_LIVE); return E_NOMEM; }
      store<u32>(slot, <u32>scratch, S_SCRATCH);
    }
    let gen = load<u32>(slot, S_GEN) >> SLOT_BITS;
    gen = gen >= GEN_MAX ? 1 : gen + 1;
    const tid = (gen << SLOT_BITS) | i;
    store<u32>(slot, tid, S_GEN);
    store<u32>(slot, hostId, S_HOST_ID);
    atomic.store<u32>(slot, 0, S_WAKE);
    store<u32>(slot, 0, S_REFS);
    store<u32>(slot, 0, S_STAGING);
    store<u32>(slot, 0, S_ACKS);
    store<u32>(slot, 0, S_INTR);
    store<u32>(slot, 0, S_PARKED);
    store<u32>(slot, 0, S_SENT);
    store<u32>(slot, 0, S_HELD);
    store<u32>(slot, 0, S_FREEING);
    if (threadPortAttach(slot, tid) != OK) { atomic.store<u32>(slot, 0, S_LIVE); return E_NOMEM; }
    atomic.add<u32>(HEADER + H_THREAD_COUNT, 1);
    atomic.store<u32>(slot, tid, S_LIVE);
    return <i32>tid;
  }
  return E_LIMIT;
}

/** Adopt a registered id as this instance's own (a spawned thread adopts the id its parent registered). */
export function thread_adopt(tid: u32, hostId: u32): i32 {
  if (!isAlive(tid)) return E_INVAL;
  store<u32>(slotOf(tid), hostId, S_HOST_ID);
  setSelf(tid);
  return OK;
}

/**
 * A thread exited or was terminated: it is no longer alive, but its slot is not free until
 * its clean-up is done (markDead). True if it was alive or already dying (a clean-up to
 * finish); false if it was dead already.
 */
export function markDying(tid: u32): bool {
  if (tid == 0 || tid >= DYING) return false;
  const slot = slotOf(tid);
  const was = atomic.cmpxchg<u32>(slot + S_LIVE, tid, tid | DYING);
  if (was == (tid | DYING)) return true;
  if (was != tid) return false;
  // Anyone parked on the thread's wake word (an interrupt, a join) must see it go.
  atomic.add<u32>(slot + S_WAKE, 1);
  atomic.notify(slot + S_WAKE, i32.MAX_VALUE);
  return true;
}

@inline export function isDying(tid: u32): bool { return atomic.load<u32>(slotOf(tid), S_LIVE) == (tid | DYING); }

/** The clean-up of a dying thread is done: free its slot. Under the registry lock. */
export function markDead(tid: u32): void {
  if (atomic.cmpxchg<u32>(slotOf(tid) + S_LIVE, tid | DYING, 0) == (tid | DYING)) atomic.sub<u32>(HEADER + H_THREAD_COUNT, 1);
}

export function thread_alive(tid: u32): i32 { return isAlive(tid) ? 1 : 0; }

/** The address a live thread is parked on now (0: not parked): for tests that must know a waiter sleeps. */
export function thread_parked(tid: u32): u32 { return isAlive(tid) ? atomic.load<u32>(slotOf(tid), S_PARKED) : 0; }

/** This thread's staging block (made on first use; freed when the thread exits), or E_NOMEM. */
export function thread_staging(): i32 {
  const slot = slotOf(selfTid);
  let block = <i32>load<u32>(slot, S_STAGING);
  if (block == 0) {
    block = alloc(STAGING_SIZE, false);
    if (block > 0) store<u32>(slot, <u32>block, S_STAGING);
  }
  return block;
}

/**
 * Free a dead thread's staging block (thread_exit, under the registry lock). The slot's word
 * is cleared in the same stretch as the block is freed (alloc.ts freeClearing), not before the
 * call to free: a thread runs this walk for itself when it exits on its own (process 'exit' →
 * detach), and a terminate() that stopped it at that call left the word 0 and the block live,
 * so the walk resumed by the host's exit handler skipped it and the 64 KiB block leaked (the
 * channel test's rare 'expected 102608 to be 32976', 69632 bytes extra).
 */
export function dropStaging(tid: u32): void {
  const slot = slotOf(tid);
  const block = <usize>load<u32>(slot, S_STAGING);
  if (block != 0) freeClearing(block, slot + S_STAGING);
}
export function thread_count(): u32 { return atomic.load<u32>(HEADER, H_THREAD_COUNT); }
/** The scratch block of a living thread: where its host writes names and small arguments. */
export function thread_scratch(tid: u32): u32 { return isAlive(tid) ? load<u32>(slotOf(tid), S_SCRATCH) : 0; }
export function thread_host_id(tid: u32): u32 { return load<u32>(slotOf(tid), S_HOST_ID); }
/** Id of the thread in slot i if alive, else 0 (ipcs walks 1..MAX_THREADS-1). */
export function thread_at(i: u32): u32 {
  if (i == 0 || i >= MAX_THREADS) return 0;
  const live = atomic.load<u32>(THREADS + <usize>i * THREAD_SLOT, S_LIVE);
  return live == CLAIMING || (live & DYING) != 0 ? 0 : live;
}
export function thread_max(): u32 { return MAX_THREADS; }
