// Loading the wasm core and instantiating it over a segment's memory. The module is compiled
// once per thread (or received compiled, in a handle) and instantiated once per segment:
// each instance is this thread's private window onto one shared memory.
import wasmBytes from '../build/wasm-ipc.wasm'; // undefined in the slim browser build
import { canBlock, now } from './platform';

/** The core's exports: flat functions of offsets and integers (assembly/index.ts). */
export interface Core {
  local_set_can_block(b: number): void;
  segment_init(maxBytes: number): number;
  segment_check(): number;
  segment_abi(): number;
  segment_static_end(): number;
  alloc(size: number, zero: number): number;
  free(p: number): number;
  alloc_usable(p: number): number;
  alloc_bytes_in_use(): number;
  alloc_blocks_in_use(): number;
  alloc_top(): number;
  thread_register(hostId: number): number;
  thread_adopt(tid: number, hostId: number): number;
  thread_alive(tid: number): number;
  thread_parked(tid: number): number;
  thread_count(): number;
  thread_scratch(tid: number): number;
  thread_host_id(tid: number): number;
  thread_at(i: number): number;
  thread_max(): number;
  thread_staging(): number;
  thread_exit(tid: number): number;
  reg_open(p: number, n: number, kind: number, flags: number, a0: number, a1: number, a2: number, a3: number): number;
  reg_last_created(): number;
  reg_create_anon(kind: number, a0: number, a1: number, a2: number, a3: number): number;
  reg_retain(obj: number, serial: number): number;
  reg_release(obj: number, serial: number): number;
  reg_remove(p: number, n: number): number;
  reg_remove_obj(obj: number, serial: number): number;
  reg_unlink(obj: number, serial: number): number;
  obj_check(obj: number, kind: number, serial: number): number;
  obj_summary(obj: number, out: number): number;
  reg_count(): number;
  reg_list(buf: number, cap: number): number;
  reg_row_size(): number;
  futex_wait(addr: number, expected: number, timeoutMs: number): number;
  futex_wake(addr: number, count: number): number;
  futex_spin(addr: number, expected: number): number;
  thread_interrupt(tid: number): number;
  thread_take_interrupt(): number;
  ec_seq(addr: number): number;
  ec_signal(addr: number): void;
  ec_prepare(addr: number, seen: number): bigint;
  ec_wait(addr: number, seen: number, timeoutMs: number): number;
  ec_spin(addr: number, seen: number): number;
  shm_data(obj: number): number;
  shm_size(obj: number): number;
  wait_addr(): number;
  wait_value(): number;
  a32_load(obj: number): number;
  a32_store(obj: number, v: number): void;
  a32_add(obj: number, v: number): number;
  a32_sub(obj: number, v: number): number;
  a32_xchg(obj: number, v: number): number;
  a32_cas(obj: number, expected: number, v: number): number;
  a64_load(obj: number): bigint;
  a64_store(obj: number, v: bigint): void;
  a64_add(obj: number, v: bigint): bigint;
  a64_sub(obj: number, v: bigint): bigint;
  a64_xchg(obj: number, v: bigint): bigint;
  a64_cas(obj: number, expected: bigint, v: bigint): bigint;
  spin_try(obj: number): number;
  spin_lock(obj: number, timeoutMs: number): number;
  spin_unlock(obj: number): number;
  ticket_try(obj: number): number;
  ticket_lock(obj: number, timeoutMs: number): number;
  ticket_begin(obj: number): number;
  ticket_last(): number;
  ticket_step(obj: number, t: number, parked: number): number;
  ticket_give_up(obj: number, t: number): number;
  ticket_unlock(obj: number): number;
  peterson_begin(obj: number, side: number): number;
  peterson_step(obj: number, side: number): number;
  peterson_lock(obj: number, side: number, timeoutMs: number): number;
  peterson_unlock(obj: number, side: number): number;
  mutex_try(obj: number): number;
  mutex_step(obj: number): number;
  mutex_lock(obj: number, timeoutMs: number): number;
  mutex_unlock(obj: number): number;
  mutex_consistent(obj: number): number;
  mutex_give_up(obj: number): void;
  mutex_owner(obj: number): number;
  sem_acquire(obj: number, n: number, timeoutMs: number): number;
  sem_try(obj: number, n: number): number;
  sem_begin(obj: number, n: number): number;
  sem_step(obj: number, n: number, token: number): number;
  sem_give_up(obj: number, n: number, token: number): number;
  sem_release(obj: number, n: number): number;
  sem_value(obj: number): number;
  sem_max(obj: number): number;
  sem_is_fair(obj: number): number;
  cv_wait(cv: number, mutex: number, timeoutMs: number): number;
  cv_begin(cv: number, mutex: number): number;
  cv_take(cv: number): number;
  cv_end(cv: number, passOn: number): number;
  cv_notify(cv: number, all: number): number;
  monitor_wait(obj: number, timeoutMs: number): number;
  monitor_begin(obj: number): number;
  monitor_take(obj: number): number;
  monitor_end(obj: number, passOn: number): number;
  monitor_notify(obj: number, all: number): number;
  barrier_wait(obj: number, timeoutMs: number): number;
  barrier_arrive(obj: number): number;
  barrier_check(obj: number, gen: number): number;
  barrier_leave(obj: number, gen: number): number;
  rw_read(obj: number, timeoutMs: number): number;
  rw_write(obj: number, timeoutMs: number): number;
  rw_try_read(obj: number): number;
  rw_try_write(obj: number): number;
  rw_read_step(obj: number): number;
  rw_write_step(obj: number, waited: number): number;
  rw_timed_out(obj: number, write: number): number;
  rw_read_unlock(obj: number): number;
  rw_write_unlock(obj: number): number;
  snap_reserve(obj: number, len: number): number;
  snap_cancel(block: number): void;
  snap_commit(obj: number, block: number): number;
  snap_read_begin(obj: number): number;
  snap_read_len(): number;
  snap_read_end(obj: number): void;
  snap_version(obj: number): number;
  snap_version_addr(obj: number): number;
  once_begin(obj: number): number;
  once_finish(obj: number, ok: number): number;
  once_wait(obj: number, state: number, timeoutMs: number): number;
  once_done(obj: number): number;
  latch_count_down(obj: number, n: number): number;
  latch_step(obj: number): number;
  latch_wait(obj: number, timeoutMs: number): number;
  latch_count(obj: number): number;
  ch_reserve(obj: number, len: number): number;
  ch_data(obj: number, slot: number, len: number): number;
  ch_len(obj: number, slot: number): number;
  ch_commit(obj: number, slot: number): number;
  ch_last_pos(): number;
  ch_send_from(obj: number, src: number, len: number): number;
  ch_recv_into(obj: number, dst: number, cap: number): number;
  ch_sel_arm(obj: number, send: number): number;
  mq_send_from(obj: number, src: number, len: number, prio: number, receipt: number): number;
  mq_recv_into(obj: number, dst: number, cap: number): number;
  mq_last_priority(): number;
  mq_next_len(obj: number): number;
  mq_event(obj: number, send: number): number;
  mq_wait(obj: number, send: number, seen: number, timeoutMs: number): number;
  mq_receivers_waiting(obj: number, delta: number): void;
  mq_notify(obj: number, on: number): number;
  mq_notify_event(obj: number): number;
  mq_notify_armed(obj: number): number;
  mq_count(obj: number): number;
  mq_max_messages(obj: number): number;
  mq_max_size(obj: number): number;
  ch_reserve_receipt(obj: number, len: number, receipt: number): number;
  ch_wait_word(obj: number, send: number): number;
  port_msg(len: number): number;
  port_msg_free(node: number): void;
  port_send(obj: number, node: number, receipt: number): number;
  port_send_thread(tid: number, node: number, receipt: number): number;
  port_recv(obj: number, from: number): number;
  port_msg_len(node: number): number;
  port_msg_sender(node: number): number;
  port_self(): number;
  port_of_thread(tid: number): number;
  port_event(obj: number, send: number): number;
  port_wait(obj: number, send: number, seen: number, timeoutMs: number): number;
  port_owner(obj: number): number;
  port_dead(obj: number): number;
  port_count(obj: number): number;
  port_backlog(obj: number): number;
  port_claim(obj: number): number;
  port_set_member(obj: number, on: number): number;
  port_wake_addr(): number;
  task_queue(table: number, mask: number, id: number): void;
  task_start(table: number, mask: number, id: number, worker: number, startMs: number): number;
  task_cancel(table: number, mask: number, id: number): number;
  task_state_addr(table: number, mask: number, id: number): number;
  task_state(table: number, mask: number, id: number): number;
  task_worker(table: number, mask: number, id: number): number;
  task_start_ms(table: number, mask: number, id: number): number;
  task_finish(table: number, mask: number, id: number): void;
  task_busy(table: number, mask: number, id: number): number;
  topic_publish(obj: number, src: number, len: number, key: number): number;
  topic_subscribe(obj: number, filter: number, key: number): number;
  topic_subscribers(obj: number): number;
  topic_unsubscribe(obj: number, i: number): number;
  topic_recv(obj: number, i: number, dst: number, cap: number): number;
  topic_last_lost(): number;
  topic_last_key(): number;
  topic_event(obj: number, which: number): number;
  topic_wait(obj: number, which: number, seen: number, timeoutMs: number): number;
  topic_policy(obj: number): number;
  topic_size(obj: number): number;
  topic_max_message(obj: number): number;
  fp_acquire(obj: number): number;
  fp_publish(obj: number, slot: number, metaLen: number): number;
  fp_next(obj: number): number;
  fp_release(obj: number, slot: number): number;
  fp_data(obj: number, slot: number): number;
  fp_meta(obj: number, slot: number): number;
  fp_meta_len(obj: number, slot: number): number;
  fp_slots(obj: number): number;
  fp_frame_size(obj: number): number;
  fp_meta_size(obj: number): number;
  fp_state(obj: number, slot: number): number;
  fp_event(obj: number, which: number): number;
  fp_wait(obj: number, which: number, seen: number, timeoutMs: number): number;
  ev_set(obj: number): number;
  ev_reset(obj: number): number;
  ev_is_set(obj: number): number;
  ev_manual(obj: number): number;
  ev_try(obj: number): number;
  ev_wait(obj: number, timeoutMs: number): number;
  receipt_new(level: number): number;
  receipt_state(r: number): number;
  /** Block while r's state is `state`: 0 woken, 1 not equal, 2 timed out. */
  receipt_wait(r: number, state: number, timeoutMs: number): number;
  receipt_prepare(r: number): void;
  /** Cap this thread's adaptive spin budget (re-reads of a word before parking); the cap now. */
  thread_spin_max(rounds: number): number;
  receipt_receiver(r: number): number;
  receipt_take_reply(r: number): number;
  receipt_drop(r: number): void;
  receipt_ack(r: number): number;
  receipt_reply_node(r: number, len: number): number;
  receipt_ack_from(obj: number): number;
  receipt_last(): number;
  ch_sel_disarm(obj: number, send: number): void;
  sel_begin(): number;
  sel_park(value: number, timeoutMs: number): number;
  ch_send_batch(obj: number, lens: number, data: number, count: number): number;
  ch_recv_batch(obj: number, lens: number, data: number, cap: number, max: number): number;
  ch_take(obj: number, fit: number): number;
  ch_release(obj: number, slot: number, keep: number): number;
  ch_free_block(block: number): void;
  ch_arm(obj: number, send: number, registered: number): number;
  ch_disarm(obj: number, send: number): void;
  ch_wait(obj: number, send: number, timeoutMs: number): number;
  ch_register(obj: number, send: number): number;
  ch_reserve_urgent(obj: number, len: number): number;
  ch_commit_urgent(obj: number, slot: number): number;
  ch_taken(obj: number, pos: number): number;
  ch_withdraw(obj: number, pos: number): number;
  ch_arm_taken(obj: number, pos: number, registered: number): number;
  ch_wait_taken(obj: number, pos: number, timeoutMs: number): number;
  ch_close(obj: number): void;
  ch_closed(obj: number): number;
  ch_depth(obj: number): number;
  ch_capacity(obj: number): number;
  ch_max_message(obj: number): number;
  ch_inline_max(obj: number): number;
  ch_flags(obj: number): number;
  pipe_open(obj: number, writer: number): number;
  pipe_close(obj: number, writer: number): number;
  pipe_broken(obj: number): number;
}

/** Where the compiled core comes from: a compiled module, its bytes, or a URL to fetch. */
export type ModuleSource = WebAssembly.Module | BufferSource | URL | string;

let inlined: Promise<WebAssembly.Module> | undefined;

/**
 * Compile the core: the inlined bytes by default (asynchronously: browsers refuse sync
 * compiles on the main thread). The slim browser build has no inlined bytes: it fetches
 * wasm-ipc.wasm next to itself unless told otherwise.
 */
export async function compileCore(source?: ModuleSource): Promise<WebAssembly.Module> {
  if (source === undefined) {
    if (wasmBytes) return (inlined ??= WebAssembly.compile(wasmBytes as Uint8Array<ArrayBuffer>));
    source = new URL('./wasm-ipc.wasm', import.meta.url);
  }
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === 'string' || source instanceof URL) {
    if (typeof fetch !== 'function') {
      throw new TypeError(`cannot fetch the wasm-ipc core from ${String(source)}: this scope has no fetch (an AudioWorklet?); pass the handle of a thread that loaded it`);
    }
    const res = await fetch(source);
    if (!res.ok) throw new Error(`cannot fetch the wasm-ipc core from ${String(source)}: HTTP ${res.status}`);
    // streaming compiles while the bytes arrive, but needs the application/wasm content type
    const streaming = typeof WebAssembly.compileStreaming === 'function' && res.headers.get('content-type')?.startsWith('application/wasm');
    return streaming ? WebAssembly.compileStreaming(res) : WebAssembly.compile(await res.arrayBuffer());
  }
  return WebAssembly.compile(source);
}

/** Instantiate the core over one segment's memory, for this thread. */
export async function instantiateCore(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Core> {
  const instance = await WebAssembly.instantiate(module, { env: { memory, now } });
  const core = instance.exports as unknown as Core;
  core.local_set_can_block(canBlock ? 1 : 0);
  return core;
}
