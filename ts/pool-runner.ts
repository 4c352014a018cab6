// A worker pool's worker side: the loop ts/pool-worker.ts (dist/*/pool-worker.js) runs. It
// says hello, then takes batches of tasks from the task channel until a STOP, and runs each
// task if it was not withdrawn meanwhile; an async task also ends at its abort or timeout.
import { Runtime } from './runtime';
import type { Channel } from './channel';
import type { SharedRegion } from './shm';
import type { AtomicInt } from './atomicint';
import type { Segment } from './segment';
import { TimeoutError, Status } from './errors';
import { rpcCodec } from './rpc-codec';
import { parkOn } from './wait';
import { now, isNode } from './platform';
import { checkSerializable, failure, scalar, type Reply } from './rpc';
import { HELLO, STOP, BATCH_MAX, pack, unpack, type WorkerData } from './pool-workers';
import { profiling, mark, Step } from './profile';

// The running task's signal, on globalThis: the task module may import another copy of the
// library than the worker's bootstrap bundle.
const SIGNAL = Symbol.for('wasm-ipc.taskSignal');
const slot = globalThis as unknown as Record<symbol, (() => AbortSignal) | undefined>;
/** Inside a pool task: its AbortSignal (the run()'s abort, or its timeout). Read it before the first await. */
export function taskSignal(): AbortSignal {
  const get = slot[SIGNAL];
  if (!get) throw new TypeError('taskSignal() is only meaningful inside a pool task, before its first await');
  return get();
}

/**
 * An idle worker's spin before it parks: short. Tasks come from one submitting thread at a
 * time that the workers outnumber or match; a worker spinning for the next task takes the
 * core that thread needs (docs/DESIGN.md, the budget), and a parked one is woken once per
 * burst, not per task (the eventcount wakes only a parked waiter).
 */
const SPIN_ROUNDS = 512;
const LONG_MS = 0.05;

export async function runPoolWorker(): Promise<void> {
  const rt = await Runtime.attach();
  const d = rt.data as WorkerData;
  const mod = await import(d.filename) as Record<string, unknown>;
  const tasks = rt.open<Channel<Uint8Array>>(d.tasks);
  const results = rt.open<Channel<Uint8Array>>(d.results);
  const table = rt.open<SharedRegion>(d.table);
  const started = rt.open<AtomicInt>(d.started);
  tasks.registerAs('receiver');
  const seg = rt.segment();
  const core = seg.core;
  const base = table.dataOffset;
  core.thread_spin_max(SPIN_ROUNDS);
  results.send(pack([rpcCodec.encode([HELLO, d.index, rt.threadId, 0])]));
  // Results go back in batches too: at the end of each task batch, before awaiting an async
  // task (so that finished ones are not held back by it), after a task that ran longer than
  // LONG_MS (batching pays for tiny tasks only), and every BATCH_MAX results.
  let done: Uint8Array[] = [];
  const flush = (): void => {
    if (done.length === 0) return;
    results.send(pack(done));
    done = [];
    if (profiling) mark(Step.send);
  };
  for (let stop = false; !stop;) {
    let bytes = tasks.tryRecv();
    if (bytes !== undefined) { if (profiling) mark(Step.recv); } else {
      if (profiling) mark(Step.idle);
      bytes = tasks.recv();
      if (profiling) mark(Step.idle);
    }
    const batch = unpack(bytes) as [number, string, unknown[], number][];
    if (profiling) mark(Step.decode);
    for (const [id, name, args, timeout] of batch) {
      if (id === STOP) { stop = true; break; }
      if (core.task_start(base, d.mask, id, d.index, Date.now() - d.epoch) !== 1) continue;   // withdrawn
      started.add(1);
      const t0 = now();
      let controller: AbortController | undefined;
      slot[SIGNAL] = () => (controller ??= new AbortController()).signal;
      let reply: Reply;
      try {
        const fn = mod[name];
        if (typeof fn !== 'function') throw new TypeError(`unknown task "${name}": the pool's module exports no such function`);
        let r: unknown;
        try { r = fn(...args); } finally { slot[SIGNAL] = undefined; }
        if (r instanceof Promise) {
          flush();
          r = await settleOrAbort(r, seg, core.task_state_addr(base, d.mask, id), timeout, () => (controller ??= new AbortController()));
        }
        if (!scalar(r)) checkSerializable(r, () => `task "${name}": its result`);
        reply = { ok: r };
      } catch (e) {
        reply = failure(e);
      }
      const ok = 'ok' in reply ? 1 : 0;
      if (profiling) mark(Step.run);
      const ran = now() - t0;
      done.push(rpcCodec.encode([id, ok, ok ? (reply as { ok: unknown }).ok : reply, ran]));
      if (profiling) mark(Step.replyEncode);
      if (done.length === BATCH_MAX || ran > LONG_MS) flush();
    }
    flush();
  }
  rt.close();
  // exit even if the task module left handles open (timers, channels)
  const proc = (globalThis as { process?: { exit(code: number): void } }).process;
  if (isNode && proc) proc.exit(0); else (globalThis as { close?: () => void }).close?.();
}

/** An async task's result, or its abort (the state word gains ABORT) or timeout, whichever comes first. */
async function settleOrAbort(task: Promise<unknown>, seg: Segment, stateAddr: number, timeout: number, controller: () => AbortController): Promise<unknown> {
  const RUNNING = 2;
  const stop = new AbortController();
  const deadline = timeout < 0 ? -1 : now() + timeout;
  const watch = (async () => {
    for (;;) {
      const parked = await parkOn(seg, stateAddr, RUNNING, deadline, stop.signal);
      if (parked === 'aborted') return new Promise<never>(() => {});
      if (parked === 'timeout') {
        const e = new TimeoutError(`the task ran past its timeout of ${timeout} ms`, Status.TIMEOUT);
        controller().abort(e);
        throw e;
      }
      if (seg.word(stateAddr) !== RUNNING) {
        const e = new Error('the task was aborted');
        e.name = 'AbortError';
        controller().abort(e);
        throw e;
      }
    }
  })();
  try { return await Promise.race([task, watch]); } finally { stop.abort(); }
}
