// The core's ABI: flat functions of offsets and integers, exported to the host (ts/core.ts).
// Every atomic protocol of wasm-ipc lives behind these exports.
export { local_set_can_block } from './local';
export { segment_init, segment_check, segment_abi, segment_static_end } from './segment';
export { alloc, free, alloc_usable, alloc_bytes_in_use, alloc_blocks_in_use, alloc_top } from './alloc';
export {
  thread_register, thread_adopt, thread_alive, thread_count, thread_scratch, thread_host_id,
  thread_at, thread_max,
} from './threads';
export {
  reg_open, reg_last_created, reg_create_anon, reg_retain, reg_release, reg_remove,
  reg_remove_obj, obj_check, reg_count, reg_list, reg_row_size, thread_exit,
} from './registry';
export { futex_wait, futex_wake, futex_spin } from './futex';
export { ec_seq, ec_signal, ec_prepare, ec_wait, ec_spin } from './eventcount';
export { shm_data, shm_size } from './shm';
