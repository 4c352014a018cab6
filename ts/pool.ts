// WorkerPool: tasks to a pool of workers through shared memory, in Node and browsers.
//
// Tasks go through one MPMC channel, results come back through another, both in the RPC
// wire format (rpc-codec.ts: a frame for small scalars, msgpack for the rest), in batches
// (pool-workers.ts pack): tasks submitted together leave as one message of up to BATCH_MAX,
// as many as the tasks' average run time makes worth it (tiny tasks: 64, a task of 50 µs or
// more: 1, so that long tasks still spread over the workers). Idle workers park in a
// blocking receive (a futex: no polling). Each batch is sent with a receipt
// (assembly/receipt.ts), which the core settles inside the take with the taking thread's id:
// when a worker dies, the task it was running fails, the tasks of its batch it had not
// started are sent again (the task table says which), and the others stay queued. A task table
// (assembly/pool.ts) lets a queued task be withdrawn, a running one be told to abort, and a
// timeout be counted from the task's start. A worker that dies is replaced.
//
// This file is the pool's face and its dispatch (run, queue, withdraw, results, timeouts);
// the workers' start, hello and death are in ts/pool-workers.ts, the loop a worker runs in
// ts/pool-runner.ts, and the figures of stats() in ts/pool-stats.ts.
import { Runtime, type SpawnedWorker } from './runtime';
import type { Channel } from './channel';
import type { SharedRegion } from './shm';
import type { AtomicInt } from './atomicint';
import { ClosedError, DeadPeerError, LimitError, TimeoutError, checkInt, checkTimeout, describe, Status } from './errors';
import { rpcCodec } from './rpc-codec';
import { abortReason } from './wait';
import { now } from './platform';
import { checkSerializable, scalar, unpack, type Reply } from './rpc';
import { PoolWorkers, HELLO, BATCH_MAX, pack, unpack as unpackBatch, type WorkerSlot } from './pool-workers';
import { PoolCounters, type PoolStats } from './pool-stats';
import { profiling, begin, mark, Step } from './profile';

export { taskSignal } from './pool-runner';
export type { PoolStats, Percentiles } from './pool-stats';

export interface WorkerPoolOptions {
  /** The module whose exported functions are the tasks (a path or URL the workers import). */
  filename: string | URL;
  /** Workers. Default: the machine's hardware concurrency. */
  size?: number;
  /** Tasks waiting to start before run() refuses more (LimitError). Default: unlimited. */
  maxQueue?: number;
  /** Run in this runtime's first segment (default: a runtime of the pool's own). */
  runtime?: Runtime;
}

export interface RunOptions {
  /** Abort: a queued task is withdrawn; a running one sees its taskSignal() abort. */
  signal?: AbortSignal;
  /** ms from the moment the task starts running (TimeoutError). */
  timeout?: number;
}

const TABLE = 1 << 16;            // task table entries: tasks in flight stay below this
const RING = 4096;
const WATCHDOG_MS = 10;
const GRACE_MS = 100;             // a synchronous task past its timeout gets this long, then its worker goes

interface Pending {
  id: number;
  name: string;
  bytes: Uint8Array;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  batch?: Batch;                  // undefined until sent
  entered: boolean;               // its table entry is already its own (QUEUED): sent again after its worker died, or back from a full ring
  queuedAt: number;
  timeout: number;                // -1: none
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Tasks sent together: one message, one receipt, dropped once every task has left the books. */
interface Batch { receipt: number; open: number }

const isUrl = (f: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(f);

export class WorkerPool {
  readonly size: number;
  readonly maxQueue: number;
  readonly #filename: string;
  readonly #ready: Promise<void>;
  #started_ = false;
  #rt!: Runtime;
  #ownRuntime = false;
  #tasks!: Channel<Uint8Array>;
  #results!: Channel<Uint8Array>;
  #table!: SharedRegion;
  #started!: AtomicInt;
  #base = 0;
  readonly #workers = new PoolWorkers((index, worker) => this.#died(index, worker));
  readonly #pending = new Map<number, Pending>();
  readonly #overflow = new Fifo<Pending>();   // tasks not sent yet (waiting for a batch, or for room)
  #pumpDue = false;
  #avgRunMs = -1;                              // the tasks' run time (moving average; -1: none yet)
  #nextId = 0;
  #sent = 0;
  #withdrawn = 0;
  #closing = false;
  #destroyed = false;
  readonly #epoch = Date.now();
  readonly #counters = new PoolCounters();
  readonly #drainWaiters: (() => void)[] = [];
  readonly #drainListeners = new Set<() => void>();
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #resultsLoop: Promise<void> | undefined;

  constructor(options: WorkerPoolOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
    const { filename } = options;
    if (typeof filename !== 'string' && !(filename instanceof URL)) throw new TypeError(`filename must be a path or URL, got ${describe(filename)}`);
    const f = String(filename);
    this.#filename = isUrl(f) ? f : new URL(f, `file://${globalThis.process?.cwd?.() ?? ''}/`).href;
    const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 2;
    this.size = checkInt(options.size ?? cores, 'size', 1, 256);
    this.maxQueue = options.maxQueue === undefined || options.maxQueue === Infinity ? Infinity : checkInt(options.maxQueue, 'maxQueue', 0, TABLE / 2);
    this.#ready = this.#start(options.runtime).then(() => { this.#started_ = true; });
    this.#ready.catch(() => {});
  }

  /** The pool's workers now (Node worker_threads Workers, or Web Workers). */
  get workers(): SpawnedWorker[] { return this.#workers.all; }

  /** Resolves once every worker has started (run() waits for it by itself). */
  ready(): Promise<void> { return this.#ready; }

  async #start(runtime: Runtime | undefined): Promise<void> {
    this.#ownRuntime = runtime === undefined;
    this.#rt = runtime ?? await Runtime.create({ size: 4 << 20, maxSize: 1 << 30 });
    const rt = this.#rt;
    this.#tasks = rt.channel<Uint8Array>(undefined, { capacity: RING });
    this.#results = rt.channel<Uint8Array>(undefined, { capacity: RING });
    // Main counts as a peer on both sides of both channels: workers come and go (a dead one
    // is replaced), and the channels must not report the other side gone meanwhile.
    for (const ch of [this.#tasks, this.#results]) { ch.registerAs('sender'); ch.registerAs('receiver'); }
    this.#table = rt.shm(`wasm-ipc.pool.${this.#epoch}.${Math.random().toString(36).slice(2)}`, { size: TABLE * 16 });
    this.#base = this.#table.dataOffset;
    this.#started = rt.atomic();
    const hellos = this.#workers.start(rt, {
      filename: this.#filename, epoch: this.#epoch, mask: TABLE - 1,
      tasks: this.#tasks.toData(), results: this.#results.toData(), table: this.#table.toData(), started: this.#started.toData(),
    }, this.size);
    this.#resultsLoop = this.#collect().catch(() => {});
    await hellos;
  }

  // ---- submitting ----

  /**
   * Run task `name` (an export of the pool's module) with `args` in a worker; resolves with
   * its result. LimitError when maxQueue tasks are already waiting; ClosedError once closed.
   */
  run<R = unknown>(name: string, args: unknown[] = [], options: RunOptions = {}): Promise<R> {
    if (profiling) begin();
    try {
      if (typeof name !== 'string' || name === '') throw new TypeError(`task name must be a non-empty string, got ${describe(name)}`);
      if (!Array.isArray(args)) throw new TypeError(`args must be an array of arguments, got ${describe(args)}`);
      if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
      const ms = checkTimeout(options.timeout), timeout = ms < 0 ? -1 : Math.min(Math.ceil(ms), 0x7fff_ffff);
      for (let k = 0; k < args.length; k++) if (!scalar(args[k])) checkSerializable(args[k], () => `${name}: argument ${k}`);
      if (this.#closing || this.#destroyed) throw new ClosedError('the pool is closed', Status.CLOSED);
      if (this.maxQueue !== Infinity && this.queueDepth >= this.maxQueue) throw new LimitError(`the pool's queue is full (maxQueue ${this.maxQueue}); await pool.drained()`, Status.LIMIT);
      if (options.signal?.aborted) throw abortReason(options.signal);
      if (profiling) mark(Step.request);
      if (!this.#started_) return this.#ready.then(() => this.#submit<R>(name, args, timeout, options.signal));
      return this.#submit<R>(name, args, timeout, options.signal);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #submit<R>(name: string, args: unknown[], timeout: number, signal: AbortSignal | undefined): Promise<R> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));   // aborted while the pool started
    const id = this.#nextId = (this.#nextId + 1) & 0x3fff_ffff;
    this.#wasEmpty = false;
    const bytes = rpcCodec.encode([id, name, args, timeout]);
    if (profiling) mark(Step.encode);
    const promise = new Promise<R>((resolve, reject) => {
      const task: Pending = { id, name, bytes, resolve: resolve as (v: unknown) => void, reject, batch: undefined, entered: false, queuedAt: now(), timeout, signal };
      this.#pending.set(id, task);
      if (signal) {
        task.onAbort = () => this.#abort(task);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      if (profiling) mark(Step.submit);
      this.#overflow.push(task);
      if (this.#overflow.length >= this.#batchSize()) this.#pump();
      else if (!this.#pumpDue) { this.#pumpDue = true; queueMicrotask(() => { this.#pumpDue = false; this.#pump(); }); }
      if (profiling) mark(Step.send);
      if (timeout >= 0) this.#watch();
    });
    if (profiling) mark(Step.submit);
    return promise;
  }

  /** Tasks per batch: as many as fit in ~50 µs of the tasks' average run time (16 before any ran). */
  #batchSize(): number {
    const avg = this.#avgRunMs;
    return avg < 0 ? 16 : Math.max(1, Math.min(BATCH_MAX, Math.floor(0.05 / Math.max(avg, 1e-6))));
  }

  /** Send the unsent tasks, in batches, while the ring (and the table) has room. */
  #pump(): void {
    if (this.#destroyed) return;
    const core = this.#rt.segment().core;
    const most = this.#batchSize();
    for (;;) {
      const batch: Pending[] = [];
      for (let t = this.#overflow.peek(); t !== undefined && batch.length < most; t = this.#overflow.peek()) {
        if (!t.entered && core.task_busy(this.#base, TABLE - 1, t.id) === 1) break;   // its entry still holds a task 2^16 ids older
        if (!t.entered) core.task_queue(this.#base, TABLE - 1, t.id);
        batch.push(this.#overflow.shift()!);
      }
      if (batch.length === 0) return;
      const receipt = this.#tasks.trySendTracked(pack(batch.map((t) => t.bytes)));
      if (receipt === 0) {   // no room: they stay first in line, their entries QUEUED
        for (let i = batch.length - 1; i >= 0; i--) { batch[i]!.entered = true; this.#overflow.unshift(batch[i]!); }
        return;
      }
      const b: Batch = { receipt, open: batch.length };
      for (const t of batch) { t.batch = b; t.entered = false; }
      this.#sent += batch.length;
    }
  }

  /** Tasks waiting to start. */
  get queueDepth(): number {
    if (!this.#table || this.#destroyed) return this.#overflow.length;
    return this.#overflow.length + Math.max(0, this.#sent - this.#withdrawn - this.#started.load());
  }

  // ---- results ----

  async #collect(): Promise<void> {
    const results = this.#results;
    try {
      for (;;) {
        if (profiling) mark(Step.idle);
        for (let b = results.tryRecv(); b !== undefined; b = results.tryRecv()) {
          if (profiling) mark(Step.recv);
          this.#settle(b);
        }
        this.#pump();
        this.#checkDrain();
        if (this.#destroyed) return;
        const b = await results.recvAsync();
        if (profiling) mark(Step.idle);
        this.#settle(b);
      }
    } catch (e) {
      if (!(e instanceof ClosedError) && !this.#destroyed) throw e;
    }
  }

  #settle(bytes: Uint8Array): void {
    for (const r of unpackBatch(bytes)) this.#settleOne(r as [number, number, unknown, number]);
  }

  #settleOne([id, ok, value, runMs]: [number, number, unknown, number]): void {
    if (profiling) mark(Step.replyDecode);
    if (id === HELLO) { this.#workers.hello(ok, value as number); return; }   // [HELLO, index, tid]
    this.#rt.segment().core.task_finish(this.#base, TABLE - 1, id);
    const task = this.#pending.get(id);
    if (!task) return;                                   // aborted or timed out meanwhile
    this.#forget(task);
    this.#counters.ended(task.queuedAt, runMs, ok !== 0);
    this.#avgRunMs = this.#avgRunMs < 0 ? runMs : this.#avgRunMs * 0.9 + runMs * 0.1;
    if (ok) {
      task.resolve(value);
      if (profiling) mark(Step.settleTask);
      return;
    }
    const err = (value as { err?: { name: string; message: string } }).err;
    if (err?.name === 'TimeoutError' && task.timeout >= 0) { task.reject(new TimeoutError(`task "${task.name}": ${err.message}`, Status.TIMEOUT)); return; }
    try { unpack(value as Reply); } catch (e) { task.reject(e); }
  }

  /** A task leaves the books: its abort listener removed, its batch's receipt dropped with the batch's last task. */
  #forget(task: Pending): void {
    this.#pending.delete(task.id);
    this.#leaveBatch(task);
    if (task.onAbort) task.signal!.removeEventListener('abort', task.onAbort);
  }

  #leaveBatch(task: Pending): void {
    const b = task.batch;
    if (b === undefined) return;
    task.batch = undefined;
    if (--b.open === 0) this.#rt.segment().core.receipt_drop(b.receipt);
  }

  #fail(task: Pending, error: unknown): void {
    this.#rt.segment().core.task_finish(this.#base, TABLE - 1, task.id);
    this.#forget(task);
    this.#counters.failed();
    task.reject(error);
  }

  #abort(task: Pending): void {
    if (!this.#pending.has(task.id)) return;
    if (this.#overflow.remove(task)) { if (task.entered) this.#rt.segment().core.task_finish(this.#base, TABLE - 1, task.id); }   // not sent (again)
    else if (this.#rt.segment().core.task_cancel(this.#base, TABLE - 1, task.id) === 1) this.#withdrawn++;
    this.#forget(task);
    this.#counters.failed();
    task.reject(abortReason(task.signal));
    this.#checkDrain();
  }

  // ---- workers dying, timeouts ----

  /** A worker died: the tasks it had taken fail, and another one takes its place. */
  #died(index: number, worker: SpawnedWorker): void {
    if (this.#shutDown) return;                                      // (a late 'error' from a worker of a finished pool)
    const slot = this.#workers.remove(index, worker);
    if (!slot) return;
    this.#failTasksOf(slot);
    if (this.#workers.startFailed(index, this.#started_, this.#filename)) return;
    if (!this.#destroyed && !(this.#closing && this.#pending.size === 0)) void this.#workers.spawn(index).catch(() => {});
    this.#checkDrain();
  }

  /**
   * A dead worker's tasks: the one it ran fails (or the ones that ran and whose results it
   * had not sent yet); those of its batches it had not started are sent again, first in line;
   * queued batches stay for the others.
   */
  #failTasksOf(slot: WorkerSlot): void {
    const core = this.#rt.segment().core;
    const why = slot.timedOut ? 'timed out' : 'died';
    const again: Pending[] = [];
    for (const task of [...this.#pending.values()]) {
      const b = task.batch;
      if (b === undefined || core.receipt_state(b.receipt) === 0) continue;       // not sent, or still queued: another worker takes it
      if (core.receipt_receiver(b.receipt) !== slot.tid) continue;
      const state = core.task_state(this.#base, TABLE - 1, task.id);
      if (state === 1) { this.#leaveBatch(task); task.entered = true; this.#sent--; again.push(task); continue; }   // QUEUED: never started
      if (why === 'timed out' && state === 2) {
        this.#fail(task, new TimeoutError(`task "${task.name}" ran past its timeout of ${task.timeout} ms (its worker was replaced)`, Status.TIMEOUT));
      } else {
        this.#fail(task, new DeadPeerError(`task "${task.name}": its worker (thread ${slot.tid}) died while running it`, Status.DEAD_PEER));
      }
    }
    for (let i = again.length - 1; i >= 0; i--) this.#overflow.unshift(again[i]!);
    this.#pump();
  }

  /** Synchronous tasks cannot be interrupted: past timeout + grace, their worker is terminated. */
  #watch(): void {
    if (this.#watchdog) return;
    this.#watchdog = setInterval(() => {
      const core = this.#rt.segment().core;
      let any = false;
      for (const task of this.#pending.values()) {
        if (task.timeout < 0) continue;
        any = true;
        if (core.task_state(this.#base, TABLE - 1, task.id) !== 2) continue;
        const started = this.#epoch + core.task_start_ms(this.#base, TABLE - 1, task.id);
        if (Date.now() - started < task.timeout + GRACE_MS) continue;
        this.#workers.terminateTimedOut(core.task_worker(this.#base, TABLE - 1, task.id));
      }
      if (!any) { clearInterval(this.#watchdog); this.#watchdog = undefined; }
    }, WATCHDOG_MS);
    (this.#watchdog as { unref?: () => void }).unref?.();
  }

  // ---- back-pressure ----

  /** Resolves when no task is waiting to start. */
  drained(): Promise<void> {
    if (this.queueDepth === 0) return Promise.resolve();
    return new Promise((r) => this.#drainWaiters.push(r));
  }

  /** 'drain': called each time the queue empties. */
  on(event: 'drain', listener: () => void): this {
    if (event !== 'drain') throw new TypeError(`unknown event ${describe(event)}`);
    this.#drainListeners.add(listener);
    return this;
  }
  off(event: 'drain', listener: () => void): this { this.#drainListeners.delete(listener); return this; }

  #wasEmpty = true;
  #checkDrain(): void {
    if (this.queueDepth !== 0) return;
    for (const r of this.#drainWaiters.splice(0)) r();
    if (!this.#wasEmpty) for (const l of this.#drainListeners) l();
    this.#wasEmpty = true;
  }

  // ---- shutdown, stats ----

  /** Finish every queued and running task, then stop the workers. run() is refused from now on. */
  async close(): Promise<void> {
    if (this.#closing || this.#destroyed) return;
    this.#closing = true;
    await this.#ready;
    while (this.#pending.size > 0) await new Promise((r) => setTimeout(r, 1));
    await this.#workers.stop(this.#tasks);
    await this.#shutdown();
  }

  /** Stop now: workers are terminated and every pending task rejects with ClosedError. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.#ready.catch(() => {});
    for (const task of [...this.#pending.values()]) this.#fail(task, new ClosedError(`task "${task.name}": the pool was destroyed`, Status.CLOSED));
    this.#overflow.clear();
    await this.#workers.terminate();
    await this.#shutdown();
  }

  #shutDown = false;
  async #shutdown(): Promise<void> {
    this.#destroyed = true;
    this.#shutDown = true;
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#results.close();          // the results loop ends
    await this.#resultsLoop;
    this.#tasks.dispose();
    this.#results.dispose();
    this.#table.remove();
    this.#started.dispose();
    if (this.#ownRuntime) this.#rt.close();
  }

  stats(): PoolStats { return this.#counters.stats(this.#workers.count, this.size, this.queueDepth); }
}

/** A FIFO with O(1) shift (an array and a head index, compacted as it drains). */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  get length(): number { return this.#items.length - this.#head; }
  push(x: T): void { this.#items.push(x); }
  /** Put x back first in line. */
  unshift(x: T): void { if (this.#head > 0) this.#items[--this.#head] = x; else this.#items.unshift(x); }
  peek(): T | undefined { return this.#head < this.#items.length ? this.#items[this.#head] : undefined; }
  shift(): T | undefined {
    const x = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) { this.#items = this.#items.slice(this.#head); this.#head = 0; }
    return x;
  }
  /** Take x out wherever it is (an aborted task): true if it was there. */
  remove(x: T): boolean {
    const at = this.#items.indexOf(x, this.#head);
    if (at < 0) return false;
    this.#items.splice(at, 1);
    return true;
  }
  clear(): void { this.#items = []; this.#head = 0; }
}
