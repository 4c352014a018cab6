// RwLock: many readers or one writer, writer-preferring. A port of Rust std's
// sys/sync/rwlock/futex.rs (before downgrade), with timeouts added.
//
// state (+0): bits 0..29 readers (MASK = write-locked), bit 30 READERS_WAITING, bit 31
// WRITERS_WAITING. writer_notify (+4): a counter writers park on.
//
//   read:  CAS +1 while read-lockable: not write-locked, below the maximum, and nobody is
//          waiting (so a waiting writer holds new readers back); else set READERS_WAITING
//          and park on state
//   write: CAS 0 → MASK; else set WRITERS_WAITING, read writer_notify, park on it
//   read unlock: -1; the last reader wakes a writer if one waits
//   write unlock: -MASK; if anyone waits: wake one writer, or (no writer was parked) all readers
//
// A waiter that gives up (timeout, abort) may leave its waiting bit behind on an unlocked
// lock, where nobody would clear it: it runs the unlock's wake-up itself. A writer that
// gives up after a park also passes a wake-up on to the next writer (it may have had it).
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_PERM } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { spinBriefly, park, deadlineFrom, expired, wake, TIMED_OUT } from './futex';
import { armWait, wait_value } from './local';

const STATE: usize = OBJ_HEADER;
const WRITER_NOTIFY: usize = OBJ_HEADER + 4;
export const RWLOCK_SIZE: usize = OBJ_HEADER + 8;

const READ_LOCKED: u32 = 1;
const MASK: u32 = (1 << 30) - 1;
const WRITE_LOCKED: u32 = MASK;
const MAX_READERS: u32 = MASK - 1;
const READERS_WAITING: u32 = 1 << 30;
const WRITERS_WAITING: u32 = 1 << 31;

@inline function isUnlocked(s: u32): bool { return (s & MASK) == 0; }
@inline function isWriteLocked(s: u32): bool { return (s & MASK) == WRITE_LOCKED; }
@inline function isReadLockable(s: u32): bool {
  return (s & MASK) < MAX_READERS && (s & (READERS_WAITING | WRITERS_WAITING)) == 0;
}

// ---- read ----

function readTry(obj: usize): bool {
  let s = atomic.load<u32>(obj, STATE);
  while (isReadLockable(s)) {
    const seen = atomic.cmpxchg<u32>(obj + STATE, s, s + READ_LOCKED);
    if (seen == s) return true;
    s = seen;
  }
  return false;
}

/** Try, or set READERS_WAITING and arm a park on state. */
function readStep(obj: usize): i32 {
  while (true) {
    const s = atomic.load<u32>(obj, STATE);
    if (isReadLockable(s)) {
      if (atomic.cmpxchg<u32>(obj + STATE, s, s + READ_LOCKED) == s) return OK;
      continue;
    }
    if ((s & READERS_WAITING) == 0 && atomic.cmpxchg<u32>(obj + STATE, s, s | READERS_WAITING) != s) continue;
    return armWait(obj + STATE, <i32>(s | READERS_WAITING));
  }
}

function readUnlock(obj: usize): i32 {
  const s0 = atomic.load<u32>(obj, STATE);
  if (isUnlocked(s0) || isWriteLocked(s0)) return E_PERM;
  const s = atomic.sub<u32>(obj + STATE, READ_LOCKED) - READ_LOCKED;
  if (isUnlocked(s) && (s & WRITERS_WAITING) != 0) wakeWriterOrReaders(obj, s);
  return OK;
}

// ---- write ----

function writeTry(obj: usize): bool {
  let s = atomic.load<u32>(obj, STATE);
  while (isUnlocked(s)) {
    const seen = atomic.cmpxchg<u32>(obj + STATE, s, s + WRITE_LOCKED);
    if (seen == s) return true;
    s = seen;
  }
  return false;
}

/**
 * Try, or set WRITERS_WAITING and arm a park on writer_notify. `waited`: this writer has
 * parked before, so others may be waiting too: keep the bit set when it locks.
 */
function writeStep(obj: usize, waited: bool): i32 {
  const other: u32 = waited ? WRITERS_WAITING : 0;
  while (true) {
    let s = atomic.load<u32>(obj, STATE);
    if (isUnlocked(s)) {
      if (atomic.cmpxchg<u32>(obj + STATE, s, s | WRITE_LOCKED | other) == s) return OK;
      continue;
    }
    if ((s & WRITERS_WAITING) == 0 && atomic.cmpxchg<u32>(obj + STATE, s, s | WRITERS_WAITING) != s) continue;
    // Read the notification counter before re-checking the state: no notification is missed.
    const seq = atomic.load<i32>(obj, WRITER_NOTIFY);
    s = atomic.load<u32>(obj, STATE);
    if (isUnlocked(s) || (s & WRITERS_WAITING) == 0) continue;
    return armWait(obj + WRITER_NOTIFY, seq);
  }
}

function writeUnlock(obj: usize): i32 {
  if (!isWriteLocked(atomic.load<u32>(obj, STATE))) return E_PERM;
  const s = atomic.sub<u32>(obj + STATE, WRITE_LOCKED) - WRITE_LOCKED;
  if ((s & (READERS_WAITING | WRITERS_WAITING)) != 0) wakeWriterOrReaders(obj, s);
  return OK;
}

// ---- wake-ups ----

/** True if a writer parked on writer_notify was woken. */
function wakeWriter(obj: usize): bool {
  atomic.add<i32>(obj + WRITER_NOTIFY, 1);
  return wake(obj + WRITER_NOTIFY, 1) > 0;
}

/** After an unlock: wake one writer if any waits, else all readers. */
function wakeWriterOrReaders(obj: usize, s: u32): void {
  if (!isUnlocked(s)) return;
  if (s == WRITERS_WAITING) {
    const seen = atomic.cmpxchg<u32>(obj + STATE, s, 0);
    if (seen == s) { wakeWriter(obj); return; }
    s = seen;
  }
  if (s == (READERS_WAITING | WRITERS_WAITING)) {
    if (atomic.cmpxchg<u32>(obj + STATE, s, READERS_WAITING) != s) return;  // locked meanwhile
    if (wakeWriter(obj)) return;
    s = READERS_WAITING;  // no writer was parked: let the readers go
  }
  if (s == READERS_WAITING && atomic.cmpxchg<u32>(obj + STATE, s, 0) == s) wake(obj + STATE, i32.MAX_VALUE);
}

/** A waiter gave up: if the lock is free with waiting bits set, nobody else will clear them. */
function giveUp(obj: usize): void {
  const s = atomic.load<u32>(obj, STATE);
  if (isUnlocked(s) && (s & (READERS_WAITING | WRITERS_WAITING)) != 0) wakeWriterOrReaders(obj, s);
}

/**
 * A parked waiter's time ran out. One last try (a writer keeps WRITERS_WAITING set: others
 * may wait); else leave. A writer may have consumed the one wake-up meant for the writers
 * (the unlock cleared the bit and woke only it), so it passes a wake on before it goes.
 */
function timedOut(obj: usize, write: bool): i32 {
  if (write) {
    let s = atomic.load<u32>(obj, STATE);
    while (isUnlocked(s)) {
      const seen = atomic.cmpxchg<u32>(obj + STATE, s, s | WRITE_LOCKED | WRITERS_WAITING);
      if (seen == s) return OK;
      s = seen;
    }
    wakeWriter(obj);
  } else if (readTry(obj)) return OK;
  giveUp(obj);
  return E_TIMEOUT;
}

function lockBlocking(obj: usize, write: bool, deadline: f64): i32 {
  if (write ? writeTry(obj) : readTry(obj)) return OK;
  const s = atomic.load<u32>(obj, STATE);
  if (spinBriefly(obj + STATE, <i32>s) && (write ? writeTry(obj) : readTry(obj))) return OK;
  let waited = false;
  while (true) {
    if (objRemoved(obj)) { giveUp(obj); return E_CLOSED; }
    const rc = write ? writeStep(obj, waited) : readStep(obj);
    if (rc != E_AGAIN) return rc;
    const addr = write ? obj + WRITER_NOTIFY : obj + STATE;
    if (park(addr, wait_value(), deadline, false) == TIMED_OUT || expired(deadline)) return timedOut(obj, write);
    waited = true;
  }
}

// ---- ABI ----

export function rw_read(obj: usize, timeoutMs: f64): i32 { return objRemoved(obj) ? E_CLOSED : lockBlocking(obj, false, deadlineFrom(timeoutMs)); }
export function rw_write(obj: usize, timeoutMs: f64): i32 { return objRemoved(obj) ? E_CLOSED : lockBlocking(obj, true, deadlineFrom(timeoutMs)); }
export function rw_try_read(obj: usize): i32 { return objRemoved(obj) ? E_CLOSED : readTry(obj) ? OK : E_AGAIN; }
export function rw_try_write(obj: usize): i32 { return objRemoved(obj) ? E_CLOSED : writeTry(obj) ? OK : E_AGAIN; }
/** Async steps: OK, or E_AGAIN armed (park on wait_addr/wait_value, then step again with waited = 1). */
export function rw_read_step(obj: usize): i32 { return objRemoved(obj) ? E_CLOSED : readStep(obj); }
export function rw_write_step(obj: usize, waited: i32): i32 { return objRemoved(obj) ? E_CLOSED : writeStep(obj, waited != 0); }
/** Async: a waiter's time ran out (or it was aborted): OK if it got the lock after all. */
export function rw_timed_out(obj: usize, write: i32): i32 { return timedOut(obj, write != 0); }
export function rw_read_unlock(obj: usize): i32 { return readUnlock(obj); }
export function rw_write_unlock(obj: usize): i32 { return writeUnlock(obj); }

export function rwWakeAll(obj: usize): void {
  atomic.add<i32>(obj + WRITER_NOTIFY, 1);
  wake(obj + WRITER_NOTIFY, i32.MAX_VALUE);
  wake(obj + STATE, i32.MAX_VALUE);
}

/** ipcs: [readers, writer (1/0), readers waiting, writers waiting] */
export function rwSummary(obj: usize, out: usize): void {
  const s = atomic.load<u32>(obj, STATE);
  store<u32>(out, isWriteLocked(s) ? 0 : s & MASK);
  store<u32>(out, isWriteLocked(s) ? 1 : 0, 4);
  store<u32>(out, (s & READERS_WAITING) ? 1 : 0, 8);
  store<u32>(out, (s & WRITERS_WAITING) ? 1 : 0, 12);
}
