// The core's ABI: flat functions of offsets and integers, exported to the host (ts/core.ts).
// Every atomic protocol of wasm-ipc lives behind these exports.
export { local_set_can_block, wait_addr, wait_value } from './local';
export { segment_init, segment_check, segment_abi, segment_static_end } from './segment';
export { alloc, free, alloc_usable, alloc_bytes_in_use, alloc_blocks_in_use, alloc_top } from './alloc';
export {
  thread_register, thread_adopt, thread_alive, thread_parked, thread_count, thread_scratch, thread_host_id,
  thread_at, thread_max, thread_staging,
} from './threads';
export {
  reg_open, reg_last_created, reg_create_anon, reg_retain, reg_release, reg_remove,
  reg_remove_obj, reg_unlink, obj_check, obj_summary, reg_count, reg_list, reg_row_size, thread_exit,
} from './registry';
export { futex_wait, futex_wake, futex_spin, thread_spin_max, thread_interrupt, thread_take_interrupt } from './futex';
export { ec_seq, ec_signal, ec_prepare, ec_wait, ec_spin } from './eventcount';
export { shm_data, shm_size } from './shm';
export {
  a32_load, a32_store, a32_add, a32_sub, a32_xchg, a32_cas,
  a64_load, a64_store, a64_add, a64_sub, a64_xchg, a64_cas,
} from './atomicint';
export { spin_try, spin_lock, spin_unlock } from './spinlock';
export { ticket_try, ticket_lock, ticket_begin, ticket_last, ticket_step, ticket_give_up, ticket_unlock } from './ticketlock';
export { peterson_begin, peterson_step, peterson_lock, peterson_unlock } from './peterson';
export { mutex_try, mutex_step, mutex_lock, mutex_unlock, mutex_consistent, mutex_give_up, mutex_owner } from './mutex';
export { sem_acquire, sem_try, sem_begin, sem_step, sem_give_up, sem_release, sem_value, sem_max, sem_is_fair } from './semaphore';
export {
  cv_wait, cv_begin, cv_take, cv_end, cv_notify, monitor_wait, monitor_begin, monitor_take, monitor_end, monitor_notify,
} from './condvar';
export { barrier_wait, barrier_arrive, barrier_check, barrier_leave } from './barrier';
export {
  rw_read, rw_write, rw_try_read, rw_try_write, rw_read_step, rw_write_step, rw_timed_out,
  rw_read_unlock, rw_write_unlock,
} from './rwlock';
export { snap_reserve, snap_cancel, snap_commit, snap_read_begin, snap_read_len, snap_read_end, snap_version, snap_version_addr } from './snapshot';
export { once_begin, once_finish, once_wait, once_done, latch_count_down, latch_step, latch_wait, latch_count } from './once';
export {
  ch_reserve, ch_reserve_receipt, ch_wait_word, ch_data, ch_len, ch_commit, ch_last_pos, ch_send_from, ch_recv_into, ch_sel_arm, ch_sel_disarm, sel_begin, sel_park,
  ch_send_batch, ch_recv_batch, ch_take, ch_release, ch_free_block, ch_arm, ch_disarm,
  ch_wait, ch_register, ch_reserve_urgent, ch_commit_urgent, ch_taken, ch_withdraw, ch_arm_taken, ch_wait_taken, ch_close, ch_closed, ch_depth, ch_capacity, ch_max_message, ch_inline_max, ch_flags,
} from './channel';
export { pipe_open, pipe_close, pipe_broken } from './pipe';
export {
  mq_send_from, mq_recv_into, mq_last_priority, mq_next_len, mq_event, mq_wait, mq_receivers_waiting,
  mq_notify, mq_notify_event, mq_notify_armed, mq_count, mq_max_messages, mq_max_size,
} from './mqueue';
export {
  port_msg, port_msg_free, port_send, port_send_thread, port_recv, port_msg_len, port_msg_sender, port_self, port_of_thread,
  port_event, port_wait, port_owner, port_dead, port_count, port_backlog, port_claim, port_set_member, port_wake_addr,
} from './port';
export { receipt_new, receipt_state, receipt_wait, receipt_prepare, receipt_receiver, receipt_take_reply, receipt_drop, receipt_ack, receipt_ack_from, receipt_last, receipt_reply_node } from './receipt';
export { ev_set, ev_reset, ev_is_set, ev_manual, ev_try, ev_wait } from './event';
export { fp_acquire, fp_publish, fp_next, fp_release, fp_data, fp_meta, fp_meta_len, fp_slots, fp_frame_size, fp_meta_size, fp_state, fp_event, fp_wait } from './framepool';
export { topic_publish, topic_subscribe, topic_subscribers, topic_unsubscribe, topic_recv, topic_last_lost, topic_last_key, topic_event, topic_wait, topic_policy, topic_size, topic_max_message } from './topic';
export { task_queue, task_start, task_cancel, task_state_addr, task_state, task_worker, task_start_ms, task_finish, task_busy } from './pool';
