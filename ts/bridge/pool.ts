// BridgedPool: a WorkerPool whose tasks may be taken by the workers of any process.
//
// Tasks travel through a bridged channel `pool-<name>` (a JetStream work queue: see
// ts/bridge/channel.ts), msgpack { i: id, f: function, a: args, t: timeout, r: reply subject }.
// A process that serves (`filename` given) runs a local WorkerPool of `size` worker threads
// and keeps `size` tasks taken at most: it takes a task only when a worker is free, so tasks
// go to whichever process has room. It runs the task in its local pool (through shared
// memory), publishes the result to the caller's reply subject, then acknowledges the task.
// Any process, serving or not, can run().
//  - a task's `timeout` counts from its start, in the process that runs it (TimeoutError), as locally;
//  - a serving process that dies with tasks taken: those tasks are redelivered after `ackWait`
//    and run again elsewhere (at least once; the caller gets the first result and ignores a
//    second). This differs from the local pool, where the task fails with DeadPeerError:
//    across processes nobody can tell a dead process from a slow one before the ack wait;
//  - `signal` aborts the caller's wait (the task may still run somewhere);
//  - the caller's connection dropping fails its pending runs with DeadPeerError (a result
//    published meanwhile would be lost).
// Local fast path: run() on a serving handle while one of its serve loops waits for a task
// (a worker is free) runs the task on its own workers at once, through shared memory, as the
// local pool does (its errors are the local pool's: a dead worker's task fails with
// DeadPeerError, not redelivered); the stream never sees it. Handles that do not serve, and
// other threads of this process, go by the stream.
import type { Subscription } from '@nats-io/transport-node';
import { WorkerPool, ClosedError, msgpackCodec, _checkSerializable, _rpcFailure, _rpcUnpack, type Reply } from '../index';
import type { Bridge } from './bridge';
import { BridgedChannel } from './channel';
import { asLibraryError, checkName, intOf } from './naming';

export interface BridgedPoolOptions {
  /** Serve tasks here: the module whose exported functions are the tasks. */
  filename?: string | URL;
  /** Worker threads of this process's local pool (when serving). Default 2. */
  size?: number;
  /** ms before a task taken by a process that died is redelivered. Default 30000. */
  ackWait?: number;
  /** Tasks queued before run() waits. Default 65536. */
  capacity?: number;
}

type Task = { i: string; f: string; a: unknown[]; t?: number; r: string };
let runs = 0;

export class BridgedPool {
  readonly label: string;
  readonly #bridge: Bridge;
  readonly #tasks: BridgedChannel<Task>;
  readonly #local: WorkerPool | undefined;
  readonly #inbox: string;
  readonly #sub: Subscription;
  readonly #pending = new Map<string, { resolve(v: unknown): void; reject(e: unknown): void }>();
  readonly #forgetDrop: () => void;
  readonly #forget: () => void;
  readonly #loops: Promise<void>[] = [];
  #closed = false;
  #idle = 0;                   // serve loops waiting for a task (a worker free)
  #direct = 0;                 // runs of this handle on its own workers, not through the stream

  private constructor(bridge: Bridge, readonly name: string, tasks: BridgedChannel<Task>, local: WorkerPool | undefined, size: number) {
    this.#bridge = bridge;
    this.label = `bridged pool "${name}"`;
    this.#tasks = tasks;
    this.#local = local;
    this.#inbox = `${bridge.prefix}.poolreply.${bridge.id}.${++runs}`;
    this.#sub = bridge.nc.subscribe(this.#inbox, {
      callback: (err, m) => {
        if (err) return;
        const { i, reply } = msgpackCodec.decode(m.data) as { i: string; reply: Reply };
        const p = this.#pending.get(i);
        if (!p) return;                       // a second result of a redelivered task: dropped
        this.#pending.delete(i);
        try { p.resolve(_rpcUnpack(reply)); } catch (e) { p.reject(asLibraryError(e)); }
      },
    });
    this.#forgetDrop = bridge.onDrop((e) => { for (const [i, p] of this.#pending) { this.#pending.delete(i); p.reject(e); } });
    this.#forget = bridge.own(this);
    if (local) for (let k = 0; k < size; k++) this.#loops.push(this.#serve());
  }

  static async open(bridge: Bridge, name: string, options: BridgedPoolOptions = {}): Promise<BridgedPool> {
    checkName(name);
    const size = intOf(options.size ?? 2, 'size', 1, 256);
    const tasks = await BridgedChannel.open<Task>(bridge, `pool-${name}`, {
      codec: msgpackCodec as never, ackWait: options.ackWait ?? 30_000, capacity: options.capacity ?? 65_536, prefetch: 1,
    });
    const local = options.filename !== undefined ? new WorkerPool({ filename: options.filename, size }) : undefined;
    if (local) await local.ready();
    return new BridgedPool(bridge, name, tasks, local, size);
  }

  /** One of `size` loops: take a task when a worker is free, run it here, reply, acknowledge. */
  async #serve(): Promise<void> {
    while (!this.#closed) {
      let m;
      this.#idle++;
      try { m = await this.#tasks.take(); } catch (e) { if (e instanceof ClosedError || this.#closed) return; continue; } finally { this.#idle--; }
      const task = m.value;
      let reply: Reply;
      try { reply = { ok: await this.#local!.run(task.f, task.a, task.t === undefined ? {} : { timeout: task.t }) }; } catch (e) { reply = _rpcFailure(e); }
      try {
        this.#bridge.nc.publish(task.r, msgpackCodec.encode({ i: task.i, reply }));
        await m.ack();
      } catch { if (this.#closed) return; }
    }
  }

  /** Run the exported function `fn` of the serving processes' module with `args`. */
  async run<R = unknown>(fn: string, args: unknown[] = [], options: { timeout?: number; signal?: AbortSignal } = {}): Promise<R> {
    if (this.#closed) throw new ClosedError(`${this.label}: closed`, -3);
    if (typeof fn !== 'string') throw new TypeError('fn must be the name of an exported function');
    for (let k = 0; k < args.length; k++) _checkSerializable(args[k], () => `${fn}(): argument ${k}`);
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    if (this.#local !== undefined && this.#idle > this.#direct) return this.#runHere<R>(this.#local, fn, args, options);
    const i = `${this.#bridge.id}:${++runs}`;
    const result = new Promise<R>((resolve, reject) => {
      const onAbort = (): void => { if (this.#pending.delete(i)) reject(signal!.reason); };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(i, {
        resolve: (v) => { signal?.removeEventListener('abort', onAbort); resolve(v as R); },
        reject: (e) => { signal?.removeEventListener('abort', onAbort); reject(e); },
      });
    });
    try {
      await this.#tasks.sendAsync({ i, f: fn, a: args, t: options.timeout, r: this.#inbox }, { msgId: i, signal });
    } catch (e) { this.#pending.delete(i); throw e; }
    return result;
  }

  /** The local fast path (see the header): on this handle's own free worker. */
  async #runHere<R>(local: WorkerPool, fn: string, args: unknown[], options: { timeout?: number; signal?: AbortSignal }): Promise<R> {
    this.#direct++;
    try { return await local.run<R>(fn, args, options); } finally { this.#direct--; }
  }

  /** Stop serving and waiting (pending runs get ClosedError); the local workers are stopped. */
  async dispose(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tasks.dispose();
    this.#sub.unsubscribe();
    this.#forgetDrop();
    for (const [i, p] of this.#pending) { this.#pending.delete(i); p.reject(new ClosedError(`${this.label}: closed`, -3)); }
    await this.#local?.destroy();
    this.#forget();
  }

  close(): Promise<void> { return this.dispose(); }
}
