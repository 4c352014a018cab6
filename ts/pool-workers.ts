// A worker pool's workers, main side: started, their hello (which thread each one is),
// their death, a replacement's start, and their end at close() or destroy(). What to do
// with a dead worker's tasks, and whether to replace it, is the pool's (ts/pool.ts).
import type { Runtime, SpawnedWorker } from './runtime';
import type { Channel } from './channel';
import type { ObjectData } from './object';
import { rpcCodec } from './rpc-codec';

// ---- what main and a worker say to each other (the worker side: ts/pool-runner.ts) ----

/** What a worker is handed (its rt.data). */
export interface WorkerData {
  filename: string; index: number; epoch: number; mask: number;
  tasks: ObjectData; results: ObjectData; table: ObjectData; started: ObjectData;
}

export const STOP = -1;                  // a task id that tells a worker to exit
export const HELLO = -1;                 // a result id: a worker says which thread it is
export const BATCH_MAX = 64;             // tasks (results) in one batch at most

/**
 * A batch: several tasks (or results), each encoded on its own (rpcCodec), in one channel
 * message and one core call, with one receipt and one wake-up. [count u32][length u32 ×
 * count][the encodings, one after another].
 */
export function pack(items: readonly Uint8Array[]): Uint8Array {
  let size = 4 + 4 * items.length;
  for (const b of items) size += b.length;
  const out = new Uint8Array(size);
  const n = items.length;
  out[0] = n; out[1] = n >>> 8; out[2] = n >>> 16; out[3] = n >>> 24;
  let at = 4 + 4 * n;
  for (let i = 0; i < n; i++) {
    const b = items[i]!, len = b.length, h = 4 + 4 * i;
    out[h] = len; out[h + 1] = len >>> 8; out[h + 2] = len >>> 16; out[h + 3] = len >>> 24;
    out.set(b, at);
    at += len;
  }
  return out;
}

const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** The items of a batch, decoded, in order. */
export function unpack(batch: Uint8Array): unknown[] {
  const n = u32(batch, 0);
  const out = new Array<unknown>(n);
  for (let i = 0, at = 4 + 4 * n; i < n; i++) {
    const len = u32(batch, 4 + 4 * i);
    out[i] = rpcCodec.decode(batch.subarray(at, at + len));
    at += len;
  }
  return out;
}

// ---- main side ----

/** A running worker: its thread id (from its hello; 0 before), and whether the watchdog ended it. */
export interface WorkerSlot { worker: SpawnedWorker; tid: number; timedOut: boolean }

export class PoolWorkers {
  #rt!: Runtime;
  #data!: Omit<WorkerData, 'index'>;
  readonly #onDeath: (index: number, worker: SpawnedWorker) => void;
  readonly #slots: (WorkerSlot | undefined)[] = [];
  /** Workers that have not said hello yet: a death before it is a start-up failure (the module did not load). */
  readonly #helloWaiters = new Map<number, { resolve(): void; reject(e: Error): void }>();
  #startError: Error | undefined;
  #earlyDeaths = 0;

  /** `onDeath`: a worker exited, crashed or was terminated (once per worker). */
  constructor(onDeath: (index: number, worker: SpawnedWorker) => void) {
    this.#onDeath = onDeath;
  }

  /** Start `size` workers in rt's first segment, each handed `data` and its index: resolves once all said hello. */
  start(rt: Runtime, data: Omit<WorkerData, 'index'>, size: number): Promise<void[]> {
    this.#rt = rt;
    this.#data = data;
    const hellos: Promise<void>[] = [];
    for (let i = 0; i < size; i++) hellos.push(this.spawn(i));
    return Promise.all(hellos);
  }

  /** The workers now (Node worker_threads Workers, or Web Workers). */
  get all(): SpawnedWorker[] { return this.#slots.flatMap((w) => (w ? [w.worker] : [])); }

  get count(): number { return this.#slots.filter(Boolean).length; }

  at(index: number): WorkerSlot | undefined { return this.#slots[index]; }

  /** Start worker `index` (at the pool's start, or in a dead one's place): resolves at its hello. */
  spawn(index: number): Promise<void> {
    const data: WorkerData = { ...this.#data, index };
    const worker = this.#rt.spawn(new URL('./pool-worker.js', import.meta.url), { data, name: `wasm-ipc pool worker ${index}` });
    this.#slots[index] = { worker, tid: 0, timedOut: false };
    const died = (): void => this.#onDeath(index, worker);
    if ('once' in worker) worker.once('exit', died);
    else worker.addEventListener('error', (e) => { e.preventDefault(); worker.terminate(); died(); });
    if ('once' in worker) worker.once('error', (e: Error) => { this.#startError ??= e; });
    return new Promise((resolve, reject) => this.#helloWaiters.set(index, { resolve, reject }));
  }

  /** Worker `index` said hello: it runs, as thread `tid`. */
  hello(index: number, tid: number): void {
    this.#slots[index]!.tid = tid;
    this.#helloWaiters.get(index)?.resolve();
    this.#helloWaiters.delete(index);
    this.#earlyDeaths = 0;
  }

  /** Take out dead worker `index`'s slot; undefined if the slot holds another worker already. */
  remove(index: number, worker: SpawnedWorker): WorkerSlot | undefined {
    const slot = this.#slots[index];
    if (!slot || slot.worker !== worker) return undefined;
    this.#slots[index] = undefined;
    return slot;
  }

  /**
   * Dead worker `index` had not said hello. At the pool's start, or after several
   * replacements in a row died so, its module does not load: its start fails, and true says
   * not to replace it rather than respawn for ever.
   */
  startFailed(index: number, poolStarted: boolean, filename: string): boolean {
    const starting = this.#helloWaiters.get(index);
    if (!starting) return false;
    this.#helloWaiters.delete(index);
    if (!poolStarted || ++this.#earlyDeaths > 8) {
      const why = this.#startError?.message ?? 'it exited at start-up';
      starting.reject(new TypeError(`pool worker ${index} could not start (${filename}): ${why}`));
      return true;
    }
    starting.resolve();
    return false;
  }

  /** The watchdog's verdict: worker `index` runs a synchronous task past its timeout. */
  terminateTimedOut(index: number): void {
    const slot = this.#slots[index];
    if (slot && !slot.timedOut) {
      slot.timedOut = true;
      void slot.worker.terminate();
      if (!('once' in slot.worker)) this.#onDeath(index, slot.worker);   // a Web Worker says nothing once terminated
    }
  }

  /** close(): a STOP to each worker through the task channel, then wait until they exited. */
  async stop(tasks: Channel<Uint8Array>): Promise<void> {
    const stops = this.#slots.map(() => pack([rpcCodec.encode([STOP, '', [], -1])]));
    for (const s of stops) await tasks.sendAsync(s);
    await Promise.all(this.#slots.map((w) => w && exited(w.worker)));
  }

  /** destroy(): terminate every worker now. */
  async terminate(): Promise<void> {
    await Promise.all(this.#slots.map((w) => w?.worker.terminate()));
  }
}

function exited(worker: SpawnedWorker): Promise<void> {
  if ('once' in worker) return new Promise((r) => worker.once('exit', () => r()));
  return Promise.resolve();
}
