// The object kinds, and the one switch that routes the registry's generic operations to
// each kind's own file: how big an object is, how it starts, what ipcs shows of it, and
// what happens when it is removed, freed, or one of its threads dies. Kind numbers are
// ABI: never renumber one; ts/kinds.ts holds the same table.
import { OK, E_INVAL } from './status';
import { OBJ_HEADER } from './object';
import { shmSize, shmInit, shmSummary } from './shm';
import { ATOMIC_SIZE, atomicInit, atomicSummary } from './atomicint';
import { SPINLOCK_SIZE, spinSummary } from './spinlock';
import { TICKET_SIZE, ticketSummary, ticketOnDeath, ticketWakeAll } from './ticketlock';
import { PETERSON_SIZE, petersonSummary, petersonWakeAll } from './peterson';
import { MUTEX_SIZE, mutexSummary, mutexOnDeath, mutexWakeAll } from './mutex';
import { SEM_SIZE, semInit, semSummary, semOnDeath, semOnRemove } from './semaphore';
import { CONDVAR_SIZE, MONITOR_CV, cvSummary, cvWakeAll } from './condvar';
import { BARRIER_SIZE, barrierInit, barrierSummary, barrierWakeAll } from './barrier';
import { RWLOCK_SIZE, rwSummary, rwWakeAll } from './rwlock';
import { SNAPSHOT_SIZE, snapshotInit, snapshotSummary, snapshotOnDeath, snapshotWakeAll, snapshotDestroy } from './snapshot';
import { MQ_SIZE, mqInit, mqSummary, mqWakeAll, mqDestroy, mqOnDeath } from './mqueue';
import { CHANNEL_SIZE, channelInit, channelSummary, channelWakeAll, channelDestroy, channelOnDeath } from './channel';
import { pipeSummary, PIPE_BUF } from './pipe';
import { FRAMEPOOL_SIZE, framePoolInit, framePoolDestroy, framePoolWakeAll, framePoolOnDeath, framePoolSummary } from './framepool';
import { TOPIC_SIZE, topicInit, topicDestroy, topicWakeAll, topicOnDeath, topicSummary } from './topic';
import { EVENT_SIZE, eventInit, eventSummary, eventWakeAll } from './event';
import { PORT_SIZE, KIND_PORT_, portInit, portSummary, portOnRemove, portDestroy, portOnDeath } from './port';
import { ONCE_SIZE, LATCH_SIZE, onceSummary, onceOnDeath, onceWakeAll, latchInit, latchSummary, latchWakeAll } from './once';

export const KIND_SHM: u32 = 1;
export const KIND_ATOMIC: u32 = 2;
export const KIND_ATOMIC64: u32 = 3;
export const KIND_SPINLOCK: u32 = 4;
export const KIND_TICKETLOCK: u32 = 5;
export const KIND_PETERSON: u32 = 6;
export const KIND_MUTEX: u32 = 7;
export const KIND_SEMAPHORE: u32 = 8;
export const KIND_CONDVAR: u32 = 9;
export const KIND_MONITOR: u32 = 10;
export const KIND_BARRIER: u32 = 11;
export const KIND_RWLOCK: u32 = 12;
export const KIND_SNAPSHOT: u32 = 13;
export const KIND_ONCE: u32 = 14;
export const KIND_LATCH: u32 = 15;
export const KIND_CHANNEL: u32 = 16;
export const KIND_PIPE: u32 = 17;
export const KIND_MQUEUE: u32 = 18;
export const KIND_PORT: u32 = KIND_PORT_;   // 19
export const KIND_EVENT: u32 = 20;
export const KIND_FRAMEPOOL: u32 = 21;
export const KIND_TOPIC: u32 = 22;
export const KIND_MAX: u32 = 22;

/** Total object size (header included) for these creation parameters; < 0 if they are invalid. */
export function kindSize(kind: u32, a0: u32, a1: u32, a2: u32, a3: u32): i64 {
  switch (kind) {
    case KIND_SHM: return shmSize(a0);
    case KIND_ATOMIC: case KIND_ATOMIC64: return ATOMIC_SIZE;
    case KIND_SPINLOCK: return SPINLOCK_SIZE;
    case KIND_TICKETLOCK: return TICKET_SIZE;
    case KIND_PETERSON: return PETERSON_SIZE;
    case KIND_MUTEX: return OBJ_HEADER + MUTEX_SIZE;
    case KIND_SEMAPHORE: return SEM_SIZE;
    case KIND_CONDVAR: return OBJ_HEADER + CONDVAR_SIZE;
    case KIND_MONITOR: return MONITOR_CV + CONDVAR_SIZE;
    case KIND_BARRIER: return BARRIER_SIZE;
    case KIND_RWLOCK: return RWLOCK_SIZE;
    case KIND_SNAPSHOT: return SNAPSHOT_SIZE;
    case KIND_ONCE: return ONCE_SIZE;
    case KIND_LATCH: return LATCH_SIZE;
    case KIND_CHANNEL: case KIND_PIPE: return CHANNEL_SIZE;
    case KIND_MQUEUE: return MQ_SIZE;
    case KIND_PORT: return PORT_SIZE;
    case KIND_EVENT: return EVENT_SIZE;
    case KIND_FRAMEPOOL: return FRAMEPOOL_SIZE;
    case KIND_TOPIC: return TOPIC_SIZE;
  }
  return -1;
}

/** Initialise a zeroed object. Runs under the registry lock: nobody sees it half-made. */
export function kindInit(kind: u32, obj: usize, a0: u32, a1: u32, a2: u32, a3: u32): i32 {
  switch (kind) {
    case KIND_SHM: return shmInit(obj, a0);
    case KIND_ATOMIC: case KIND_ATOMIC64: return atomicInit(obj, a0, a1);
    case KIND_SEMAPHORE: return semInit(obj, a0, a1, a2);
    case KIND_BARRIER: return barrierInit(obj, a0);
    case KIND_SNAPSHOT: return snapshotInit(obj);
    case KIND_LATCH: return latchInit(obj, a0);
    case KIND_CHANNEL: return channelInit(obj, a0, a1, a2, a3);
    case KIND_PIPE: return channelInit(obj, a0, PIPE_BUF, PIPE_BUF, 0);
    case KIND_MQUEUE: return mqInit(obj, a0, a1);
    case KIND_PORT: return portInit(obj, a0);
    case KIND_EVENT: return eventInit(obj, a0, a1);
    case KIND_FRAMEPOOL: return framePoolInit(obj, a0, a1, a2);
    case KIND_TOPIC: return topicInit(obj, a0, a1, a2);
  }
  return kind <= KIND_MAX ? OK : E_INVAL;
}

/** Up to four words of state for ipcs, written at out. */
export function kindSummary(kind: u32, obj: usize, out: usize): void {
  switch (kind) {
    case KIND_SHM: shmSummary(obj, out); break;
    case KIND_ATOMIC: case KIND_ATOMIC64: atomicSummary(obj, out); break;
    case KIND_SPINLOCK: spinSummary(obj, out); break;
    case KIND_TICKETLOCK: ticketSummary(obj, out); break;
    case KIND_PETERSON: petersonSummary(obj, out); break;
    case KIND_MUTEX: mutexSummary(obj + OBJ_HEADER, out); break;
    case KIND_SEMAPHORE: semSummary(obj, out); break;
    case KIND_CONDVAR: cvSummary(obj + OBJ_HEADER, out); break;
    case KIND_MONITOR: mutexSummary(obj + OBJ_HEADER, out); cvSummary(obj + MONITOR_CV, out + 12); break;
    case KIND_BARRIER: barrierSummary(obj, out); break;
    case KIND_RWLOCK: rwSummary(obj, out); break;
    case KIND_SNAPSHOT: snapshotSummary(obj, out); break;
    case KIND_ONCE: onceSummary(obj, out); break;
    case KIND_LATCH: latchSummary(obj, out); break;
    case KIND_CHANNEL: channelSummary(obj, out); break;
    case KIND_PIPE: pipeSummary(obj, out); break;
    case KIND_MQUEUE: mqSummary(obj, out); break;
    case KIND_PORT: portSummary(obj, out); break;
    case KIND_EVENT: eventSummary(obj, out); break;
    case KIND_FRAMEPOOL: framePoolSummary(obj, out); break;
    case KIND_TOPIC: topicSummary(obj, out); break;
  }
}

/** The object was removed (ipcrm): wake everyone blocked on it so they see E_CLOSED. */
export function kindOnRemove(kind: u32, obj: usize): void {
  switch (kind) {
    case KIND_TICKETLOCK: ticketWakeAll(obj); break;
    case KIND_PETERSON: petersonWakeAll(obj); break;
    case KIND_MUTEX: mutexWakeAll(obj + OBJ_HEADER); break;
    case KIND_SEMAPHORE: semOnRemove(obj); break;
    case KIND_CONDVAR: cvWakeAll(obj + OBJ_HEADER); break;
    case KIND_MONITOR: mutexWakeAll(obj + OBJ_HEADER); cvWakeAll(obj + MONITOR_CV); break;
    case KIND_BARRIER: barrierWakeAll(obj); break;
    case KIND_RWLOCK: rwWakeAll(obj); break;
    case KIND_SNAPSHOT: snapshotWakeAll(obj); break;
    case KIND_ONCE: onceWakeAll(obj); break;
    case KIND_LATCH: latchWakeAll(obj); break;
    case KIND_CHANNEL: case KIND_PIPE: channelWakeAll(obj); break;
    case KIND_MQUEUE: mqWakeAll(obj); break;
    case KIND_PORT: portOnRemove(obj); break;
    case KIND_EVENT: eventWakeAll(obj); break;
    case KIND_FRAMEPOOL: framePoolWakeAll(obj); break;
    case KIND_TOPIC: topicWakeAll(obj); break;
  }
}

/** The object's memory is about to be freed: free what it owns. */
export function kindOnDestroy(kind: u32, obj: usize): void {
  switch (kind) {
    case KIND_SNAPSHOT: snapshotDestroy(obj); break;
    case KIND_CHANNEL: case KIND_PIPE: channelDestroy(obj); break;
    case KIND_MQUEUE: mqDestroy(obj); break;
    case KIND_PORT: portDestroy(obj); break;
    case KIND_FRAMEPOOL: framePoolDestroy(obj); break;
    case KIND_TOPIC: topicDestroy(obj); break;
  }
}

/** Thread `tid` died: release what it held in this object and wake whoever waited on it. */
export function kindOnThreadDeath(kind: u32, obj: usize, tid: u32): void {
  switch (kind) {
    case KIND_TICKETLOCK: ticketOnDeath(obj, tid); break;
    case KIND_MUTEX: case KIND_MONITOR: mutexOnDeath(obj + OBJ_HEADER, tid); break;
    case KIND_SEMAPHORE: semOnDeath(obj, tid); break;
    case KIND_SNAPSHOT: snapshotOnDeath(obj, tid); break;
    case KIND_ONCE: onceOnDeath(obj, tid); break;
    case KIND_CHANNEL: case KIND_PIPE: channelOnDeath(obj, tid); break;
    case KIND_MQUEUE: mqOnDeath(obj, tid); break;
    case KIND_PORT: portOnDeath(obj, tid); break;
    case KIND_FRAMEPOOL: framePoolOnDeath(obj, tid); break;
    case KIND_TOPIC: topicOnDeath(obj, tid); break;
  }
}
