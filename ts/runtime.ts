// The Runtime: this thread's view of the segments it is attached to, and the way threads
// are started already attached. A worker is handed only the segments named in spawn() or
// handle(); it has no reference to the others' memories, which is the isolation boundary
// between workers that do not trust each other.
//
// The objects made in those segments come from the classes Runtime extends: the object
// factories (rt.channel(), rt.mutex(), rt.open() ...: ts/factories.ts), then direct messages
// and services (rt.send(), rt.listen() ...: ts/messaging.ts).
import { compileCore, type ModuleSource } from './core';
import { Segment, checkSegmentName, type SegmentData, type SegmentOptions, type ObjectInfo, type ThreadInfo } from './segment';
import { describe, NotFoundError, LimitError, DeadPeerError, Status } from './errors';
import { isNode, nodeBuiltin } from './platform';
import { checkTid as checkThreadId } from './port';
import { Messaging } from './messaging';

// the factories' option types are part of the runtime's API (ts/index.ts takes them from here)
export type { OpenOptions, ShmOptions, SemaphoreOptions, ChannelOptions, MessageQueueOptions, PortOptions } from './factories';

/** Key of the handle inside workerData (Node) or the first message (browsers). */
const HANDLE_KEY = '__wasmIpc';

/** Everything another thread needs to attach: plain, cloneable data. */
export interface RuntimeHandle {
  module: WebAssembly.Module;
  segments: SegmentData[];
  /** The spawner's own data for the worker (spawn's `data` option). */
  data?: unknown;
}

export interface RuntimeOptions extends SegmentOptions {
  /** Name of the first segment. Default "main". */
  segment?: string;
  /** The compiled core, or its bytes or URL. Default: the module inlined in this bundle. */
  module?: ModuleSource;
}

export interface SpawnOptions {
  /** Names of the segments the worker may see. Default: all of this runtime's. */
  segments?: string[];
  /** Data for the worker, readable there as rt.data. Must be cloneable. */
  data?: unknown;
  /** A name for the worker (shown by debuggers). */
  name?: string;
  /** Node only: options passed to worker_threads.Worker (execArgv, resourceLimits, ...). */
  workerOptions?: Record<string, unknown>;
}

/** A started worker: a Node worker_threads.Worker or a browser Worker. */
export type SpawnedWorker = import("node:worker_threads").Worker | Worker;

export class Runtime extends Messaging {
  readonly #module: WebAssembly.Module;
  readonly #segments = new Map<string, Segment>();
  readonly #primary: Segment;
  /** The data the spawner passed (spawn's `data` option); undefined in a root runtime. */
  readonly data: unknown;
  #closed = false;
  #offExit: (() => void) | undefined;

  private constructor(module: WebAssembly.Module, segments: Segment[], data: unknown) {
    super();
    this.#module = module;
    for (const s of segments) this.#segments.set(s.name, s);
    this.#primary = segments[0]!;
    this.data = data;
  }

  /** Create a runtime with one new segment, in any thread. */
  static async create(options: RuntimeOptions = {}): Promise<Runtime> {
    if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
    const module = await compileCore(options.module);
    const seg = await Segment.create(options.segment ?? 'main', options, module);
    return new Runtime(module, [seg], undefined);
  }

  /**
   * Attach to the segments in a handle. Without one, take the handle from the spawn
   * handshake: workerData in Node, the first message in a browser worker.
   */
  static async attach(handle?: RuntimeHandle): Promise<Runtime> {
    handle ??= await spawnHandle();
    if (!handle || !(handle.module instanceof WebAssembly.Module) || !Array.isArray(handle.segments) || handle.segments.length === 0) {
      throw new TypeError(`handle must come from rt.handle() or rt.spawn(), got ${describe(handle)}`);
    }
    const segments = await Promise.all(handle.segments.map((d) => Segment.attach(d, handle!.module)));
    const rt = new Runtime(handle.module, segments, handle.data);
    if (isNode) {
      // detach at exit; close() takes the listener off, or it would keep the runtime (its memories) alive
      const onExit = (): void => rt.close();
      process.once('exit', onExit);
      rt.#offExit = () => process.off('exit', onExit);
    }
    return rt;
  }

  /** This thread's id in the first segment's thread table. */
  get threadId(): number { return this.#primary.tid; }

  /** The segment called `name` (default: the first one). NotFoundError if this thread is not attached to it. */
  segment(name?: string): Segment {
    this.#live();
    if (name === undefined) return this.#primary;
    checkSegmentName(name);
    const seg = this.#segments.get(name);
    if (!seg) throw new NotFoundError(`segment "${name}" is not attached in this thread`, Status.NOT_FOUND);
    return seg;
  }

  get segments(): Segment[] { return [...this.#segments.values()]; }

  /** Make another segment, e.g. one per pair of communicating workers. */
  async createSegment(name: string, options: SegmentOptions = {}): Promise<Segment> {
    this.#live();
    checkSegmentName(name);
    if (this.#segments.has(name)) throw new RangeError(`segment "${name}" already exists in this runtime`);
    const seg = await Segment.create(name, options, this.#module);
    this.#segments.set(name, seg);
    return seg;
  }

  /** Attach a segment made elsewhere (its memory reached this thread some other way). */
  async attachSegment(data: SegmentData): Promise<Segment> {
    this.#live();
    const seg = await Segment.attach(data, this.#module);
    this.#segments.set(seg.name, seg);
    return seg;
  }

  /** Plain, cloneable data that lets another thread Runtime.attach() to these segments. */
  handle(options: { segments?: string[]; data?: unknown } = {}): RuntimeHandle {
    this.#live();
    const segs = this.#pick(options.segments);
    return { module: this.#module, segments: segs.map((s) => s.data()), data: options.data };
  }

  /**
   * Start a worker already attached to this runtime's segments (or those named). Node:
   * a worker_threads.Worker; browsers: a module Web Worker. The worker's death (exit,
   * crash, terminate) marks it dead in every segment it was handed.
   */
  spawn(url: string | URL, options: SpawnOptions = {}): SpawnedWorker {
    this.#live();
    if (typeof url !== 'string' && !(url instanceof URL)) throw new TypeError(`url must be a string or URL, got ${describe(url)}`);
    const segs = this.#pick(options.segments);
    const tids: number[] = [];
    try {
      for (const s of segs) tids.push(checkTid(s.core.thread_register(0), s));
    } catch (e) {
      segs.forEach((s, i) => tids[i] !== undefined && s.threadExited(tids[i]!));
      throw e;
    }
    const handle: RuntimeHandle = { module: this.#module, segments: segs.map((s, i) => s.data(tids[i])), data: options.data };
    const dead = (): void => segs.forEach((s, i) => s.threadExited(tids[i]!));
    try {
      const wt = nodeBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
      if (wt) {
        const worker = new wt.Worker(url, { ...options.workerOptions, name: options.name, workerData: { [HANDLE_KEY]: handle } });
        worker.once('exit', dead);
        return worker;
      }
      const worker = new Worker(url, { type: 'module', name: options.name });
      const terminate = worker.terminate.bind(worker);
      worker.terminate = () => { terminate(); dead(); };
      worker.postMessage({ [HANDLE_KEY]: handle });
      return worker;
    } catch (e) {
      dead();
      throw e;
    }
  }

  // ---- threads ----

  /** The living threads of every attached segment. */
  threads(): ThreadInfo[] {
    this.#live();
    return this.segments.flatMap((s) => s.threads());
  }

  /**
   * Interrupt thread `tid` (of the first segment, or the one named), the way a signal ends a
   * blocking call: its current blocking wait (recv, lock, wait, receive, ...) ends with
   * InterruptedError and leaves the object as a timeout would. With no wait under way, the
   * interrupt stays pending for its next one. Async waits are cancelled with an AbortSignal
   * instead. DeadPeerError if the thread is not alive.
   */
  interrupt(tid: number, options: { segment?: string } = {}): void {
    const rc = this.segment(options.segment).core.thread_interrupt(checkThreadId(tid));
    if (rc < 0) throw new DeadPeerError(`interrupt(${tid}): no such living thread`, rc);
  }

  // ---- the segments' objects ----

  /** ipcrm: remove the named object of any kind. */
  remove(name: string, options: { segment?: string } = {}): void {
    this.segment(options.segment).remove(name);
  }

  /** ipcs: the objects of every segment this thread is attached to. */
  list(): ObjectInfo[] {
    this.#live();
    return this.segments.flatMap((s) => s.list());
  }

  /** Detach this thread from every segment (it is marked gone). Objects stay. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#offExit?.();
    for (const s of this.#segments.values()) s.detach();
  }

  [Symbol.dispose](): void { this.close(); }

  #pick(names: string[] | undefined): Segment[] {
    if (names === undefined) return this.segments;
    if (!Array.isArray(names) || names.length === 0) throw new TypeError(`segments must be a non-empty array of names, got ${describe(names)}`);
    return names.map((n) => this.segment(n));
  }

  #live(): void {
    if (this.#closed) throw new TypeError('this runtime is closed');
  }
}

function checkTid(rc: number, seg: Segment): number {
  if (rc < 0) throw new LimitError(`segment "${seg.name}": thread table is full`, rc);
  return rc;
}

/** The handle from the spawn handshake, if this thread was started by rt.spawn(). */
async function spawnHandle(): Promise<RuntimeHandle | undefined> {
  const wt = nodeBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
  if (wt) return (wt.workerData as Record<string, RuntimeHandle> | null)?.[HANDLE_KEY];
  const scope = globalThis as unknown as { addEventListener?: Function; removeEventListener?: Function; document?: unknown };
  if (typeof scope.addEventListener !== 'function' || scope.document !== undefined) return undefined;
  return new Promise((resolve) => {
    const onMessage = (e: MessageEvent): void => {
      const h = (e.data as Record<string, RuntimeHandle> | null)?.[HANDLE_KEY];
      if (!h) return;
      e.stopImmediatePropagation();
      scope.removeEventListener!('message', onMessage);
      resolve(h);
    };
    scope.addEventListener!('message', onMessage);
  });
}
