// Semaphore: counting, with binary as max 1. Weak (barging allowed) or strong (fair:
// permits granted strictly in request order; a large request at the head holds back
// later small ones, as tokio's Semaphore does).
//
// Fields after the object header:
//   +0 count  +4 max  +8 fair  +12 waiters (weak)  +16 big waiters (weak: need > 1)
//   +20 lock (fair: internal lock)  +24 head  +28 tail   (fair: FIFO of waiter nodes)
//
// Weak:
//   acquire(n): CAS count → count - n while count >= n                           fast path
//   else: waiters++ (and big++ if n > 1), re-check, park on count; waiters-- when done
//   release(n): count += n (refused past max); if waiters: wake n, or all if a waiter
//   needs more than one (it might be the only one a release can satisfy)
//   A waiter that gives up passes a wake on: it may have consumed one.
//
// Strong: all state under the internal lock.
//   acquire(n): queue empty and count >= n → take                               fast path
//   else enqueue a node [next][need][granted][tid] and park on node.granted
//   release(n): count += n; then while the head's need <= count: count -= need, pop it,
//   granted = 1, wake it. The permits are handed over: nobody can barge in between.
//   give up: if granted meanwhile, it has them; else unlink (re-granting if it was the head)
//   a dead thread's nodes are unlinked (kindOnThreadDeath); removal grants CLOSED to all.
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_INVAL, E_NOMEM } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { spinWhile, spinBriefly, park, deadlineFrom, expired, wake, TIMED_OUT } from './futex';
import { lockAcquire, lockRelease } from './lock';
import { alloc, free } from './alloc';
import { selfTid, armWait, wait_value } from './local';

const F_COUNT: usize = OBJ_HEADER;
const F_MAX: usize = OBJ_HEADER + 4;
const F_FAIR: usize = OBJ_HEADER + 8;
const F_WAITERS: usize = OBJ_HEADER + 12;
const F_BIG: usize = OBJ_HEADER + 16;
const F_LOCK: usize = OBJ_HEADER + 20;
const F_HEAD: usize = OBJ_HEADER + 24;
const F_TAIL: usize = OBJ_HEADER + 28;
export const SEM_SIZE: usize = OBJ_HEADER + 32;

const N_NEXT: usize = 0;
const N_NEED: usize = 4;
const N_GRANTED: usize = 8;
const N_TID: usize = 12;
const WAITING: i32 = 0;
const GRANTED: i32 = 1;
const CLOSED: i32 = 2;

export function semInit(obj: usize, initial: u32, max: u32, fair: u32): i32 {
  if (max == 0 || max > 0x7fffffff || initial > max) return E_INVAL;
  store<i32>(obj, <i32>initial, F_COUNT);
  store<i32>(obj, <i32>max, F_MAX);
  store<u32>(obj, fair != 0 ? 1 : 0, F_FAIR);
  return OK;
}

@inline function isFair(obj: usize): bool { return load<u32>(obj, F_FAIR) != 0; }

// ---- weak ----

function weakTry(obj: usize, n: i32): bool {
  let c = atomic.load<i32>(obj, F_COUNT);
  while (c >= n) {
    const seen = atomic.cmpxchg<i32>(obj + F_COUNT, c, c - n);
    if (seen == c) return true;
    c = seen;
  }
  return false;
}

function weakRegister(obj: usize, n: i32, delta: i32): void {
  atomic.add<i32>(obj + F_WAITERS, delta);
  if (n > 1) atomic.add<i32>(obj + F_BIG, delta);
}

/** Registered waiter's step: OK when acquired (unregistered), else E_AGAIN armed on count. */
function weakStep(obj: usize, n: i32): i32 {
  while (true) {
    const c = atomic.load<i32>(obj, F_COUNT);
    if (c < n) return armWait(obj + F_COUNT, c);
    if (atomic.cmpxchg<i32>(obj + F_COUNT, c, c - n) == c) { weakRegister(obj, n, -1); return OK; }
  }
}

function weakGiveUp(obj: usize, n: i32): void {
  weakRegister(obj, n, -1);
  if (atomic.load<i32>(obj, F_COUNT) > 0) wake(obj + F_COUNT, 1);
}

// ---- strong ----

/** Under the lock: hand permits to the queue's head while it can be satisfied. */
function grant(obj: usize): void {
  let head = <usize>load<u32>(obj, F_HEAD);
  let count = load<i32>(obj, F_COUNT);
  while (head != 0) {
    const need = load<i32>(head, N_NEED);
    if (need > count) break;
    count -= need;
    const next = <usize>load<u32>(head, N_NEXT);
    store<u32>(obj, <u32>next, F_HEAD);
    if (next == 0) store<u32>(obj, 0, F_TAIL);
    atomic.store<i32>(head, GRANTED, N_GRANTED);
    wake(head + N_GRANTED, 1);
    head = next;
  }
  atomic.store<i32>(obj, count, F_COUNT);
}

/** Unlink a node from the queue (under the lock). True if it was the head. */
function unlinkNode(obj: usize, node: usize): bool {
  let prev: usize = 0;
  let cur = <usize>load<u32>(obj, F_HEAD);
  while (cur != 0 && cur != node) { prev = cur; cur = <usize>load<u32>(cur, N_NEXT); }
  if (cur == 0) return false;
  const next = load<u32>(node, N_NEXT);
  if (prev == 0) store<u32>(obj, next, F_HEAD); else store<u32>(prev, next, N_NEXT);
  if (<usize>load<u32>(obj, F_TAIL) == node) store<u32>(obj, <u32>prev, F_TAIL);
  return prev == 0;
}

/** Take n now, or (queue) enqueue a node. Returns OK, E_AGAIN (not queued), a node (> 0), or E_NOMEM. */
function fairBegin(obj: usize, n: i32, queue: bool): i32 {
  lockAcquire(obj + F_LOCK);
  if (load<u32>(obj, F_HEAD) == 0 && load<i32>(obj, F_COUNT) >= n) {
    store<i32>(obj, load<i32>(obj, F_COUNT) - n, F_COUNT);
    lockRelease(obj + F_LOCK);
    return OK;
  }
  if (!queue) { lockRelease(obj + F_LOCK); return E_AGAIN; }
  const node = alloc(16, false);
  if (node < 0) { lockRelease(obj + F_LOCK); return E_NOMEM; }
  store<u32>(node, 0, N_NEXT);
  store<i32>(node, n, N_NEED);
  atomic.store<i32>(node, WAITING, N_GRANTED);
  store<u32>(node, selfTid, N_TID);
  const tail = <usize>load<u32>(obj, F_TAIL);
  if (tail == 0) store<u32>(obj, <u32>node, F_HEAD); else store<u32>(tail, <u32>node, N_NEXT);
  store<u32>(obj, <u32>node, F_TAIL);
  lockRelease(obj + F_LOCK);
  return node;
}

/** A queued node's step: OK (granted; node freed), E_CLOSED (freed), or E_AGAIN armed. */
function nodeStep(node: usize): i32 {
  const g = atomic.load<i32>(node, N_GRANTED);
  if (g == WAITING) return armWait(node + N_GRANTED, WAITING);
  free(node);
  return g == GRANTED ? OK : E_CLOSED;
}

/** Leave the queue: OK if the permits were granted meanwhile (they are the caller's). */
function fairGiveUp(obj: usize, node: usize): i32 {
  lockAcquire(obj + F_LOCK);
  const g = atomic.load<i32>(node, N_GRANTED);
  if (g == WAITING && unlinkNode(obj, node)) grant(obj);
  lockRelease(obj + F_LOCK);
  free(node);
  return g == GRANTED ? OK : g == CLOSED ? E_CLOSED : E_TIMEOUT;
}

// ---- both ----

function release(obj: usize, n: i32): i32 {
  const max = load<i32>(obj, F_MAX);
  if (isFair(obj)) {
    lockAcquire(obj + F_LOCK);
    const c = load<i32>(obj, F_COUNT);
    if (n > max - c) { lockRelease(obj + F_LOCK); return E_INVAL; }
    store<i32>(obj, c + n, F_COUNT);
    grant(obj);
    lockRelease(obj + F_LOCK);
    return OK;
  }
  let c = atomic.load<i32>(obj, F_COUNT);
  while (true) {
    if (n > max - c) return E_INVAL;
    const seen = atomic.cmpxchg<i32>(obj + F_COUNT, c, c + n);
    if (seen == c) break;
    c = seen;
  }
  if (atomic.load<i32>(obj, F_WAITERS) > 0) {
    wake(obj + F_COUNT, atomic.load<i32>(obj, F_BIG) > 0 ? i32.MAX_VALUE : n);
  }
  return OK;
}

function acquire(obj: usize, n: i32, deadline: f64): i32 {
  if (isFair(obj)) {
    const begun = fairBegin(obj, n, true);
    if (begun <= 0) return begun;
    const node = <usize>begun;
    while (true) {
      if (spinWhile(node + N_GRANTED, WAITING) == false) {
        if (park(node + N_GRANTED, WAITING, deadline) == TIMED_OUT || expired(deadline)) {
          if (atomic.load<i32>(node, N_GRANTED) == WAITING) return fairGiveUp(obj, node);
        }
      }
      const rc = nodeStep(node);
      if (rc != E_AGAIN) return rc;
    }
  }
  if (weakTry(obj, n)) return OK;
  const c = atomic.load<i32>(obj, F_COUNT);
  if (spinBriefly(obj + F_COUNT, c) && weakTry(obj, n)) return OK;
  weakRegister(obj, n, 1);
  while (true) {
    if (objRemoved(obj)) { weakGiveUp(obj, n); return E_CLOSED; }
    if (weakStep(obj, n) == OK) return OK;
    if (park(obj + F_COUNT, wait_value(), deadline, false) == TIMED_OUT || expired(deadline)) {
      if (weakTry(obj, n)) { weakRegister(obj, n, -1); return OK; }
      weakGiveUp(obj, n);
      return E_TIMEOUT;
    }
  }
}

export function semOnDeath(obj: usize, tid: u32): void {
  if (!isFair(obj)) return;
  lockAcquire(obj + F_LOCK);
  let node = <usize>load<u32>(obj, F_HEAD);
  let changed = false;
  while (node != 0) {
    const next = <usize>load<u32>(node, N_NEXT);
    if (load<u32>(node, N_TID) == tid) { unlinkNode(obj, node); free(node); changed = true; }
    node = next;
  }
  if (changed) grant(obj);
  lockRelease(obj + F_LOCK);
}

export function semOnRemove(obj: usize): void {
  if (isFair(obj)) {
    lockAcquire(obj + F_LOCK);
    let node = <usize>load<u32>(obj, F_HEAD);
    store<u32>(obj, 0, F_HEAD);
    store<u32>(obj, 0, F_TAIL);
    while (node != 0) {
      const next = <usize>load<u32>(node, N_NEXT);
      atomic.store<i32>(node, CLOSED, N_GRANTED);
      wake(node + N_GRANTED, 1);
      node = next;
    }
    lockRelease(obj + F_LOCK);
  }
  wake(obj + F_COUNT, i32.MAX_VALUE);
}

/** ipcs: [count, max, waiters, fair] */
export function semSummary(obj: usize, out: usize): void {
  store<i32>(out, atomic.load<i32>(obj, F_COUNT));
  store<i32>(out, load<i32>(obj, F_MAX), 4);
  let waiters = atomic.load<i32>(obj, F_WAITERS);
  if (isFair(obj)) {
    waiters = 0;
    for (let n = <usize>atomic.load<u32>(obj, F_HEAD); n != 0 && waiters < 1 << 20; n = <usize>atomic.load<u32>(n, N_NEXT)) waiters++;
  }
  store<i32>(out, waiters, 8);
  store<u32>(out, load<u32>(obj, F_FAIR), 12);
}

// ---- ABI ----

@inline function badCount(obj: usize, n: i32): bool { return n <= 0 || n > load<i32>(obj, F_MAX); }

/** Blocking acquire of n permits with a timeout (ms, < 0 none). */
export function sem_acquire(obj: usize, n: i32, timeoutMs: f64): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (badCount(obj, n)) return E_INVAL;
  return acquire(obj, n, deadlineFrom(timeoutMs));
}

/** Try to acquire n permits: OK or E_AGAIN (a strong semaphore refuses while others queue). */
export function sem_try(obj: usize, n: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (badCount(obj, n)) return E_INVAL;
  if (isFair(obj)) return fairBegin(obj, n, false);
  return weakTry(obj, n) ? OK : E_AGAIN;
}

/**
 * Async acquire, first step: OK (acquired) or a waiter token (> 0) to pass to sem_step
 * until it returns OK; E_AGAIN from sem_step is armed (park on wait_addr/wait_value).
 */
export function sem_begin(obj: usize, n: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (badCount(obj, n)) return E_INVAL;
  if (isFair(obj)) return fairBegin(obj, n, true);
  if (weakTry(obj, n)) return OK;
  weakRegister(obj, n, 1);
  return 1; // a registered weak waiter: token 1
}

export function sem_step(obj: usize, n: i32, token: usize): i32 {
  if (isFair(obj)) return nodeStep(token);
  if (objRemoved(obj)) { weakGiveUp(obj, n); return E_CLOSED; }
  return weakStep(obj, n);
}

/** Abandon an async acquire (timeout, abort). OK if the permits were granted meanwhile (keep them). */
export function sem_give_up(obj: usize, n: i32, token: usize): i32 {
  if (isFair(obj)) return fairGiveUp(obj, token);
  weakGiveUp(obj, n);
  return E_TIMEOUT;
}

/** Release n permits; E_INVAL (nothing changes) past max. */
export function sem_release(obj: usize, n: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (n <= 0) return E_INVAL;
  return release(obj, n);
}

export function sem_value(obj: usize): i32 { return atomic.load<i32>(obj, F_COUNT); }
export function sem_max(obj: usize): i32 { return load<i32>(obj, F_MAX); }
export function sem_is_fair(obj: usize): i32 { return isFair(obj) ? 1 : 0; }
