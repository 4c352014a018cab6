// BridgedTopic: publish/subscribe across processes, on a core NATS subject, with the
// subscribers of this process served through shared memory.
//
// Subject `<prefix>.topic.<name>.<key>`. A message of up to LOCAL_MAX bytes published while
// this process (this runtime's segment: any thread, any bridge) has subscribers also goes to a
// local topic in the segment (`<prefix>.nats.topic.<name>`, policy 'overwrite'), and by NATS
// on `<...>.<key>.<origin>`, origin naming the segment (bridge.origin): the subscribers of the
// segment take it from shared memory and their NATS subscriptions drop that copy. Otherwise
// it goes by NATS only, on the plain subject, and every subscriber takes it from there. A
// subscription takes `<...>.>` (every key), or `<...>.<key>` and `<...>.<key>.*`. (The
// origin costs a subject token only when there is someone local to hand the message to: the
// client's parser pays for every byte of a MSG line.) Semantics, against the local Topic:
//  - every subscriber in every process sees every message published after its subscribe()
//    resolved (subscribe() returns once the server has registered the subscription), in the
//    order each publisher published (one path per publisher and subscriber: shared memory
//    within the process, one NATS connection's order across);
//  - nothing is stored: like the local policy 'overwrite', a publisher is never held back. A
//    subscriber of another process that falls further behind than the server lets a client
//    lag (a "slow consumer": 64 MiB pending by default) is cut off and loses messages, and
//    that loss cannot be counted; one of this process that falls LOCAL_CAPACITY messages
//    behind loses the oldest, counted in `lost` as locally. The policy 'block' (publishers
//    held back by the slowest subscriber) needs the server to count what each subscriber has
//    not received yet: a JetStream stream, ts/bridge/topic-block.ts;
//  - publish() never blocks (the client buffers it), so it is synchronous as locally.
import type { Subscription as NatsSub } from '@nats-io/transport-node';
import { ClosedError, type AtomicInt, type Codec, type CodecName, type Topic, type Subscription, type TopicMessage } from '../index';
import type { Bridge } from './bridge';
import { checkName, checkSize, codecOf, intOf, names, waitIn, waitOptions, wouldBlock, type WaitOptions } from './naming';

export interface BridgedTopicMessage<T> { value: T; key: number; lost: number }

/** What travels through shared memory: messages up to LOCAL_MAX bytes, LOCAL_CAPACITY of them unread. */
const LOCAL_MAX = 2048;
const LOCAL_CAPACITY = 256;

/**
 * A bridged name's share of the segment, one per bridge (disposed with it): the local topic,
 * and how many bridges of the segment have published on it. Subscribers wait on the local
 * topic only while that count is not 0; a publisher that appears meanwhile rings them through
 * its first NATS copy (the subscription takes the local messages when its own origin's copy
 * arrives).
 */
interface Local { topic: Topic<Uint8Array>; publishers: AtomicInt; publishing: boolean }
const locals = new WeakMap<Bridge, Map<string, Local>>();
function localOf(bridge: Bridge, name: string): Local {
  let byName = locals.get(bridge);
  if (!byName) locals.set(bridge, byName = new Map());
  let l = byName.get(name);
  if (!l) {
    const base = `${bridge.prefix}.nats.topic.${name}`;
    const made: Local = l = {
      topic: bridge.rt.topic(base, { policy: 'overwrite', capacity: LOCAL_CAPACITY, maxMessageSize: LOCAL_MAX }),
      publishers: bridge.rt.atomic(`${base}.publishers`),
      publishing: false,
    };
    byName.set(name, made);
    bridge.own({
      dispose: () => {
        if (made.publishing) made.publishers.sub(1);
        made.topic.dispose();
        made.publishers.dispose();
        byName!.delete(name);
      },
    });
  }
  return l;
}

/**
 * The subject's bytes as the client parsed them: nats-core (3.x) keeps them in `_msg.subject`,
 * and the `subject` getter decodes them with a TextDecoder, a call per message that was a
 * fifth of a delivery here. Undefined if a client version keeps them elsewhere (then: the string).
 */
function subjectBytes(m: unknown): Uint8Array | undefined {
  const s = (m as { _msg?: { subject?: unknown } })._msg?.subject;
  return s instanceof Uint8Array ? s : undefined;
}

export class BridgedTopic<T = Uint8Array> {
  readonly name: string;
  readonly label: string;
  readonly maxMessageSize: number;
  codec: Codec<T>;
  readonly #bridge: Bridge;
  readonly #subject: string;
  readonly #local: Local;
  #key = -1;                   // the last key published, and its two subjects
  #plain = '';
  #tagged = '';

  constructor(bridge: Bridge, name: string, options: { codec?: CodecName | Codec<T>; maxMessageSize?: number } = {}) {
    checkName(name);
    bridge.live(`bridge.topic("${name}")`);
    this.#bridge = bridge;
    this.name = name;
    this.label = `bridged topic "${name}"`;
    this.#subject = names(bridge.prefix, 'topic', name).subject;
    this.codec = codecOf<T>(options.codec);
    this.maxMessageSize = intOf(options.maxMessageSize ?? bridge.maxPayload, 'maxMessageSize', 1, bridge.maxPayload);
    this.#local = localOf(bridge, name);
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
    const local = this.#local;
    if (key !== this.#key) {
      this.#key = key;
      this.#plain = `${this.#subject}.${key}`;
      this.#tagged = `${this.#plain}.${this.#bridge.origin}`;
    }
    if (bytes.length <= LOCAL_MAX && local.topic.subscribers > 0) {
      if (!local.publishing) { local.publishing = true; local.publishers.add(1); }
      local.topic.publish(bytes, { key });
      this.#bridge.nc.publish(this.#tagged, bytes);
    } else {
      this.#bridge.nc.publish(this.#plain, bytes);
    }
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
    const local = this.#local.topic.subscribe(key === undefined ? {} : { key });
    const sub = new BridgedSubscription<T>(this.#bridge, this.label, this.codec, this.#subject, key, local, this.#local.publishers);
    await this.#bridge.nc.flush();
    return sub;
  }
}

export class BridgedSubscription<T> {
  #queue: (BridgedTopicMessage<T> | undefined)[] = [];   // from NATS, not yet received: [#head, length)
  #head = 0;
  readonly #waiters: { resolve(m: BridgedTopicMessage<T>): void; reject(e: unknown): void }[] = [];
  readonly #subs: NatsSub[];
  readonly #local: Subscription<Uint8Array>;
  readonly #publishers: AtomicInt;
  readonly #codec: Codec<T>;
  readonly #forget: () => void;
  #closed = false;

  /** `base`: the topic's subject; `only`: the key subscribed to (undefined: every key). */
  constructor(bridge: Bridge, private readonly label: string, codec: Codec<T>, base: string, only: number | undefined, local: Subscription<Uint8Array>, publishers: AtomicInt) {
    this.#local = local;
    this.#publishers = publishers;
    this.#codec = codec;
    const own = bridge.origin, from = base.length + 1;   // (subjects are ASCII: checkName)
    const ownBytes = new TextEncoder().encode(own);
    // `<base>.<key>` or `<base>.<key>.<origin>`: the key, and whether the origin is this segment's
    let key = 0;
    const mine = (m: { subject: string }): boolean => {
      const raw = subjectBytes(m);
      if (raw === undefined) {
        const s = m.subject, dot = s.indexOf('.', from);
        key = only ?? Number(dot < 0 ? s.slice(from) : s.slice(from, dot));
        return dot >= 0 && s.length - dot - 1 === own.length && s.endsWith(own);
      }
      let i = from, k = 0;
      for (let c = raw[i]; c !== undefined && c !== 46; c = raw[++i]) k = k * 10 + c - 48;
      key = only ?? k;
      if (raw.length - i - 1 !== ownBytes.length) return false;
      for (let j = 0; j < ownBytes.length; j++) if (raw[i + 1 + j] !== ownBytes[j]) return false;
      return true;
    };
    const callback = (err: Error | null, m: { subject: string; data: Uint8Array }): void => {
      if (err) { this.#end(); return; }
      if (mine(m)) {
        // this process's: its subscribers had it through shared memory; a waiter that waits
        // on NATS alone (no local publisher when it began) takes what the local topic holds
        if (this.#waiters.length > 0) {
          const l = this.#local.tryReceive();
          if (l !== undefined) this.#waiters.shift()!.resolve(this.#fromLocal(l));
        }
        return;
      }
      const msg = { value: codec.decode(m.data), key, lost: 0 };
      const w = this.#waiters.shift();
      if (w) w.resolve(msg); else this.#queue.push(msg);
    };
    const subjects = only === undefined ? [`${base}.>`] : [`${base}.${only}`, `${base}.${only}.*`];
    this.#subs = subjects.map((subject) => bridge.nc.subscribe(subject, { callback }));
    for (const sub of this.#subs) void sub.closed.then(() => this.#end());
    this.#forget = bridge.own(this);
  }

  /** The oldest queued NATS message (a queue with a head index: shift() on a long array costs). */
  #take(): BridgedTopicMessage<T> | undefined {
    const q = this.#queue;
    if (this.#head === q.length) return undefined;
    const m = q[this.#head];
    q[this.#head++] = undefined;
    if (this.#head === q.length) { this.#queue = []; this.#head = 0; } else if (this.#head > 1024 && this.#head * 2 > q.length) { this.#queue = q.slice(this.#head); this.#head = 0; }
    return m;
  }

  #fromLocal(m: TopicMessage<Uint8Array>): BridgedTopicMessage<T> {
    return { value: this.#codec.decode(m.value), key: m.key, lost: m.lost };
  }

  /** A message already here, or undefined (ClosedError once unsubscribed and drained), as the local tryReceive(). */
  tryReceive(): BridgedTopicMessage<T> | undefined {
    const ready = this.#take();
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
    const what = `${this.label}: receiveAsync()`;
    if (this.#publishers.load() === 0) return waitIn(this.#waiters, deadline, signal, what);   // nobody of this process publishes: NATS alone
    // wait for either source; the other one's wait is then withdrawn, and a message it got
    // meanwhile goes back first in line
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) stop.abort(signal.reason);
    const remote = waitIn(this.#waiters, deadline, stop.signal, what).then((m) => ({ m, local: false }));
    const local = this.#local.receiveAsync({ signal: stop.signal, timeout: deadline < 0 ? undefined : Math.max(0, deadline - Date.now()), spin: false })
      .then((m) => ({ m: this.#fromLocal(m), local: true }));
    try {
      const first = await Promise.race([remote, local]);
      void (first.local ? remote : local).then(({ m }) => { if (this.#head > 0) this.#queue[--this.#head] = m; else this.#queue.unshift(m); }, () => {});
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

  unsubscribe(): void { for (const sub of this.#subs) sub.unsubscribe(); this.#end(); }
  dispose(): void { this.unsubscribe(); }
}
