// Semaphore: counting, with binary as max 1. Weak (barging allowed) or strong (fair:
// permits granted strictly in request order; a large request at the head holds back
// later small ones, as tokio's Semaphore does).
//
// Fields after the object header:
//   +0 count  +4 max  +8 fair  +12 waiters (weak)  +16 big waiters (weak: need > 1)
//   +20 lock (fair: internal lock)  +24 head  +28 tail  +32 length   (fair: FIFO of waiter nodes)
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
//
// Containment (guard.ts): count, max and mode are checked against each other at every
// operation's entry (valid). Nodes are heap blocks tagged as the semaphore's: every node
// pointer read from the fields or from a node (head, tail, next, an async waiter's token) must
// be one, and a queued node must be WAITING with a need in 1..max, before it is read or
// written; walks are bounded by the queue's kept length (and a node granted in a walk is no
// longer WAITING, so a cycle ends there). A node whose queue fails the checks is leaked, not
// freed while it may still be linked. The internal lock is bounded (lockAcquireObj).
import { OK, E_AGAIN, E_TIMEOUT, E_CLOSED, E_INVAL, E_NOMEM, E_CORRUPT } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { spinWhile, spinBriefly, park, deadlineFrom, expired, wake, TIMED_OUT } from './futex';
import { lockAcquireObj, lockRelease } from './lock';
import { allocOwned, free } from './alloc';
import { ownedBlock } from './guard';
import { selfTid, armWait, wait_value } from './local';

const F_COUNT: usize = OBJ_HEADER;
const F_MAX: usize = OBJ_HEADER + 4;
const F_FAIR: usize = OBJ_HEADER + 8;
const F_WAITERS: usize = OBJ_HEADER + 12;
const F_BIG: usize = OBJ_HEADER + 16;
const F_LOCK: usize = OBJ_HEADER + 20;
const F_HEAD: usize = OBJ_HEADER + 24;
const F_TAIL: usize = OBJ_HEADER + 28;
const F_QLEN: usize = OBJ_HEADER + 32;
export const SEM_SIZE: usize = OBJ_HEADER + 40;

const N_NEXT: usize = 0;
const N_NEED: usize = 4;
const N_GRANTED: usize = 8;
const N_TID: usize = 12;
const NODE_SIZE: usize = 16;
/** sem_begin's token for a registered weak waiter (a node's offset is 8-aligned: never 1). */
const WEAK_TOKEN: usize = 1;
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

/** Count within 0..max, max positive, the mode 0 or 1 (guard.ts). */
@inline function valid(obj: usize): bool {
  const max = load<i32>(obj, F_MAX);
  const c = atomic.load<i32>(obj, F_COUNT);
  return max > 0 && c >= 0 && c <= max && load<u32>(obj, F_FAIR) <= 1;
}

/** p is a node block of this semaphore's (guard.ts). */
@inline function isNode(obj: usize, p: usize): bool { return ownedBlock(p, obj, NODE_SIZE); }

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

/**
 * Under the lock: hand permits to the queue's head while it can be satisfied. OK, or
 * E_CORRUPT when a queued node fails the checks (the queue is left from it on).
 */
function grant(obj: usize): i32 {
  const max = load<i32>(obj, F_MAX);
  let head = <usize>load<u32>(obj, F_HEAD);
  let count = load<i32>(obj, F_COUNT);
  let queued = load<u32>(obj, F_QLEN);
  let rc = OK;
  while (head != 0) {
    if (queued == 0 || !isNode(obj, head) || atomic.load<i32>(head, N_GRANTED) != WAITING) { rc = E_CORRUPT; break; }
    const need = load<i32>(head, N_NEED);
    if (need <= 0 || need > max) { rc = E_CORRUPT; break; }
    if (need > count) break;
    const next = <usize>load<u32>(head, N_NEXT);
    if (next != 0 && !isNode(obj, next)) { rc = E_CORRUPT; break; }
    count -= need;
    queued--;
    store<u32>(obj, <u32>next, F_HEAD);
    if (next == 0) store<u32>(obj, 0, F_TAIL);
    atomic.store<i32>(obj, count, F_COUNT);   // before the grant: the woken thread must not read its permits as free
    atomic.store<i32>(head, GRANTED, N_GRANTED);
    wake(head + N_GRANTED, 1);
    head = next;
  }
  store<u32>(obj, queued, F_QLEN);
  atomic.store<i32>(obj, count, F_COUNT);
  return rc;
}

const UNLINKED_HEAD: i32 = 1;
const UNLINKED: i32 = 0;
/** Unlink a node of ours from the queue (under the lock): UNLINKED_HEAD, UNLINKED, E_AGAIN (not in it), E_CORRUPT. */
function unlinkNode(obj: usize, node: usize): i32 {
  const queued = load<u32>(obj, F_QLEN);
  let prev: usize = 0;
  let cur = <usize>load<u32>(obj, F_HEAD);
  for (let i: u32 = 0; cur != node; i++) {
    if (cur == 0) return E_AGAIN;
    if (i >= queued || !isNode(obj, cur)) return E_CORRUPT;
    prev = cur;
    cur = <usize>load<u32>(cur, N_NEXT);
  }
  const next = <usize>load<u32>(node, N_NEXT);
  if (queued == 0 || (next != 0 && !isNode(obj, next))) return E_CORRUPT;
  if (prev == 0) store<u32>(obj, <u32>next, F_HEAD); else store<u32>(prev, <u32>next, N_NEXT);
  if (<usize>load<u32>(obj, F_TAIL) == node) store<u32>(obj, <u32>prev, F_TAIL);
  store<u32>(obj, queued - 1, F_QLEN);
  return prev == 0 ? UNLINKED_HEAD : UNLINKED;
}

/**
 * Take n now, or (queue) enqueue a node. Returns OK, E_AGAIN (not queued), a node (> 0),
 * E_NOMEM, E_TIMEOUT (the internal lock, at the deadline) or E_CORRUPT.
 */
function fairBegin(obj: usize, n: i32, queue: bool, deadline: f64): i32 {
  const locked = lockAcquireObj(obj + F_LOCK, deadline);
  if (locked != OK) return locked;
  const head = <usize>load<u32>(obj, F_HEAD);
  if (head == 0 && load<i32>(obj, F_COUNT) >= n) {
    store<i32>(obj, load<i32>(obj, F_COUNT) - n, F_COUNT);
    lockRelease(obj + F_LOCK);
    return OK;
  }
  if (!queue) { lockRelease(obj + F_LOCK); return E_AGAIN; }
  // The tail is linked to: it must be our last node (and the queue empty exactly when it is 0).
  const tail = <usize>load<u32>(obj, F_TAIL);
  const queued = load<u32>(obj, F_QLEN);
  if ((head == 0) != (tail == 0) || (tail == 0) != (queued == 0) || (tail != 0 && (!isNode(obj, tail) || load<u32>(tail, N_NEXT) != 0))) {
    lockRelease(obj + F_LOCK);
    return E_CORRUPT;
  }
  const node = allocOwned(NODE_SIZE, false, obj);
  if (node < 0) { lockRelease(obj + F_LOCK); return E_NOMEM; }
  store<u32>(node, 0, N_NEXT);
  store<i32>(node, n, N_NEED);
  atomic.store<i32>(node, WAITING, N_GRANTED);
  store<u32>(node, selfTid, N_TID);
  if (tail == 0) store<u32>(obj, <u32>node, F_HEAD); else store<u32>(tail, <u32>node, N_NEXT);
  store<u32>(obj, <u32>node, F_TAIL);
  store<u32>(obj, queued + 1, F_QLEN);
  lockRelease(obj + F_LOCK);
  return node;
}

/**
 * A queued node's step: OK (granted; node freed), E_CLOSED (freed), or E_AGAIN armed;
 * E_CORRUPT for a token that is not a node of ours, or a state no step writes (leaked).
 */
function nodeStep(obj: usize, node: usize): i32 {
  if (!isNode(obj, node)) return E_CORRUPT;
  const g = atomic.load<i32>(node, N_GRANTED);
  if (g == WAITING) return armWait(node + N_GRANTED, WAITING);
  if (g != GRANTED && g != CLOSED) return E_CORRUPT;
  free(node);
  return g == GRANTED ? OK : E_CLOSED;
}

/**
 * Leave the queue: OK if the permits were granted meanwhile (they are the caller's),
 * E_CLOSED, E_TIMEOUT, or E_CORRUPT (the node is freed only once it is out of the queue).
 */
function fairGiveUp(obj: usize, node: usize): i32 {
  if (!isNode(obj, node)) return E_CORRUPT;
  const locked = lockAcquireObj(obj + F_LOCK, -1);
  if (locked != OK) return locked;                   // (the node may still be queued: leaked)
  const g = atomic.load<i32>(node, N_GRANTED);
  let rc = g == GRANTED ? OK : g == CLOSED ? E_CLOSED : E_TIMEOUT;
  let out = g == GRANTED || g == CLOSED;             // no longer in the queue: ours to free
  if (g == WAITING) {
    const u = unlinkNode(obj, node);
    if (u == UNLINKED_HEAD) { out = true; if (grant(obj) != OK) rc = E_CORRUPT; }
    else if (u == UNLINKED) out = true;
    else { out = u == E_AGAIN; rc = E_CORRUPT; }     // a waiting node the queue lost: unreachable, freed
  } else if (!out) rc = E_CORRUPT;
  lockRelease(obj + F_LOCK);
  if (out) free(node);
  return rc;
}

// ---- both ----

function release(obj: usize, n: i32): i32 {
  const max = load<i32>(obj, F_MAX);
  if (isFair(obj)) {
    const locked = lockAcquireObj(obj + F_LOCK, -1);
    if (locked != OK) return locked;
    const c = load<i32>(obj, F_COUNT);
    if (c < 0 || c > max) { lockRelease(obj + F_LOCK); return E_CORRUPT; }
    if (n > max - c) { lockRelease(obj + F_LOCK); return E_INVAL; }
    store<i32>(obj, c + n, F_COUNT);
    const rc = grant(obj);
    lockRelease(obj + F_LOCK);
    return rc;
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
    const begun = fairBegin(obj, n, true, deadline);
    if (begun <= 0) return begun;
    const node = <usize>begun;
    while (true) {
      if (spinWhile(node + N_GRANTED, WAITING) == false) {
        if (park(node + N_GRANTED, WAITING, deadline) == TIMED_OUT || expired(deadline)) {
          if (atomic.load<i32>(node, N_GRANTED) == WAITING) return fairGiveUp(obj, node);
        }
      }
      const rc = nodeStep(obj, node);
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

/** A dead thread's queued nodes go (one walk, bounded and checked: it stops at a node that fails). */
export function semOnDeath(obj: usize, tid: u32): void {
  if (!isFair(obj) || lockAcquireObj(obj + F_LOCK, -1) != OK) return;
  let queued = load<u32>(obj, F_QLEN);
  let prev: usize = 0;
  let node = <usize>load<u32>(obj, F_HEAD);
  let changed = false;
  for (let i = queued; node != 0 && i > 0 && isNode(obj, node); i--) {
    const next = <usize>load<u32>(node, N_NEXT);
    if (next != 0 && !isNode(obj, next)) break;
    if (load<u32>(node, N_TID) == tid && atomic.load<i32>(node, N_GRANTED) == WAITING) {
      if (prev == 0) store<u32>(obj, <u32>next, F_HEAD); else store<u32>(prev, <u32>next, N_NEXT);
      if (<usize>load<u32>(obj, F_TAIL) == node) store<u32>(obj, <u32>prev, F_TAIL);
      store<u32>(obj, --queued, F_QLEN);
      free(node);
      changed = true;
    } else prev = node;
    node = next;
  }
  if (changed) grant(obj);
  lockRelease(obj + F_LOCK);
}

export function semOnRemove(obj: usize): void {
  if (isFair(obj) && lockAcquireObj(obj + F_LOCK, -1) == OK) {
    let node = <usize>load<u32>(obj, F_HEAD);
    const queued = load<u32>(obj, F_QLEN);
    store<u32>(obj, 0, F_HEAD);
    store<u32>(obj, 0, F_TAIL);
    store<u32>(obj, 0, F_QLEN);
    // (a node past one that fails the checks is not reached: its waiter times out)
    for (let i = queued; node != 0 && i > 0 && isNode(obj, node) && atomic.load<i32>(node, N_GRANTED) == WAITING; i--) {
      const next = <usize>load<u32>(node, N_NEXT);
      atomic.store<i32>(node, CLOSED, N_GRANTED);
      wake(node + N_GRANTED, 1);
      node = next;
    }
    lockRelease(obj + F_LOCK);
  }
  wake(obj + F_COUNT, i32.MAX_VALUE);
}

/** ipcs: [count, max, waiters, fair]; -1 in every word when corrupted. */
export function semSummary(obj: usize, out: usize): void {
  if (!valid(obj)) { memory.fill(out, 0xff, 16); return; }
  store<i32>(out, atomic.load<i32>(obj, F_COUNT));
  store<i32>(out, load<i32>(obj, F_MAX), 4);
  store<i32>(out, isFair(obj) ? <i32>load<u32>(obj, F_QLEN) : atomic.load<i32>(obj, F_WAITERS), 8);
  store<u32>(out, load<u32>(obj, F_FAIR), 12);
}

// ---- ABI ----

@inline function badCount(obj: usize, n: i32): bool { return n <= 0 || n > load<i32>(obj, F_MAX); }

/** Blocking acquire of n permits with a timeout (ms, < 0 none). */
export function sem_acquire(obj: usize, n: i32, timeoutMs: f64): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  if (badCount(obj, n)) return E_INVAL;
  return acquire(obj, n, deadlineFrom(timeoutMs));
}

/** Try to acquire n permits: OK or E_AGAIN (a strong semaphore refuses while others queue). */
export function sem_try(obj: usize, n: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  if (badCount(obj, n)) return E_INVAL;
  if (isFair(obj)) return fairBegin(obj, n, false, -1);
  return weakTry(obj, n) ? OK : E_AGAIN;
}

/**
 * Async acquire, first step: OK (acquired) or a waiter token (> 0) to pass to sem_step
 * until it returns OK; E_AGAIN from sem_step is armed (park on wait_addr/wait_value).
 */
export function sem_begin(obj: usize, n: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  if (badCount(obj, n)) return E_INVAL;
  if (isFair(obj)) return fairBegin(obj, n, true, -1);
  if (weakTry(obj, n)) return OK;
  weakRegister(obj, n, 1);
  return <i32>WEAK_TOKEN; // a registered weak waiter
}

// The token says which kind of waiter began (not the mode field, which could change under it).
export function sem_step(obj: usize, n: i32, token: usize): i32 {
  if (token != WEAK_TOKEN) return nodeStep(obj, token);
  if (objRemoved(obj)) { weakGiveUp(obj, n); return E_CLOSED; }
  return weakStep(obj, n);
}

/** Abandon an async acquire (timeout, abort). OK if the permits were granted meanwhile (keep them). */
export function sem_give_up(obj: usize, n: i32, token: usize): i32 {
  if (token != WEAK_TOKEN) return fairGiveUp(obj, token);
  weakGiveUp(obj, n);
  return E_TIMEOUT;
}

/** Release n permits; E_INVAL (nothing changes) past max. */
export function sem_release(obj: usize, n: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (!valid(obj)) return E_CORRUPT;
  if (n <= 0) return E_INVAL;
  return release(obj, n);
}

export function sem_value(obj: usize): i32 { return atomic.load<i32>(obj, F_COUNT); }
/** Max, or E_CORRUPT (the host bounds its argument checks with it). */
export function sem_max(obj: usize): i32 { return valid(obj) ? load<i32>(obj, F_MAX) : E_CORRUPT; }
export function sem_is_fair(obj: usize): i32 { return isFair(obj) ? 1 : 0; }
