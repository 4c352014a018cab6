// A named shared memory region (shm_open + mmap): a fixed number of bytes that every
// thread maps at the same offset. It has no protocol of its own; readers and writers
// synchronise with the primitives they choose.
//
//   +OBJ_HEADER      size u32 (bytes of the region)
//   +OBJ_HEADER + 16 the region, 16-byte aligned within the object
import { OBJ_HEADER } from './object';
import { ALLOC_MAX } from './alloc';

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
export function shm_size(obj: usize): u32 { return load<u32>(obj, F_SIZE); }
