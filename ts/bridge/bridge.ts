// Bridge: one runtime's connection to a NATS cluster, and the factory of the bridged objects.
//
// `await Bridge.connect(rt, { servers, name })` opens one NATS connection (reconnecting for
// ever, 250 ms apart, to any server of the list) and a JetStream context over it. Every
// bridged object made from it shares that connection; `close()` drains it (subscriptions end,
// buffered publishes are flushed) and disposes of every object it made.
//
// Subjects and streams are namespaced by `prefix` (default 'wipc'): `<prefix>.<kind>.<name>`
// and `<prefix>_<kind>_<name>`, so several applications can share one cluster.
//
// Only the thread that connected uses the connection: bridged objects are handles of this
// thread (a worker thread that needs one connects a bridge of its own). Local objects
// (`rt.channel(...)` and the rest) are never touched by the bridge: a message between two
// threads of one process through a local object stays in shared memory. Every bridge on one
// runtime's segment (the threads of one process) shares one `origin`, kept in the segment:
// a bridged topic hands its messages to the subscribers of the same segment through shared
// memory, and their NATS subscriptions drop the copies that came from their own origin.
//
// When the connection drops, every pending call (bridged RPC, pool task) fails at once with
// DeadPeerError (its request or its reply may be lost with the connection); sends and
// receives of JetStream-backed kinds keep retrying until they succeed or their own timeout.
import { connect, nuid, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { ClosedError, DeadPeerError, type AtomicInt64, type Runtime } from '../index';
import { checkName, errorFrom, HEADROOM } from './naming';
import { BridgedChannel, type BridgedChannelOptions } from './channel';
import { BridgedPort } from './port';
import { BridgedTopic } from './topic';
import { BridgedBlockingTopic, type BlockingTopicOptions } from './topic-block';
import { BridgedMessageQueue, type BridgedMqOptions } from './mqueue';
import { BridgedPool, type BridgedPoolOptions } from './pool';
import type { Codec, CodecName } from '../index';

export interface BridgeOptions {
  /** NATS server URL(s): 'nats://host:4222' or a list (any member of a cluster will do). */
  servers: string | string[];
  /** This client's name, as the server's monitoring shows it. */
  name?: string;
  /** Subject and stream prefix (one token). Default 'wipc'. */
  prefix?: string;
  /** Replicas of the JetStream streams this bridge creates (a clustered JetStream: 3). Default 1. */
  replicas?: number;
  /** Other options handed to the NATS client as they are (user, pass, token, tls, ...). */
  nats?: Record<string, unknown>;
}

/** Something the bridge closes with itself. */
export interface Closable { dispose(): void | Promise<void> }

export class Bridge {
  readonly rt: Runtime;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly prefix: string;
  readonly replicas: number;
  /** This bridge's unique id (message ids and reply subjects are made from it). */
  readonly id: string = nuid.next();
  readonly #objects = new Set<Closable>();
  readonly #onDrop = new Set<(e: Error) => void>();
  #closed = false;
  #origin: AtomicInt64 | undefined;
  #originToken = '';

  private constructor(rt: Runtime, nc: NatsConnection, jsm: JetStreamManager, prefix: string, replicas: number) {
    this.rt = rt;
    this.nc = nc;
    this.jsm = jsm;
    this.js = jetstream(nc);
    this.prefix = prefix;
    this.replicas = replicas;
    // answered while this bridge is connected: how others tell a dead process from a slow one (alive())
    nc.subscribe(`${prefix}.alive.${this.id}`, { callback: (_e, m) => { m.respond(); } });
    void this.#watch();
  }

  /** Join `rt` to the NATS cluster at `servers`. */
  static async connect(rt: Runtime, options: BridgeOptions): Promise<Bridge> {
    if (rt === null || typeof rt !== 'object') throw new TypeError('rt must be a Runtime');
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object with servers');
    const { servers, name, prefix = 'wipc', replicas = 1, nats = {} } = options;
    const list = Array.isArray(servers) ? servers : [servers];
    if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) throw new TypeError('servers must be a URL string or a non-empty list of them');
    checkName(prefix, 'prefix');
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) throw new RangeError(`replicas must be an integer in [1, 5], got ${String(replicas)}`);
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: list, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, ...nats });
    } catch (e) {
      throw errorFrom(e, `Bridge.connect(${list.join(', ')})`);
    }
    try {
      return new Bridge(rt, nc, await jetstreamManager(nc), prefix, replicas);
    } catch (e) {
      await nc.close();
      throw errorFrom(e, `Bridge.connect(${list.join(', ')}): JetStream (is the server started with -js?)`);
    }
  }

  /**
   * A subject token naming this runtime's segment (the same for every bridge of its threads):
   * 64 random bits, made once in the segment itself by whichever bridge asks first.
   */
  get origin(): string {
    if (this.#originToken === '') {
      const word = this.#origin = this.rt.atomic64(`${this.prefix}.nats.origin`);
      const mine = (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32)) | 1n;
      const was = word.compareExchange(0n, mine);
      this.#originToken = BigInt.asUintN(64, was === 0n ? mine : was).toString(36);
    }
    return this.#originToken;
  }

  /** The largest payload the server accepts, less room for headers. */
  get maxPayload(): number { return this.nc.info ? this.nc.info.max_payload - HEADROOM : 1 << 20; }

  get closed(): boolean { return this.#closed; }

  /** Whether the bridge `id` is connected now: false only when the server says nobody answers for it. */
  async alive(id: string): Promise<boolean> {
    try {
      await this.nc.request(`${this.prefix}.alive.${id}`, undefined, { timeout: 2000 });
      return true;
    } catch (e) {
      return !(errorFrom(e, 'alive()') instanceof DeadPeerError);
    }
  }

  /** ClosedError once close() began. */
  live(what: string): void {
    if (this.#closed) throw new ClosedError(`${what}: the bridge is closed`, -3);
  }

  /** Register an object to dispose of at close(); returns a function that forgets it. */
  own(o: Closable): () => void {
    this.#objects.add(o);
    return () => this.#objects.delete(o);
  }

  /** Call `fail` when the connection drops (pending calls); returns a function that forgets it. */
  onDrop(fail: (e: Error) => void): () => void {
    this.#onDrop.add(fail);
    return () => this.#onDrop.delete(fail);
  }

  async #watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        const e = new DeadPeerError(`the connection to the NATS server (${String((s as { server?: string }).server ?? '')}) dropped while the call was pending: it may or may not have run`, -16);
        for (const fail of [...this.#onDrop]) fail(e);
      }
    }
  }

  /** A channel whose receivers may be in any process (a JetStream work queue: ts/bridge/channel.ts). */
  channel<T = Uint8Array>(name: string, options?: BridgedChannelOptions<T>): Promise<BridgedChannel<T>> {
    return BridgedChannel.open<T>(this, name, options);
  }

  /** A port whose receivers (and RPC exposers) may be in any process (core NATS request/reply: ts/bridge/port.ts). */
  port<T = Uint8Array>(name: string, options?: { codec?: CodecName | Codec<T> }): BridgedPort<T> {
    return new BridgedPort<T>(this, name, options);
  }

  /**
   * A topic whose subscribers may be in any process: a core NATS subject (ts/bridge/topic.ts),
   * or with policy 'block' a JetStream stream whose slowest subscriber holds publishers back
   * (ts/bridge/topic-block.ts).
   */
  topic<T = Uint8Array>(name: string, options: BlockingTopicOptions<T>): BridgedBlockingTopic<T>;
  topic<T = Uint8Array>(name: string, options?: { policy?: 'overwrite'; codec?: CodecName | Codec<T>; maxMessageSize?: number }): BridgedTopic<T>;
  topic<T = Uint8Array>(name: string, options: { policy?: 'overwrite' | 'block'; codec?: CodecName | Codec<T>; maxMessageSize?: number } = {}): BridgedTopic<T> | BridgedBlockingTopic<T> {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const { policy = 'overwrite' } = options;
    if (policy === 'block') return new BridgedBlockingTopic<T>(this, name, options as BlockingTopicOptions<T>);
    if (policy !== 'overwrite') throw new TypeError(`policy must be 'overwrite' (a core NATS subject) or 'block' (a JetStream stream), got ${JSON.stringify(policy)}`);
    return new BridgedTopic<T>(this, name, options);
  }

  /** A priority message queue shared by processes, persisted in JetStream (ts/bridge/mqueue.ts). */
  messageQueue<T = Uint8Array>(name: string, options?: BridgedMqOptions<T>): Promise<BridgedMessageQueue<T>> {
    return BridgedMessageQueue.open<T>(this, name, options);
  }

  /** A worker pool whose tasks any serving process's workers may take (ts/bridge/pool.ts). */
  workerPool(name: string, options?: BridgedPoolOptions): Promise<BridgedPool> {
    return BridgedPool.open(this, name, options);
  }

  /** Drain the connection and dispose of every object made from this bridge. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const o of [...this.#objects]) { try { await o.dispose(); } catch { /* closing anyway */ } }
    this.#objects.clear();
    this.#origin?.dispose();
    try { await this.nc.drain(); } catch { await this.nc.close().catch(() => {}); }
  }

  async [Symbol.asyncDispose](): Promise<void> { await this.close(); }
}
