// The worker pool's task table: who runs which task, so that a queued task can be withdrawn,
// a running one aborted, and a timeout counted from the moment the task started.
// A table is an array of entries [id][state][worker][start ms] in a shared region, indexed
// by id & mask; the pool keeps fewer tasks in flight than entries, so ids never collide.
//
//   FREE ──task_queue (main, before it sends the task)──▶ QUEUED
//   QUEUED ──task_start (the worker that took it)──▶ RUNNING(worker, start)
//   QUEUED ──task_cancel (main: aborted while queued)──▶ CANCELLED ──the worker that takes
//            it skips it──▶ FREE
//   RUNNING ──task_cancel──▶ RUNNING | ABORT (the worker, parked on the state word while an
//            async task runs, wakes and aborts the task's signal)
//   RUNNING ──task_finish (main, once the result is in, or the worker died)──▶ FREE
// Every transition is a CAS on the state word, so a withdraw and a start never both win.
const E_ID: usize = 0;
const E_STATE: usize = 4;
const E_WORKER: usize = 8;
const E_START: usize = 12;
const FREE: u32 = 0;
const QUEUED: u32 = 1;
const RUNNING: u32 = 2;
const CANCELLED: u32 = 3;
const ABORT: u32 = 4;

@inline function entry(table: usize, mask: u32, id: u32): usize { return table + (<usize>(id & mask) << 4); }

export function task_queue(table: usize, mask: u32, id: u32): void {
  const e = entry(table, mask, id);
  store<u32>(e, id, E_ID);
  atomic.store<u32>(e, QUEUED, E_STATE);
}

/** The worker that took task id starts it: 1, or 0 if it was withdrawn (it is skipped). */
export function task_start(table: usize, mask: u32, id: u32, worker: u32, startMs: u32): i32 {
  const e = entry(table, mask, id);
  if (load<u32>(e, E_ID) != id) return 0;
  store<u32>(e, worker, E_WORKER);
  store<u32>(e, startMs, E_START);
  if (atomic.cmpxchg<u32>(e + E_STATE, QUEUED, RUNNING) == QUEUED) return 1;
  atomic.cmpxchg<u32>(e + E_STATE, CANCELLED, FREE);
  return 0;
}

/** Abort task id: 1 withdrawn from the queue, 2 running (its worker is told), 0 neither. */
export function task_cancel(table: usize, mask: u32, id: u32): i32 {
  const e = entry(table, mask, id);
  if (load<u32>(e, E_ID) != id) return 0;
  if (atomic.cmpxchg<u32>(e + E_STATE, QUEUED, CANCELLED) == QUEUED) return 1;
  if (atomic.cmpxchg<u32>(e + E_STATE, RUNNING, RUNNING | ABORT) == RUNNING) {
    atomic.notify(e + E_STATE, i32.MAX_VALUE);
    return 2;
  }
  return 0;
}

/** The state word of task id's entry (the worker's abort watch parks on it), its value via task_state. */
export function task_state_addr(table: usize, mask: u32, id: u32): usize { return entry(table, mask, id) + E_STATE; }
export function task_state(table: usize, mask: u32, id: u32): u32 {
  const e = entry(table, mask, id);
  return load<u32>(e, E_ID) == id ? atomic.load<u32>(e, E_STATE) : FREE;
}
export function task_worker(table: usize, mask: u32, id: u32): u32 { return load<u32>(entry(table, mask, id), E_WORKER); }
export function task_start_ms(table: usize, mask: u32, id: u32): u32 { return load<u32>(entry(table, mask, id), E_START); }

/** 1 while the entry task id would use still holds another task (2^16 ids older). */
export function task_busy(table: usize, mask: u32, id: u32): i32 { return atomic.load<u32>(entry(table, mask, id), E_STATE) != FREE ? 1 : 0; }

/** Main is done with task id (its result is in, or it failed). */
export function task_finish(table: usize, mask: u32, id: u32): void {
  const e = entry(table, mask, id);
  if (load<u32>(e, E_ID) == id) atomic.store<u32>(e, FREE, E_STATE);
}
