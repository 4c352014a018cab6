// The object factories: rt.shm(), rt.channel(), rt.port() ... one a kind, each checking its
// options, creating or opening the object in a segment and checking what it found; and
// rt.open(), which turns an object's data from another thread back into an object. Runtime
// extends this class: it only has to say which segment a name is looked up in.
import type { Segment } from './segment';
import { checkInt, describe, NotFoundError, KindMismatchError, Status } from './errors';
import type { IpcObject, ObjectData } from './object';
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
import { Port, PortSet } from './port';
import { bytesCodec, resolveCodec, type Codec, type CodecName } from './codec';

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
  /** false: open an existing port only (NotFoundError if there is none), never make one. Default true. */
  create?: boolean;
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

type ObjectClass = new (segment: Segment, offset: number, serial: number, name: string | null) => IpcObject;
const classes = new Map<number, ObjectClass>([
  [Kind.shm, SharedRegion], [Kind.atomic, AtomicInt], [Kind.atomic64, AtomicInt64], [Kind.spinlock, SpinLock],
  [Kind.ticketlock, TicketLock], [Kind.peterson, PetersonLock], [Kind.mutex, Mutex], [Kind.semaphore, Semaphore], [Kind.mqueue, MessageQueue],
  [Kind.condvar, CondVar], [Kind.monitor, Monitor], [Kind.barrier, Barrier], [Kind.rwlock, RwLock],
  [Kind.snapshot, Snapshot], [Kind.once, Once], [Kind.latch, Latch], [Kind.channel, Channel],
  [Kind.pipe, Pipe], [Kind.port, Port], [Kind.event, Event], [Kind.framepool, FramePool], [Kind.topic, Topic],
]);

const F_CREATE = 1;
const F_EXCL = 2;

/** Create-or-open (or only open) a named object; an unnamed one is created fresh. */
export function openObject(rt: ObjectFactories, kind: number, name: string | undefined, options: OpenOptions, create: boolean, params: number[]): IpcObject {
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
  const seg = rt.segment(options.segment);
  if (name === undefined) {
    const { obj, serial } = seg.createAnonymous(kind, params);
    return new (classes.get(kind)!)(seg, obj, serial, null);
  }
  const flags = (create ? F_CREATE : 0) | (options.exclusive ? F_EXCL : 0);
  const { obj, serial } = seg.open(name, kind, flags, params);
  return new (classes.get(kind)!)(seg, obj, serial, name);
}

export abstract class ObjectFactories {
  /** The segment called `name` (default: the first one). */
  abstract segment(name?: string): Segment;

  /** Create-or-open a named shared memory region (with size), or open one (without). */
  shm(name: string, options: ShmOptions = {}): SharedRegion {
    const create = options.size !== undefined;
    if (create) checkInt(options.size, 'size', 1, 0x7fff_0000);
    const region = openObject(this, Kind.shm, name as string, options, create, [options.size ?? 0]) as SharedRegion;
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
    return openObject(this, Kind.atomic, name, options, true, [v >>> 0, v < 0 ? 0xffff_ffff : 0]) as AtomicInt;
  }

  /** A 64-bit shared integer (bigint values). */
  atomic64(name?: string, options: OpenOptions & { initial?: bigint } = {}): AtomicInt64 {
    const v = BigInt.asUintN(64, options.initial ?? 0n);
    return openObject(this, Kind.atomic64, name, options, true, [Number(v & 0xffff_ffffn), Number(v >> 32n)]) as AtomicInt64;
  }

  spinLock(name?: string, options: OpenOptions = {}): SpinLock { return openObject(this, Kind.spinlock, name, options, true, []) as SpinLock; }
  ticketLock(name?: string, options: OpenOptions = {}): TicketLock { return openObject(this, Kind.ticketlock, name, options, true, []) as TicketLock; }
  petersonLock(name?: string, options: OpenOptions = {}): PetersonLock { return openObject(this, Kind.peterson, name, options, true, []) as PetersonLock; }
  /** A robust futex mutex. */
  mutex(name?: string, options: OpenOptions = {}): Mutex { return openObject(this, Kind.mutex, name, options, true, []) as Mutex; }
  condVar(name?: string, options: OpenOptions = {}): CondVar { return openObject(this, Kind.condvar, name, options, true, []) as CondVar; }
  /** A mutex and a condition in one object. */
  monitor(name?: string, options: OpenOptions = {}): Monitor { return openObject(this, Kind.monitor, name, options, true, []) as Monitor; }
  /** A writer-preferring read-write lock. */
  rwLock(name?: string, options: OpenOptions = {}): RwLock { return openObject(this, Kind.rwlock, name, options, true, []) as RwLock; }
  once(name?: string, options: OpenOptions = {}): Once { return openObject(this, Kind.once, name, options, true, []) as Once; }

  /**
   * An event (create-or-open): auto-reset by default (each set() lets one wait through),
   * manual-reset with `manual: true` (set() releases everyone until reset()). `initial`: set
   * when created. `manual` is checked when it is opened.
   */
  event(name?: string, options: OpenOptions & { manual?: boolean; initial?: boolean } = {}): Event {
    for (const k of ['manual', 'initial'] as const) {
      if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new TypeError(`${k} must be a boolean, got ${describe(options[k])}`);
    }
    const ev = openObject(this, Kind.event, name, options, true, [options.manual ? 1 : 0, options.initial ? 1 : 0]) as Event;
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
    const sem = openObject(this, Kind.semaphore, name, options, true, [initial, max, options.fair ? 1 : 0]) as Semaphore;
    const wrong = (options.max !== undefined && sem.max !== max) ? `max ${sem.max}` : (options.fair !== undefined && sem.fair !== options.fair) ? `fair ${sem.fair}` : '';
    if (wrong) { sem.dispose(); throw new RangeError(`semaphore "${name}" exists with ${wrong}`); }
    return sem;
  }

  /** A reusable barrier for `parties` threads. Without parties: open an existing one. */
  barrier(name?: string, options: OpenOptions & { parties?: number } = {}): Barrier {
    const create = options.parties !== undefined || name === undefined;
    if (create) checkInt(options.parties, 'parties', 1, 0x7fff_ffff);
    const b = openObject(this, Kind.barrier, name, options, create, [options.parties ?? 0]) as Barrier;
    return b;
  }

  /** A countdown latch starting at `count`. Without count: open an existing one. */
  latch(name?: string, options: OpenOptions & { count?: number } = {}): Latch {
    const create = options.count !== undefined || name === undefined;
    if (create) checkInt(options.count, 'count', 0, 0x7fff_ffff);
    return openObject(this, Kind.latch, name, options, create, [options.count ?? 0]) as Latch;
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
    const ch = openObject(this, Kind.channel, name, options, true, [capacity, inlineSize, maxMessageSize, (options.spsc ? 1 : 0) | (rendezvous ? 2 : 0) | (unbounded ? 4 : 0)]) as Channel<T>;
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
    const mq = openObject(this, Kind.mqueue, name, options, true, [maxMessages, maxMessageSize]) as MessageQueue<T>;
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
    const p = openObject(this, Kind.pipe, name, options, true, [capacity]) as Pipe;
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
    if (options.create === false && name === undefined) throw new TypeError('port(): create: false needs a name');
    const port = openObject(this, Kind.port, name, options, options.create ?? true, [backlog]) as Port<T>;
    port.codec = codec;
    return port;
  }

  /** A port set over ports this thread owns: receive from whichever has a message. */
  portSet<T = Uint8Array>(...ports: Port<T>[]): PortSet<T> {
    const set = new PortSet<T>();
    for (const p of ports) set.add(p);
    return set;
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
    const pool = openObject(this, Kind.framepool, name, options, create, [options.slots ?? 0, options.frameSize ?? 0, metaSize]) as FramePool<M>;
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
    const topic = openObject(this, Kind.topic, name, options, true, [size, maxMessageSize, policy === 'overwrite' ? 1 : 0]) as Topic<T>;
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
    const snap = openObject(this, Kind.snapshot, name, options, true, []) as Snapshot<T>;
    snap.codec = codec;
    return snap;
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
}
