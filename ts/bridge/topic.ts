// BridgedTopic: publish/subscribe across processes, on a core NATS subject, with the
// subscribers of this process served through shared memory.
//
// Subject `<prefix>.topic.<name>.<key>`, and a subscription takes `<key>` or `*`. A message's
// NATS payload starts with 8 bytes of origin: the publishing segment's (bridge.origin: one
// per runtime segment, so per process), or zeros. A message of up to LOCAL_MAX bytes is also
// published to a local topic in the segment (`<prefix>.nats.topic.<name>`, policy
// 'overwrite'): every subscriber of this process (any thread, any bridge of the segment)
// takes it from there, in shared memory, and its NATS subscription drops the copy that comes
// back with its own origin. A bigger message goes by NATS only, with a zero origin, so local
// subscribers take it from NATS. (The origin rides in the payload, not in the subject: the
// client's parser pays for every byte of a MSG line.) Semantics, against the local Topic:
//  - every subscriber in every process sees every message published after its subscribe()
//    resolved (subscribe() returns once the server has registered the subscription), in the
//    order each publisher published (one path per publisher and subscriber: shared memory
//    within the process, one NATS connection's order across);
//  - nothing is stored: like the local policy 'overwrite', a publisher is never held back. A
//    subscriber of another process that falls further behind than the server lets a client
//    lag (a "slow consumer": 64 MiB pending by default) is cut off and loses messages, and
//    that loss cannot be counted; one of this process that falls LOCAL_CAPACITY messages
//    behind loses the oldest, counted in `lost` as locally. The local policy 'block' has no
//    core NATS equivalent; a JetStream-backed topic would keep only what the stream retains
//    (max_msgs), so not even it would hold a publisher back for a slow subscriber: not provided;
//  - publish() never blocks (the client buffers it), so it is synchronous as locally.
import type { Subscription as NatsSub } from '@nats-io/transport-node';
import { ClosedError, type Codec, type CodecName, type Topic, type Subscription, type TopicMessage } from '../index';
import type { Bridge } from './bridge';
import { checkName, checkSize, codecOf, intOf, names, waitIn, waitOptions, wouldBlock, type WaitOptions } from './naming';

export interface BridgedTopicMessage<T> { value: T; key: number; lost: number }

/** What travels through shared memory: messages up to LOCAL_MAX bytes, LOCAL_CAPACITY of them unread. */
const LOCAL_MAX = 2048;
const LOCAL_CAPACITY = 256;
const ORIGIN = 8;
const REMOTE_ONLY = new Uint8Array(ORIGIN);

/** The local topic of each bridged name, one handle per bridge (disposed with it). */
const locals = new WeakMap<Bridge, Map<string, Topic<Uint8Array>>>();
function localTopic(bridge: Bridge, name: string): Topic<Uint8Array> {
  let byName = locals.get(bridge);
  if (!byName) locals.set(bridge, byName = new Map());
  let t = byName.get(name);
  if (!t) {
    const made = t = bridge.rt.topic(`${bridge.prefix}.nats.topic.${name}`, { policy: 'overwrite', capacity: LOCAL_CAPACITY, maxMessageSize: LOCAL_MAX });
    byName.set(name, made);
    bridge.own({ dispose: () => { made.dispose(); byName!.delete(name); } });
  }
  return t;
}

export class BridgedTopic<T = Uint8Array> {
  readonly name: string;
  readonly label: string;
  readonly maxMessageSize: number;
  codec: Codec<T>;
  readonly #bridge: Bridge;
  readonly #subject: string;
  readonly #local: Topic<Uint8Array>;

  constructor(bridge: Bridge, name: string, options: { codec?: CodecName | Codec<T>; maxMessageSize?: number } = {}) {
    checkName(name);
    bridge.live(`bridge.topic("${name}")`);
    this.#bridge = bridge;
    this.name = name;
    this.label = `bridged topic "${name}"`;
    this.#subject = names(bridge.prefix, 'topic', name).subject;
    this.codec = codecOf<T>(options.codec);
    this.maxMessageSize = intOf(options.maxMessageSize ?? bridge.maxPayload, 'maxMessageSize', 1, bridge.maxPayload);
    this.#local = localTopic(bridge, name);
  }

  /** Publish to every subscriber of every process (never blocks). */
  publish(value: T, options: { key?: number } = {}): void {
    this.#bridge.live(`${this.label}: publish()`);
    const key = intOf(options.key ?? 0, 'key', 0, 0xffff_ffff);
    const bytes = this.codec.encode(value);
    checkSize(bytes, this.maxMessageSize, this.#bridge.maxPayload, this.label);
    // through shared memory only when this process has subscribers: then they take it there
    // and drop the NATS copy; without (a subscriber that joins meanwhile has its NATS
    // subscription before this copy reaches it, or came after the publish) it goes by NATS only
    let origin: Uint8Array = REMOTE_ONLY;
    if (bytes.length <= LOCAL_MAX && this.#local.subscribers > 0) { this.#local.publish(bytes, { key }); origin = this.#bridge.origin; }
    const out = new Uint8Array(ORIGIN + bytes.length);
    out.set(origin);
    out.set(bytes, ORIGIN);
    this.#bridge.nc.publish(`${this.#subject}.${key}`, out);
  }

  /** publish(), then resolve once the server has it (a flush). */
  async publishAsync(value: T, options: { key?: number } = {}): Promise<void> {
    this.publish(value, options);
    await this.#bridge.nc.flush();
  }

  tryPublish(value: T, key = 0): boolean { this.publish(value, { key }); return true; }

  /** Subscribe (to `key`, or to every key): resolves once the server registered it. */
  async subscribe(options: { key?: number } = {}): Promise<BridgedSubscription<T>> {
    this.#bridge.live(`${this.label}: subscribe()`);
    const key = options.key === undefined ? undefined : intOf(options.key, 'key', 0, 0xffff_ffff);
    const local = this.#local.subscribe(key === undefined ? {} : { key });
    const sub = new BridgedSubscription<T>(this.#bridge, this.label, this.codec, `${this.#subject}.${key ?? '*'}`, key, local);
    await this.#bridge.nc.flush();
    return sub;
  }
}

export class BridgedSubscription<T> {
  readonly #queue: BridgedTopicMessage<T>[] = [];
  readonly #waiters: { resolve(m: BridgedTopicMessage<T>): void; reject(e: unknown): void }[] = [];
  readonly #sub: NatsSub;
  readonly #local: Subscription<Uint8Array>;
  readonly #codec: Codec<T>;
  readonly #forget: () => void;
  #closed = false;

  constructor(bridge: Bridge, private readonly label: string, codec: Codec<T>, subject: string, only: number | undefined, local: Subscription<Uint8Array>) {
    this.#local = local;
    this.#codec = codec;
    const own = bridge.origin;
    this.#sub = bridge.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) { this.#end(); return; }
        const d = m.data;
        if (d.length < ORIGIN) return;   // not a bridged topic's message
        let mine = true;
        for (let i = 0; i < ORIGIN && mine; i++) mine = d[i] === own[i];
        if (mine) return;                // from this process: its subscribers had it through shared memory
        const key = only ?? Number(m.subject.slice(m.subject.lastIndexOf('.') + 1));
        const msg = { value: codec.decode(d.subarray(ORIGIN)), key, lost: 0 };
        const w = this.#waiters.shift();
        if (w) w.resolve(msg); else this.#queue.push(msg);
      },
    });
    void this.#sub.closed.then(() => this.#end());
    this.#forget = bridge.own(this);
  }

  #fromLocal(m: TopicMessage<Uint8Array>): BridgedTopicMessage<T> {
    return { value: this.#codec.decode(m.value), key: m.key, lost: m.lost };
  }

  /** A message already here, or undefined (ClosedError once unsubscribed and drained), as the local tryReceive(). */
  tryReceive(): BridgedTopicMessage<T> | undefined {
    const ready = this.#queue.shift();
    if (ready !== undefined) return ready;
    if (this.#closed) throw new ClosedError(`${this.label}: unsubscribed`, -3);
    const m = this.#local.tryReceive();
    return m === undefined ? undefined : this.#fromLocal(m);
  }

  /** The next message, from this process or another (TimeoutError after options.timeout; ClosedError once unsubscribed). */
  async receiveAsync(options?: WaitOptions): Promise<BridgedTopicMessage<T>> {
    const ready = this.tryReceive();
    if (ready !== undefined) return ready;
    const { deadline, signal } = waitOptions(options);
    // wait for either source; the other one's wait is then withdrawn, and a message it got
    // meanwhile goes back first in line
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) stop.abort(signal.reason);
    const what = `${this.label}: receiveAsync()`;
    const remote = waitIn(this.#waiters, deadline, stop.signal, what).then((m) => ({ m, local: false }));
    const local = this.#local.receiveAsync({ signal: stop.signal, timeout: deadline < 0 ? undefined : Math.max(0, deadline - Date.now()), spin: false })
      .then((m) => ({ m: this.#fromLocal(m), local: true }));
    try {
      const first = await Promise.race([remote, local]);
      void (first.local ? remote : local).then(({ m }) => { this.#queue.unshift(m); }, () => {});
      return first.m;
    } finally {
      stop.abort();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BridgedTopicMessage<T>> {
    for (;;) {
      try { yield await this.receiveAsync(); } catch (e) { if (e instanceof ClosedError) return; throw e; }
    }
  }

  receive(): never { return wouldBlock(this.label, 'receive()', 'receiveAsync()'); }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#local.unsubscribe();
    for (const w of this.#waiters.splice(0)) w.reject(new ClosedError(`${this.label}: unsubscribed`, -3));
    this.#forget();
  }

  unsubscribe(): void { this.#sub.unsubscribe(); this.#end(); }
  dispose(): void { this.unsubscribe(); }
}
