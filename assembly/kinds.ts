// The object kinds, and the one switch that routes the registry's generic operations to
// each kind's own file: how big an object is, how it starts, what ipcs shows of it, and
// what happens when it is removed or one of its threads dies. Kind numbers are ABI: never
// renumber one; ts/kinds.ts holds the same table.
import { E_INVAL } from './status';
import { shmSize, shmInit, shmSummary } from './shm';

export const KIND_SHM: u32 = 1;
export const KIND_MAX: u32 = 1;

/** Total object size (header included) for these creation parameters; < 0 if they are invalid. */
export function kindSize(kind: u32, a0: u32, a1: u32, a2: u32, a3: u32): i64 {
  switch (kind) {
    case KIND_SHM: return shmSize(a0);
  }
  return -1;
}

/** Initialise a zeroed object. Runs under the registry lock: nobody sees it half-made. */
export function kindInit(kind: u32, obj: usize, a0: u32, a1: u32, a2: u32, a3: u32): i32 {
  switch (kind) {
    case KIND_SHM: return shmInit(obj, a0);
  }
  return E_INVAL;
}

/** Up to four words of state for ipcs, written at out. */
export function kindSummary(kind: u32, obj: usize, out: usize): void {
  switch (kind) {
    case KIND_SHM: shmSummary(obj, out); break;
  }
}

/** The object was removed (ipcrm): wake everyone blocked on it so they see E_CLOSED. */
export function kindOnRemove(kind: u32, obj: usize): void {
  switch (kind) {
    case KIND_SHM: break;
  }
}

/** Thread `tid` died: release what it held in this object and wake whoever waited on it. */
export function kindOnThreadDeath(kind: u32, obj: usize, tid: u32): void {
  switch (kind) {
    case KIND_SHM: break;
  }
}
