// A named shared memory region (shm_open + mmap): a fixed number of bytes that every
// thread maps at the same offset. It has no protocol of its own; readers and writers
// synchronise with the primitives they choose.
//
//   +OBJ_HEADER      size u32 (bytes of the region)
//   +OBJ_HEADER + 16 the region, 16-byte aligned within the object
// Containment (guard.ts): the host views `size` bytes, so the size it is given is checked
// against the object's own block (a garbage size would let it write past the region).
import { OBJ_HEADER } from './object';
import { ALLOC_MAX, alloc_usable } from './alloc';
import { E_CORRUPT } from './status';

const F_SIZE: usize = OBJ_HEADER;
export const SHM_DATA: usize = OBJ_HEADER + 16;

export function shmSize(bytes: u32): i64 {
  if (bytes == 0 || <usize>bytes > ALLOC_MAX - SHM_DATA) return -1;
  return <i64>(SHM_DATA + <usize>bytes);
}

export function shmInit(obj: usize, bytes: u32): i32 {
  store<u32>(obj, bytes, F_SIZE);
  return 0;
}

/** ipcs: [bytes, 0, 0, 0] */
export function shmSummary(obj: usize, out: usize): void {
  store<u32>(out, load<u32>(obj, F_SIZE));
}

export function shm_data(obj: usize): usize { return obj + SHM_DATA; }
/** The region's size, or E_CORRUPT when the object's block cannot hold that many bytes. */
export function shm_size(obj: usize): i32 {
  const size = <usize>load<u32>(obj, F_SIZE);
  const usable = alloc_usable(obj);
  return size != 0 && usable >= <i32>SHM_DATA && size <= <usize>usable - SHM_DATA ? <i32>size : E_CORRUPT;
}
