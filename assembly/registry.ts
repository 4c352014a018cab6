// The registry of named objects: name -> (kind, object), refcounted, removable (ipcrm),
// listable (ipcs). A hash table of NBUCKETS chains in the header, under the internal lock:
// opening is not a hot path, and one lock makes create-or-open trivially exactly-once.
//
//   absent ──open(CREATE): alloc, init, link, refs = 1──▶ named
//   named ──open──▶ refs + 1          named ──close──▶ refs - 1 (it persists at 0, like shm)
//   named ──remove──▶ unlinked, object REMOVED, kind wakes its waiters ──last close──▶ freed
//   named ──unlink (mq_unlink)──▶ anonymous: the name is free, open handles keep working
//   anonymous (created unnamed, handed around as a handle) ──last close──▶ freed
//
// References are counted per thread too: each thread's slot heads a list of records
// [next][entry][count], so that a thread's death drops exactly the references it held
// (a terminated worker cannot close its handles).
//
// Entry (heap block): +0 next +4 kind +8 obj +12 size +16 refs +20 serial +24 hash
//                     +28 nameLen +32 name bytes
import { OK, E_INVAL, E_KIND, E_EXISTS, E_NOT_FOUND, E_NOMEM, E_CLOSED } from './status';
import { HEADER, H_REG_LOCK, H_REG_SERIAL, H_REG_COUNT, REG_BUCKETS, NBUCKETS } from './layout';
import { alloc, free, freeUnlinking } from './alloc';
import { lockAcquire, lockRelease } from './lock';
import { OBJ_HEADER, O_KIND, O_SERIAL, O_STATE, O_ENTRY, LIVE, REMOVED } from './object';
import { kindSize, kindInit, kindSummary, kindOnRemove, kindOnThreadDeath, kindOnDestroy, KIND_MAX } from './kinds';
import { markDying, isDying, markDead, dropStaging } from './threads';
import { slotOf, S_REFS } from './slots';
import { selfTid } from './local';
import { receiptsOnDeath, heldOnDeath } from './receipt';
import { portOnDeath, threadPort } from './port';

export const NAME_MAX: u32 = 255;
export const F_CREATE: u32 = 1;
export const F_EXCL: u32 = 2;

const E_NEXT: usize = 0;
const E_KIND_: usize = 4;
const E_OBJ: usize = 8;
const E_SIZE: usize = 12;
const E_REFS: usize = 16;
const E_SERIAL: usize = 20;
const E_HASH: usize = 24;
const E_NAMELEN: usize = 28;
const E_NAME: usize = 32;

const LOCK: usize = HEADER + H_REG_LOCK;

/** Whether the last reg_open of this thread created the object (thread-local). */
let lastCreated: bool = false;

function hashName(p: usize, n: u32): u32 {
  let h: u32 = 2166136261;
  for (let i: u32 = 0; i < n; i++) h = (h ^ <u32>load<u8>(p + i)) * 16777619;
  return h;
}

@inline function bucketOf(hash: u32): usize { return REG_BUCKETS + (<usize>hash & (NBUCKETS - 1)) * 4; }
@inline function anonHash(obj: usize): u32 { return <u32>(obj >> 4); }

function nameEq(entry: usize, p: usize, n: u32, h: u32): bool {
  if (load<u32>(entry, E_HASH) != h || load<u32>(entry, E_NAMELEN) != n) return false;
  return memory.compare(entry + E_NAME, p, n) == 0;
}

function find(p: usize, n: u32, h: u32): usize {
  let e = <usize>load<u32>(bucketOf(h));
  while (e != 0 && !nameEq(e, p, n, h)) e = <usize>load<u32>(e, E_NEXT);
  return e;
}

function unlink(entry: usize): void {
  let link = bucketOf(load<u32>(entry, E_HASH));
  while (<usize>load<u32>(link) != entry) link = <usize>load<u32>(link) + E_NEXT;
  store<u32>(link, load<u32>(entry, E_NEXT));
}

function destroy(entry: usize): void {
  const obj = <usize>load<u32>(entry, E_OBJ);
  atomic.store<u32>(obj, REMOVED, O_STATE);
  kindOnDestroy(load<u32>(entry, E_KIND_), obj);
  free(obj);
  free(entry);
  atomic.sub<u32>(HEADER + H_REG_COUNT, 1);
}

// ---- per-thread reference records: [next u32][entry u32][count u32] ----

const R_NEXT: usize = 0;
const R_ENTRY: usize = 4;
const R_COUNT: usize = 8;

/** Record one more reference of this thread to entry. False when out of memory. */
function addRef(entry: usize): bool {
  const head = slotOf(selfTid) + S_REFS;
  for (let r = <usize>load<u32>(head); r != 0; r = <usize>load<u32>(r, R_NEXT)) {
    if (<usize>load<u32>(r, R_ENTRY) == entry) {
      store<u32>(r, load<u32>(r, R_COUNT) + 1, R_COUNT);
      return true;
    }
  }
  const r = alloc(12, false);
  if (r < 0) return false;
  store<u32>(r, load<u32>(head), R_NEXT);
  store<u32>(r, <u32>entry, R_ENTRY);
  store<u32>(r, 1, R_COUNT);
  store<u32>(head, <u32>r);
  return true;
}

/** Forget one reference of this thread to entry. False if it held none. */
function dropRef(entry: usize): bool {
  let link = slotOf(selfTid) + S_REFS;
  for (let r = <usize>load<u32>(link); r != 0; link = r + R_NEXT, r = <usize>load<u32>(r, R_NEXT)) {
    if (<usize>load<u32>(r, R_ENTRY) != entry) continue;
    const count = load<u32>(r, R_COUNT) - 1;
    if (count > 0) store<u32>(r, count, R_COUNT);
    else { store<u32>(link, load<u32>(r, R_NEXT)); free(r); }
    return true;
  }
  return false;
}

/** Drop n references to entry; at zero a removed or unnamed object is freed. */
function unref(entry: usize, n: u32): void {
  if (dropRefs(entry, n) == 0) lastRefGone(entry);
}

/** The entry's count less n: the refs left. Inlined, so no call separates it from what follows. */
@inline function dropRefs(entry: usize, n: u32): u32 {
  const refs = load<u32>(entry, E_REFS) - n;
  store<u32>(entry, refs, E_REFS);
  return refs;
}

function lastRefGone(entry: usize): void {
  const obj = <usize>load<u32>(entry, E_OBJ);
  if (atomic.load<u32>(obj, O_STATE) == REMOVED) destroy(entry);
  else if (load<u32>(entry, E_NAMELEN) == 0) { unlink(entry); destroy(entry); }
}

/** Make an object and its entry, unlinked. Returns the entry, or a negative status. */
function make(kind: u32, n: u32, h: u32, a0: u32, a1: u32, a2: u32, a3: u32): i32 {
  if (kind == 0 || kind > KIND_MAX) return E_INVAL;
  const size = kindSize(kind, a0, a1, a2, a3);
  if (size < <i64>OBJ_HEADER) return E_INVAL;
  const obj = alloc(<usize>size, true);
  if (obj < 0) return obj;
  const entry = alloc(E_NAME + <usize>n, true);
  if (entry < 0) { free(obj); return E_NOMEM; }
  const rc = kindInit(kind, obj, a0, a1, a2, a3);
  if (rc < 0) { free(obj); free(entry); return rc; }
  if (!addRef(entry)) { free(obj); free(entry); return E_NOMEM; }
  const serial = atomic.add<u32>(HEADER + H_REG_SERIAL, 1) + 1;
  store<u32>(obj, kind, O_KIND);
  store<u32>(obj, serial, O_SERIAL);
  store<u32>(obj, <u32>entry, O_ENTRY);
  atomic.store<u32>(obj, LIVE, O_STATE);
  store<u32>(entry, kind, E_KIND_);
  store<u32>(entry, <u32>obj, E_OBJ);
  store<u32>(entry, <u32>size, E_SIZE);
  store<u32>(entry, 1, E_REFS);
  store<u32>(entry, serial, E_SERIAL);
  store<u32>(entry, h, E_HASH);
  store<u32>(entry, n, E_NAMELEN);
  atomic.add<u32>(HEADER + H_REG_COUNT, 1);
  return entry;
}

function link(entry: usize): void {
  const bucket = bucketOf(load<u32>(entry, E_HASH));
  store<u32>(entry, load<u32>(bucket), E_NEXT);
  store<u32>(bucket, <u32>entry);
}

/** The live entry of an object, or 0 if the handle (obj, serial) is stale or removed. Under the lock. */
function entryOf(obj: usize, serial: u32): usize {
  if (!validObj(obj)) return 0;
  if (load<u32>(obj, O_SERIAL) != serial || atomic.load<u32>(obj, O_STATE) != LIVE) return 0;
  return <usize>load<u32>(obj, O_ENTRY);
}

function validObj(obj: usize): bool {
  return obj >= REG_BUCKETS && (obj & 7) == 0 && obj + OBJ_HEADER <= <usize>memory.size() << 16;
}

// ---- ABI ----

/**
 * Open the object named by the n bytes at p, creating it (F_CREATE) with kind-specific
 * parameters a0..a3 if absent; F_EXCL refuses an existing one. Returns the object's
 * offset, or E_KIND / E_EXISTS / E_NOT_FOUND / E_NOMEM / E_INVAL.
 */
export function reg_open(p: usize, n: u32, kind: u32, flags: u32, a0: u32, a1: u32, a2: u32, a3: u32): i32 {
  lastCreated = false;
  if (n == 0 || n > NAME_MAX) return E_INVAL;
  const h = hashName(p, n);
  lockAcquire(LOCK);
  let entry = find(p, n, h);
  if (entry != 0) {
    let rc: i32;
    if (load<u32>(entry, E_KIND_) != kind) rc = E_KIND;
    else if (flags & F_EXCL) rc = E_EXISTS;
    else if (!addRef(entry)) rc = E_NOMEM;
    else {
      store<u32>(entry, load<u32>(entry, E_REFS) + 1, E_REFS);
      rc = <i32>load<u32>(entry, E_OBJ);
    }
    lockRelease(LOCK);
    return rc;
  }
  if (!(flags & F_CREATE)) { lockRelease(LOCK); return E_NOT_FOUND; }
  const made = make(kind, n, h, a0, a1, a2, a3);
  if (made < 0) { lockRelease(LOCK); return made; }
  entry = <usize>made;
  memory.copy(entry + E_NAME, p, n);
  link(entry);
  lockRelease(LOCK);
  lastCreated = true;
  return <i32>load<u32>(entry, E_OBJ);
}

/** 1 if this thread's last reg_open created the object. */
export function reg_last_created(): i32 { return lastCreated ? 1 : 0; }

/** Create an unnamed object (a handle passed around); freed when its last reference closes. */
export function reg_create_anon(kind: u32, a0: u32, a1: u32, a2: u32, a3: u32): i32 {
  lockAcquire(LOCK);
  const made = make(kind, 0, 0, a0, a1, a2, a3);
  if (made < 0) { lockRelease(LOCK); return made; }
  const entry = <usize>made;
  store<u32>(entry, anonHash(<usize>load<u32>(entry, E_OBJ)), E_HASH);
  link(entry);
  lockRelease(LOCK);
  return <i32>load<u32>(entry, E_OBJ);
}

/** Take another reference to a live object (a handle that reached another thread). */
export function reg_retain(obj: usize, serial: u32): i32 {
  lockAcquire(LOCK);
  const entry = entryOf(obj, serial);
  let rc = E_CLOSED;
  if (entry != 0) {
    rc = addRef(entry) ? OK : E_NOMEM;
    if (rc == OK) store<u32>(entry, load<u32>(entry, E_REFS) + 1, E_REFS);
  }
  lockRelease(LOCK);
  return rc;
}

/**
 * Drop one of this thread's references. An unnamed object, or a removed one, is freed with
 * its last reference. E_INVAL (nothing changes) if this thread holds no reference to it.
 */
export function reg_release(obj: usize, serial: u32): i32 {
  if (!validObj(obj)) return E_INVAL;
  lockAcquire(LOCK);
  let rc = E_CLOSED;
  if (load<u32>(obj, O_SERIAL) == serial) {
    const entry = <usize>load<u32>(obj, O_ENTRY);
    rc = E_INVAL;
    if (dropRef(entry)) { unref(entry, 1); rc = OK; }
  }
  lockRelease(LOCK);
  return rc;
}

function removeEntry(entry: usize): void {
  const obj = <usize>load<u32>(entry, E_OBJ);
  unlink(entry);
  atomic.store<u32>(obj, REMOVED, O_STATE);
  kindOnRemove(load<u32>(entry, E_KIND_), obj);
  if (load<u32>(entry, E_REFS) == 0) destroy(entry);
}

/** ipcrm by name: unlink it now; it is freed when its last reference closes. */
export function reg_remove(p: usize, n: u32): i32 {
  if (n == 0 || n > NAME_MAX) return E_INVAL;
  const h = hashName(p, n);
  lockAcquire(LOCK);
  const entry = find(p, n, h);
  if (entry != 0) removeEntry(entry);
  lockRelease(LOCK);
  return entry != 0 ? OK : E_NOT_FOUND;
}

/** ipcrm by handle (named or not). */
export function reg_remove_obj(obj: usize, serial: u32): i32 {
  lockAcquire(LOCK);
  const entry = entryOf(obj, serial);
  if (entry != 0) removeEntry(entry);
  lockRelease(LOCK);
  return entry != 0 ? OK : E_CLOSED;
}

/**
 * mq_unlink / shm_unlink by handle: take the object's name away, nothing else. It becomes
 * anonymous (open handles keep using it, it is freed with its last reference, at once if it
 * has none) and the name is free for a new object. E_NOT_FOUND if it has no name (unnamed,
 * or unlinked already), E_CLOSED if removed.
 */
export function reg_unlink(obj: usize, serial: u32): i32 {
  lockAcquire(LOCK);
  const entry = entryOf(obj, serial);
  let rc = entry == 0 ? E_CLOSED : load<u32>(entry, E_NAMELEN) == 0 ? E_NOT_FOUND : OK;
  if (rc == OK) {
    unlink(entry);
    store<u32>(entry, 0, E_NAMELEN);
    store<u32>(entry, anonHash(obj), E_HASH);
    link(entry);
    if (load<u32>(entry, E_REFS) == 0) lastRefGone(entry);
  }
  lockRelease(LOCK);
  return rc;
}

/** OK if (obj, serial) is a live object of this kind; E_KIND or E_CLOSED otherwise. No lock: a load each. */
export function obj_check(obj: usize, kind: u32, serial: u32): i32 {
  if (!validObj(obj)) return E_INVAL;
  if (load<u32>(obj, O_SERIAL) != serial || atomic.load<u32>(obj, O_STATE) != LIVE) return E_CLOSED;
  return load<u32>(obj, O_KIND) == kind ? OK : E_KIND;
}

/** One object's four ipcs words at out (16 bytes), for its handle's state(). */
export function obj_summary(obj: usize, out: usize): i32 {
  if (!validObj(obj)) return E_INVAL;
  kindSummary(load<u32>(obj, O_KIND), obj, out);
  return OK;
}

export function reg_count(): u32 { return atomic.load<u32>(HEADER, H_REG_COUNT); }

// ipcs rows: +0 kind +4 obj +8 size +12 refs +16 serial +20 nameLen +24..+40 summary[4] +40 name
export const ROW_SIZE: usize = 40 + NAME_MAX + 1;

/** Write up to cap rows at buf, one per listed object. Returns how many. */
export function reg_list(buf: usize, cap: u32): i32 {
  let count: u32 = 0;
  lockAcquire(LOCK);
  for (let b: usize = 0; b < NBUCKETS && count < cap; b++) {
    let e = <usize>load<u32>(REG_BUCKETS + b * 4);
    while (e != 0 && count < cap) {
      const row = buf + <usize>count * ROW_SIZE;
      const obj = <usize>load<u32>(e, E_OBJ);
      const n = load<u32>(e, E_NAMELEN);
      store<u32>(row, load<u32>(e, E_KIND_), 0);
      store<u32>(row, <u32>obj, 4);
      store<u32>(row, load<u32>(e, E_SIZE), 8);
      store<u32>(row, load<u32>(e, E_REFS), 12);
      store<u32>(row, load<u32>(e, E_SERIAL), 16);
      store<u32>(row, n, 20);
      memory.fill(row + 24, 0, 16);
      kindSummary(load<u32>(e, E_KIND_), obj, row + 24);
      memory.copy(row + 40, e + E_NAME, n);
      count++;
      e = <usize>load<u32>(e, E_NEXT);
    }
  }
  lockRelease(LOCK);
  return <i32>count;
}
export function reg_row_size(): u32 { return <u32>ROW_SIZE; }

/**
 * A thread exited or was terminated: mark it dying, drop the references it held, let every
 * object react (robust locks, dead peers), then free its slot. Both the thread itself and
 * its spawner call it; E_NOT_FOUND for the second. A clean-up cut short (the thread killed
 * during its own) is finished by the next call, which takes over the lock it held.
 */
export function thread_exit(tid: u32): i32 {
  if (!markDying(tid)) return E_NOT_FOUND;
  lockAcquire(LOCK);
  if (!isDying(tid)) { lockRelease(LOCK); return E_NOT_FOUND; }   // another call finished it
  // One reference at a time, so that a clean-up cut short resumes where it stopped: the
  // count is dropped and the record unlinked and freed with no call between them (a
  // terminated thread stops at a call or a loop's back edge), so none is dropped twice, and
  // no record is left unlinked but live (a thread killed in its own exit walk leaked one).
  const head = slotOf(tid) + S_REFS;
  for (let r = <usize>load<u32>(head); r != 0; r = <usize>load<u32>(head)) {
    const entry = <usize>load<u32>(r, R_ENTRY);
    const next = load<u32>(r, R_NEXT);
    const left = dropRefs(entry, load<u32>(r, R_COUNT));
    freeUnlinking(r, head, next);
    if (left == 0) lastRefGone(entry);
  }
  dropStaging(tid);
  for (let b: usize = 0; b < NBUCKETS; b++) {
    let e = <usize>load<u32>(REG_BUCKETS + b * 4);
    while (e != 0) {
      kindOnThreadDeath(load<u32>(e, E_KIND_), <usize>load<u32>(e, E_OBJ), tid);
      e = <usize>load<u32>(e, E_NEXT);
    }
  }
  receiptsOnDeath(tid);
  heldOnDeath(tid);
  const port = threadPort(tid);
  if (port != 0) portOnDeath(port, tid);
  markDead(tid);
  lockRelease(LOCK);
  return OK;
}
