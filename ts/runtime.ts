// The Runtime: this thread's view of the segments it is attached to, and the way threads
// are started already attached. A worker is handed only the segments named in spawn() or
// handle(); it has no reference to the others' memories, which is the isolation boundary
// between workers that do not trust each other.
import { compileCore, type ModuleSource } from './core';
import { Segment, checkSegmentName, type SegmentData, type SegmentOptions, type ObjectInfo, type ThreadInfo } from './segment';
import { check, checkInt, describe, NotFoundError, KindMismatchError, LimitError, DeadPeerError, Status } from './errors';
import { isNode, nodeBuiltin } from './platform';
import { IpcObject, type ObjectData } from './object';
import { Kind, kindName } from './kinds';
import { SharedRegion } from './shm';
import { AtomicInt, AtomicInt64 } from './atomicint';
import { SpinLock, TicketLock, PetersonLock } from './spinlock';
import { Mutex } from './mutex';
import { Semaphore } from './semaphore';
import { MessageQueue } from './mqueue';
import { CondVar, Monitor } from './condvar';
import { Barrier } from './barrier';
import { RwLock } from './rwlock';
import { Snapshot, type SnapshotCodec } from './snapshot';
import { Once, Latch } from './once';
import { Event } from './event';
import { FramePool } from './framepool';
import { Topic, type TopicPolicy } from './topic';
import { Channel } from './channel';
import { Pipe } from './pipe';
import { Port, PortSet, ThreadPort, ThreadSender, checkTid as checkThreadId, type PortMessage } from './port';
import { Server, Connection, listenOn, connectTo, connectToAsync, type ServiceHost, type ConnectOptions } from './service';
import type { DeliverOptions, Delivery } from './receipt';
import type { WaitOptions } from './wait';
import { bytesCodec } from './codec';
import { resolveCodec, type Codec, type CodecName } from './codec';

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

export interface OpenOptions {
  /** The segment to look in. Default: the runtime's first segment. */
  segment?: string;
  /** Fail with AlreadyExistsError if the name exists. */
  exclusive?: boolean;
}

export interface ShmOptions extends OpenOptions {
  /** Bytes of the region. Given: create it if absent; omitted: open an existing one. */
  size?: number;
}

/** A started worker: a Node worker_threads.Worker or a browser Worker. */
export type SpawnedWorker = import("node:worker_threads").Worker | Worker;

type ObjectClass = new (segment: Segment, offset: number, serial: number, name: string | null) => IpcObject;
const classes = new Map<number, ObjectClass>([
  [Kind.shm, SharedRegion], [Kind.atomic, AtomicInt], [Kind.atomic64, AtomicInt64], [Kind.spinlock, SpinLock],
  [Kind.ticketlock, TicketLock], [Kind.peterson, PetersonLock], [Kind.mutex, Mutex], [Kind.semaphore, Semaphore], [Kind.mqueue, MessageQueue],
  [Kind.condvar, CondVar], [Kind.monitor, Monitor], [Kind.barrier, Barrier], [Kind.rwlock, RwLock],
  [Kind.snapshot, Snapshot], [Kind.once, Once], [Kind.latch, Latch], [Kind.channel, Channel],
  [Kind.pipe, Pipe], [Kind.port, Port], [Kind.event, Event], [Kind.framepool, FramePool], [Kind.topic, Topic],
]);

export interface MessageQueueOptions<T = unknown> extends OpenOptions {
  maxMessages?: number;
  maxMessageSize?: number;
  codec?: CodecName | Codec<T>;
}

export interface ChannelOptions<T = unknown> extends OpenOptions {
  /** Slots in the ring (rounded up to a power of two); 0 for a rendezvous; Infinity for unbounded. Default 1024. */
  capacity?: number;
  /** Largest message in bytes. Default 1 MiB. */
  maxMessageSize?: number;
  /** Messages up to this many bytes are copied through the ring; larger ones go through a heap block. Default 56. */
  inlineSize?: number;
  /** 'bytes' (default), 'string', 'json', 'msgpack', or your own { encode, decode }. A per-handle choice. */
  codec?: CodecName | Codec<T>;
  /** One producer thread and one consumer thread: claims without CAS. */
  spsc?: boolean;
}

export interface PortOptions<T = unknown> extends OpenOptions {
  /** Most messages queued before senders block (Mach's limit, 65536, by default). */
  backlog?: number;
  codec?: CodecName | Codec<T>;
}

export interface SemaphoreOptions extends OpenOptions {
  /** Permits at creation. Default 0. */
  initial?: number;
  /** Most permits it may hold (release past it is a RangeError). Default 2^31 - 1; 1 makes it binary. */
  max?: number;
  /** Strong semaphore: permits granted strictly in request order. Default false (weak). */
  fair?: boolean;
}

const F_CREATE = 1;
const F_EXCL = 2;

export class Runtime {
  readonly #module: WebAssembly.Module;
  readonly #segments = new Map<string, Segment>();
  readonly #primary: Segment;
  /** The data the spawner passed (spawn's `data` option); undefined in a root runtime. */
  readonly data: unknown;
  #closed = false;
  #offExit: (() => void) | undefined;

  private constructor(module: WebAssembly.Module, segments: Segment[], data: unknown) {
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

  // ---- objects ----

  /** Create-or-open a named shared memory region (with size), or open one (without). */
  shm(name: string, options: ShmOptions = {}): SharedRegion {
    const create = options.size !== undefined;
    if (create) checkInt(options.size, 'size', 1, 0x7fff_0000);
    const region = this.#open(Kind.shm, name as string, options, create, [options.size ?? 0]) as SharedRegion;
    if (create && region.size !== options.size) {
      region.dispose();
      throw new RangeError(`shm "${name}" exists with size ${region.size}, not ${options.size}`);
    }
    return region;
  }

  /** A 32-bit shared integer (create-or-open; `initial` applies when it is created). */
  atomic(name?: string, options: OpenOptions & { initial?: number } = {}): AtomicInt {
    const v = options.initial ?? 0;
    checkInt(v, 'initial', -0x8000_0000, 0xffff_ffff);
    return this.#open(Kind.atomic, name, options, true, [v >>> 0, v < 0 ? 0xffff_ffff : 0]) as AtomicInt;
  }

  /** A 64-bit shared integer (bigint values). */
  atomic64(name?: string, options: OpenOptions & { initial?: bigint } = {}): AtomicInt64 {
    const v = BigInt.asUintN(64, options.initial ?? 0n);
    return this.#open(Kind.atomic64, name, options, true, [Number(v & 0xffff_ffffn), Number(v >> 32n)]) as AtomicInt64;
  }

  spinLock(name?: string, options: OpenOptions = {}): SpinLock { return this.#open(Kind.spinlock, name, options, true, []) as SpinLock; }
  ticketLock(name?: string, options: OpenOptions = {}): TicketLock { return this.#open(Kind.ticketlock, name, options, true, []) as TicketLock; }
  petersonLock(name?: string, options: OpenOptions = {}): PetersonLock { return this.#open(Kind.peterson, name, options, true, []) as PetersonLock; }
  /** A robust futex mutex. */
  mutex(name?: string, options: OpenOptions = {}): Mutex { return this.#open(Kind.mutex, name, options, true, []) as Mutex; }
  condVar(name?: string, options: OpenOptions = {}): CondVar { return this.#open(Kind.condvar, name, options, true, []) as CondVar; }
  /** A mutex and a condition in one object. */
  monitor(name?: string, options: OpenOptions = {}): Monitor { return this.#open(Kind.monitor, name, options, true, []) as Monitor; }
  /** A writer-preferring read-write lock. */
  rwLock(name?: string, options: OpenOptions = {}): RwLock { return this.#open(Kind.rwlock, name, options, true, []) as RwLock; }
  once(name?: string, options: OpenOptions = {}): Once { return this.#open(Kind.once, name, options, true, []) as Once; }

  /**
   * An event (create-or-open): auto-reset by default (each set() lets one wait through),
   * manual-reset with `manual: true` (set() releases everyone until reset()). `initial`: set
   * when created. `manual` is checked when it is opened.
   */
  event(name?: string, options: OpenOptions & { manual?: boolean; initial?: boolean } = {}): Event {
    for (const k of ['manual', 'initial'] as const) {
      if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new TypeError(`${k} must be a boolean, got ${describe(options[k])}`);
    }
    const ev = this.#open(Kind.event, name, options, true, [options.manual ? 1 : 0, options.initial ? 1 : 0]) as Event;
    if (options.manual !== undefined && ev.manual !== options.manual) {
      ev.dispose();
      throw new RangeError(`event "${name}" exists as ${ev.manual ? 'manual' : 'auto'}-reset`);
    }
    return ev;
  }

  /** A counting semaphore; options apply when it is created, and max/fair are checked when it is opened. */
  semaphore(name?: string, options: SemaphoreOptions = {}): Semaphore {
    const max = options.max ?? 0x7fff_ffff;
    const initial = options.initial ?? 0;
    checkInt(max, 'max', 1, 0x7fff_ffff);
    checkInt(initial, 'initial', 0, max);
    if (options.fair !== undefined && typeof options.fair !== 'boolean') throw new TypeError(`fair must be a boolean, got ${describe(options.fair)}`);
    const sem = this.#open(Kind.semaphore, name, options, true, [initial, max, options.fair ? 1 : 0]) as Semaphore;
    const wrong = (options.max !== undefined && sem.max !== max) ? `max ${sem.max}` : (options.fair !== undefined && sem.fair !== options.fair) ? `fair ${sem.fair}` : '';
    if (wrong) { sem.dispose(); throw new RangeError(`semaphore "${name}" exists with ${wrong}`); }
    return sem;
  }

  /** A reusable barrier for `parties` threads. Without parties: open an existing one. */
  barrier(name?: string, options: OpenOptions & { parties?: number } = {}): Barrier {
    const create = options.parties !== undefined || name === undefined;
    if (create) checkInt(options.parties, 'parties', 1, 0x7fff_ffff);
    const b = this.#open(Kind.barrier, name, options, create, [options.parties ?? 0]) as Barrier;
    return b;
  }

  /** A countdown latch starting at `count`. Without count: open an existing one. */
  latch(name?: string, options: OpenOptions & { count?: number } = {}): Latch {
    const create = options.count !== undefined || name === undefined;
    if (create) checkInt(options.count, 'count', 0, 0x7fff_ffff);
    return this.#open(Kind.latch, name, options, create, [options.count ?? 0]) as Latch;
  }

  /**
   * A channel: a bounded MPMC queue of messages (create-or-open). Options other than codec
   * apply when it is created; capacity is checked when it is opened.
   */
  channel<T = Uint8Array>(name?: string, options: ChannelOptions<T> = {}): Channel<T> {
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);
    const unbounded = options.capacity === Infinity;
    if (!unbounded) checkInt(options.capacity ?? 1024, 'capacity', 0, 1 << 24);
    const rendezvous = options.capacity === 0;
    if ((rendezvous || unbounded) && options.spsc) throw new RangeError('spsc needs a bounded capacity >= 1');
    const capacity = rendezvous || unbounded ? 1 : 2 ** Math.ceil(Math.log2(options.capacity ?? 1024));
    const maxMessageSize = checkInt(options.maxMessageSize ?? 1 << 20, 'maxMessageSize', 1, 0x3fff_fff0);
    const inlineSize = checkInt(options.inlineSize ?? 56, 'inlineSize', 0, 1 << 20);
    if (options.spsc !== undefined && typeof options.spsc !== 'boolean') throw new TypeError(`spsc must be a boolean, got ${describe(options.spsc)}`);
    const ch = this.#open(Kind.channel, name, options, true, [capacity, inlineSize, maxMessageSize, (options.spsc ? 1 : 0) | (rendezvous ? 2 : 0) | (unbounded ? 4 : 0)]) as Channel<T>;
    if (options.capacity !== undefined && ch.capacity !== (rendezvous ? 0 : unbounded ? Infinity : capacity)) {
      ch.dispose();
      throw new RangeError(`channel "${name}" exists with capacity ${ch.capacity}`);
    }
    ch.codec = codec;
    return ch;
  }

  /**
   * A POSIX-style message queue (mq_open): maxMessages (default 10, as Linux) of up to
   * maxMessageSize bytes (default 8192), priorities 0–31. The limits are checked when it is opened.
   */
  messageQueue<T = Uint8Array>(name?: string, options: MessageQueueOptions<T> = {}): MessageQueue<T> {
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);
    const maxMessages = checkInt(options.maxMessages ?? 10, 'maxMessages', 1, 65536);
    const maxMessageSize = checkInt(options.maxMessageSize ?? 8192, 'maxMessageSize', 1, 1 << 24);
    const mq = this.#open(Kind.mqueue, name, options, true, [maxMessages, maxMessageSize]) as MessageQueue<T>;
    const wrong = options.maxMessages !== undefined && mq.maxMessages !== maxMessages ? `maxMessages ${mq.maxMessages}`
      : options.maxMessageSize !== undefined && mq.maxMessageSize !== maxMessageSize ? `maxMessageSize ${mq.maxMessageSize}` : '';
    if (wrong) { mq.dispose(); throw new RangeError(`message queue "${name}" exists with ${wrong}`); }
    mq.codec = codec;
    return mq;
  }

  /** A named pipe (mkfifo): open write ends and read ends with pipe.writer() and pipe.reader(). */
  pipe(name?: string, options: OpenOptions & { capacity?: number } = {}): Pipe {
    checkInt(options.capacity ?? 64, 'capacity', 1, 1 << 20);
    const capacity = 2 ** Math.ceil(Math.log2(options.capacity ?? 64));
    const p = this.#open(Kind.pipe, name, options, true, [capacity]) as Pipe;
    p.codec = bytesCodec;
    return p;
  }

  /**
   * A port (Mach): this thread holds its receive right, and any thread it hands the port to
   * (toData / rt.open, or by name) may send. Opening an existing named port gives a send right.
   */
  port<T = Uint8Array>(name?: string, options: PortOptions<T> = {}): Port<T> {
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);
    const backlog = checkInt(options.backlog ?? 65536, 'backlog', 1, 65536);
    const port = this.#open(Kind.port, name, options, true, [backlog]) as Port<T>;
    port.codec = codec;
    return port;
  }

  /** A port set over ports this thread owns: receive from whichever has a message. */
  portSet<T = Uint8Array>(...ports: Port<T>[]): PortSet<T> {
    const set = new PortSet<T>();
    for (const p of ports) set.add(p);
    return set;
  }

  // ---- direct messages: every thread's default port, addressed by its id ----

  /** How direct messages (send / receiveAny / call by thread id) become bytes: 'bytes' by default. */
  get messageCodec(): Codec<unknown> { return this.#messageCodec; }
  set messageCodec(codec: CodecName | Codec<unknown>) { this.#messageCodec = resolveCodec(codec); }
  #messageCodec: Codec<unknown> = bytesCodec as unknown as Codec<unknown>;
  readonly #ports = new Map<string, ThreadPort<unknown>>();

  /** This thread's default port (receive only), in the first segment or the one named. */
  defaultPort(options: { segment?: string } = {}): ThreadPort<unknown> {
    const seg = this.segment(options.segment);
    let port = this.#ports.get(seg.name);
    if (!port) {
      port = new ThreadPort<unknown>(seg, check(seg.core.port_self(), `thread ${seg.tid}'s default port`), 0, null);
      this.#ports.set(seg.name, port);
    }
    port.codec = this.#messageCodec;
    return port;
  }

  /** A sender of direct messages to thread `tid` (send, trySend, deliver, call and their async forms). */
  to<T = unknown>(tid: number, options: { segment?: string; codec?: CodecName | Codec<T> } = {}): ThreadSender<T> {
    const codec = options.codec === undefined ? this.#messageCodec as Codec<T> : resolveCodec(options.codec);
    return new ThreadSender<T>(this.segment(options.segment), tid, codec);
  }

  /** Send a direct message to thread `tid`'s default port. DeadPeerError if it is not alive. */
  send(tid: number, value: unknown, timeout?: number): void { this.to(tid).send(value, timeout); }
  trySend(tid: number, value: unknown): boolean { return this.to(tid).trySend(value); }
  sendAsync(tid: number, value: unknown, options?: WaitOptions): Promise<void> { return this.to(tid).sendAsync(value, options); }
  /** Send direct and wait for confirmation (see Port.deliver). */
  deliver(tid: number, value: unknown, options?: DeliverOptions): Delivery { return this.to(tid).deliver(value, options); }
  /** Call thread `tid`: it answers with message.reply(). */
  call<R = unknown>(tid: number, value: unknown, timeout?: number): R { return this.to(tid).call<R>(value, timeout); }
  callAsync<R = unknown>(tid: number, value: unknown, options?: WaitOptions): Promise<R> { return this.to(tid).callAsync<R>(value, options); }
  /** The next direct message to this thread, from any sender (message.sender says who). */
  receiveAny(timeout?: number): PortMessage<unknown> { return this.defaultPort().receive(timeout); }
  /** The next direct message to this thread from thread `tid` only. */
  receiveFrom(tid: number, timeout?: number): PortMessage<unknown> { return this.defaultPort().receiveFrom(tid, timeout); }
  tryReceiveAny(): PortMessage<unknown> | undefined { return this.defaultPort().tryReceive(); }
  receiveAnyAsync(options?: WaitOptions & { from?: number }): Promise<PortMessage<unknown>> { return this.defaultPort().receiveAsync(options); }

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

  // ---- services: a named rendezvous point ----

  readonly #host: ServiceHost = { open: <O extends IpcObject>(d: ObjectData) => this.open<O>(d), channel: (n, o) => this.channel(n, o) };

  /**
   * Serve the name: accept() its connections. The name's port is taken, or claimed from a
   * dead server (fail-over); AlreadyExistsError while a live thread listens on it.
   */
  listen<T = Uint8Array>(name: string, options: { segment?: string; codec?: CodecName | Codec<T> } = {}): Server<T> {
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);
    return listenOn(name, this.#open(Kind.port, name, options, true, [65536]) as Port<never>, this.#host, codec);
  }

  /**
   * Connect to the service called `name`: returns once its server accepted, a duplex
   * connection of two channels. NotFoundError if nothing was ever served there,
   * DeadPeerError if its server died, TimeoutError if it does not accept in time.
   */
  connect<T = Uint8Array>(name: string, options: ConnectOptions & { codec?: CodecName | Codec<T> } = {}): Connection<T> {
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);
    return connectTo(name, this.#open(Kind.port, name, options, false, []) as Port<never>, this.#host, codec, options);
  }

  connectAsync<T = Uint8Array>(name: string, options: ConnectOptions & WaitOptions & { codec?: CodecName | Codec<T> } = {}): Promise<Connection<T>> {
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);
    return connectToAsync(name, this.#open(Kind.port, name, options, false, []) as Port<never>, this.#host, codec, options);
  }

  /**
   * A frame pool (create-or-open): `slots` frames of `frameSize` bytes each, handed between
   * threads without copying, with up to `metaSize` bytes (default 256) of meta per frame.
   * Without slots and frameSize: open an existing one.
   */
  framePool<M = unknown>(name?: string, options: OpenOptions & { slots?: number; frameSize?: number; metaSize?: number; codec?: CodecName | Codec<M> } = {}): FramePool<M> {
    const create = options.slots !== undefined || options.frameSize !== undefined || name === undefined;
    if (create) {
      checkInt(options.slots, 'slots', 1, 4096);
      checkInt(options.frameSize, 'frameSize', 1, 0x4000_0000);
    }
    const metaSize = checkInt(options.metaSize ?? 256, 'metaSize', 0, 65536);
    const codec = options.codec === undefined ? undefined : resolveCodec(options.codec);   // before the open: a bad one opens nothing
    const pool = this.#open(Kind.framepool, name, options, create, [options.slots ?? 0, options.frameSize ?? 0, metaSize]) as FramePool<M>;
    if (create && (pool.slots !== options.slots || pool.frameSize !== options.frameSize)) {
      pool.dispose();
      throw new RangeError(`frame pool "${name}" exists with ${pool.slots} slots of ${pool.frameSize} bytes`);
    }
    if (codec !== undefined) pool.codec = codec;
    return pool;
  }

  /**
   * A topic (publish/subscribe, create-or-open): a ring of `capacity` messages (default
   * 1024, a power of two) of up to `maxMessageSize` bytes (default 1024, at most 64 KiB).
   * `policy`: 'block' (default: publishers wait for the slowest subscriber) or 'overwrite'
   * (slow subscribers lose the oldest messages, and are told how many). Checked when opened.
   */
  topic<T = Uint8Array>(name?: string, options: OpenOptions & { capacity?: number; maxMessageSize?: number; policy?: TopicPolicy; codec?: CodecName | Codec<T> } = {}): Topic<T> {
    const capacity = checkInt(options.capacity ?? 1024, 'capacity', 2, 1 << 20);
    const size = 2 ** Math.ceil(Math.log2(capacity));
    const maxMessageSize = checkInt(options.maxMessageSize ?? 1024, 'maxMessageSize', 1, 1 << 16);
    const policy = options.policy ?? 'block';
    if (policy !== 'block' && policy !== 'overwrite') throw new TypeError(`policy must be 'block' or 'overwrite', got ${describe(policy)}`);
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);   // before the open: a bad one opens nothing
    const topic = this.#open(Kind.topic, name, options, true, [size, maxMessageSize, policy === 'overwrite' ? 1 : 0]) as Topic<T>;
    const wrong = options.policy !== undefined && topic.policy !== policy ? `policy '${topic.policy}'`
      : options.capacity !== undefined && topic.capacity !== size ? `capacity ${topic.capacity}` : '';
    if (wrong) { topic.dispose(); throw new RangeError(`topic "${name}" exists with ${wrong}`); }
    topic.codec = codec;
    return topic;
  }

  /** A snapshot: versions published by pointer swap, read wait-free. */
  snapshot<T = unknown>(name?: string, options: OpenOptions & { codec?: SnapshotCodec } = {}): Snapshot<T> {
    const codec = options.codec ?? 'json';
    if (codec !== 'json' && codec !== 'string' && codec !== 'bytes') throw new TypeError(`codec must be 'json', 'string' or 'bytes', got ${describe(codec)}`);
    const snap = this.#open(Kind.snapshot, name, options, true, []) as Snapshot<T>;
    snap.codec = codec;
    return snap;
  }

  /** Create-or-open (or only open) a named object; an unnamed one is created fresh. */
  #open(kind: number, name: string | undefined, options: OpenOptions, create: boolean, params: number[]): IpcObject {
    if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
    const seg = this.segment(options.segment);
    if (name === undefined) {
      const { obj, serial } = seg.createAnonymous(kind, params);
      return new (classes.get(kind)!)(seg, obj, serial, null);
    }
    const flags = (create ? F_CREATE : 0) | (options.exclusive ? F_EXCL : 0);
    const { obj, serial } = seg.open(name, kind, flags, params);
    return new (classes.get(kind)!)(seg, obj, serial, name);
  }

  /** Turn an object's data (from obj.toData(), sent by another thread) back into an object. */
  open<T extends IpcObject = IpcObject>(data: ObjectData): T {
    if (data === null || typeof data !== 'object' || typeof data.kind !== 'number' || typeof data.obj !== 'number' || typeof data.serial !== 'number') {
      throw new TypeError(`expected an object's toData(), got ${describe(data)}`);
    }
    const Cls = classes.get(data.kind);
    if (!Cls) throw new TypeError(`unknown object kind ${data.kind}`);
    const seg = this.segment(data.segment);
    // (obj, serial) names one object, of one kind: data naming another kind would run that kind's code on its memory
    if (seg.core.obj_check(data.obj, data.kind, data.serial) === Status.KIND) {
      throw new KindMismatchError(`${kindName(data.kind)} @${data.obj} in segment "${seg.name}" is another kind of object`, Status.KIND);
    }
    const rc = seg.core.reg_retain(data.obj, data.serial);
    if (rc < 0) throw new NotFoundError(`${kindName(data.kind)} ${data.name === null ? '@' + data.obj : `"${data.name}"`} in segment "${seg.name}" no longer exists`, Status.NOT_FOUND);
    return new Cls(seg, data.obj, data.serial, data.name) as T;
  }

  /** ipcrm: remove the named object of any kind. */
  remove(name: string, options: { segment?: string } = {}): void {
    this.segment(options.segment).remove(name);
  }

  /** ipcs: the objects of every segment this thread is attached to. */
  list(): ObjectInfo[] {
    this.#live();
    return this.segments.flatMap((s) => s.list());
  }

  /** The living threads of every attached segment. */
  threads(): ThreadInfo[] {
    this.#live();
    return this.segments.flatMap((s) => s.threads());
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
