// BridgedBlockingTopic: a topic with policy 'block' across processes, on a JetStream stream.
//
// Backing: a stream `<prefix>_btopic_<name>` on `<prefix>.btopic.<name>.<key>`, retention
// 'interest' (a message is kept until every consumer it matches has acknowledged it, and not
// at all while nobody subscribes), discard 'new', max_msgs = capacity; each subscription a
// durable pull consumer of its own (`<bridge id>_<n>`), deliver policy 'new', filtered to its
// key, explicit ack, one message out at a time (max_ack_pending 1: a redelivery, after a
// failed ack or a reconnect, comes before anything later). Semantics, against the local Topic
// with policy 'block':
//  - every subscriber in every process sees every message published after its subscribe()
//    resolved (the consumer exists on the server by then), once, in each publisher's order (a
//    handle's publishes go one after another: publish.ts SendQueue; a consumer hands out in
//    stream order); receiveAsync() acknowledges (server-confirmed) before it returns;
//  - the slowest subscribers hold publishers back: while the stream holds `capacity` messages
//    that some subscriber has not received (one subscriber `capacity` behind, or several on
//    different keys whose unread messages add up to it), it is full and publishAsync() waits
//    (its timeout: TimeoutError), tryPublishAsync() gives false. That holds within what
//    JetStream retains, which here is exactly what some subscriber still has to receive;
//  - a subscriber whose process died would hold publishers back for ever: a publisher that
//    finds the stream full asks, at most every REAP_MS, the bridge of every consumer that holds
//    messages whether it is connected (`<prefix>.alive.<id>`, answered by every bridge:
//    Bridge.alive); a consumer whose bridge had no responders twice, REAP_MS to 5 REAP_MS
//    apart, is deleted, and what it held is released. (A bridge cut off from the server longer
//    than that loses its subscriptions: they end with ClosedError, `for await` ends.)
//  - unsubscribe() (or the bridge's close()) deletes the consumer; unlink() deletes the stream,
//    and publishers and subscribers get ClosedError, as with a removed local topic.
// Differs: every form is async (the blocking and try forms throw WouldBlockError naming them);
// messages never take the local fast path (the stream has to count every subscriber, this
// process's too, so each message goes through the server); `lost` is always 0.
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ClosedError, type Codec, type CodecName } from '../index';
import type { Bridge } from './bridge';
import { checkName, checkSize, codecOf, errorFrom, exists, intOf, isMissing, msOf, names, openStream, pause, removed, waitOptions, wouldBlock, type WaitOptions } from './naming';
import { publishStored, SendQueue } from './publish';
import { Puller } from './puller';
import type { BridgedTopicMessage } from './topic';

export interface BlockingTopicOptions<T> {
  policy: 'block';
  /** Messages a subscriber may fall behind before publishers wait (the stream's max_msgs). Default 1024. */
  capacity?: number;
  codec?: CodecName | Codec<T>;
  /** Largest encoded message (MessageTooLargeError above it). Default: the server's max_payload. */
  maxMessageSize?: number;
  /** ms before a message pulled by a subscriber and not acknowledged is delivered to it again. Default 30000. */
  ackWait?: number;
  /** ms a message id is remembered, so a publish retried after a lost acknowledgement is stored once. Default 120000. */
  duplicateWindow?: number;
  /** JetStream storage. Default 'file'. */
  storage?: 'file' | 'memory';
}

/** How often a held-back publisher looks for subscribers of dead processes. */
const REAP_MS = 1000;
/** A subscription's consumer: `<bridge id (a nuid)>_<n>`. */
const CONSUMER = /^([0-9A-Za-z]{22})_\d+$/;

let handles = 0;

export class BridgedBlockingTopic<T = Uint8Array> {
  readonly name: string;
  readonly label: string;
  readonly policy = 'block' as const;
  readonly maxMessageSize: number;
  readonly ackWait: number;
  codec: Codec<T>;
  readonly #bridge: Bridge;
  readonly #subject: string;
  readonly #stream: string;
  readonly #handle = ++handles;
  readonly #ready: () => Promise<number>;
  #capacity: number;
  #sent = 0;
  readonly #sends = new SendQueue();
  #reapedAt = 0;
  #reaping = false;
  readonly #suspects = new Map<string, number>();   // consumer → when its bridge first did not answer

  constructor(bridge: Bridge, name: string, options: BlockingTopicOptions<T>) {
    checkName(name);
    bridge.live(`bridge.topic("${name}")`);
    this.#bridge = bridge;
    this.name = name;
    this.label = `bridged topic "${name}" (policy 'block')`;
    const n = names(bridge.prefix, 'btopic', name);
    this.#subject = n.subject;
    this.#stream = n.stream;
    this.codec = codecOf<T>(options.codec);
    this.#capacity = intOf(options.capacity ?? 1024, 'capacity', 1, 2 ** 31 - 1);
    this.maxMessageSize = intOf(options.maxMessageSize ?? bridge.maxPayload, 'maxMessageSize', 1, bridge.maxPayload);
    this.ackWait = msOf(options.ackWait ?? 30_000, 'ackWait');
    if (this.ackWait < 1000) throw new RangeError(`ackWait must be >= 1000 ms, got ${this.ackWait}`);
    const dup = msOf(options.duplicateWindow ?? 120_000, 'duplicateWindow');
    const storage = options.storage ?? 'file';
    if (storage !== 'file' && storage !== 'memory') throw new TypeError(`storage must be 'file' or 'memory', got ${String(storage)}`);
    // the stream is made (or found) by the first publish or subscribe; an existing one keeps its capacity
    let made: Promise<number> | undefined;
    this.#ready = () => made ??= (async () => {
      try {
        const info = await openStream(bridge.jsm, {
          name: this.#stream, subjects: [`${this.#subject}.*`], retention: RetentionPolicy.Interest, discard: DiscardPolicy.New,
          max_msgs: this.#capacity, duplicate_window: nanos(dup), num_replicas: bridge.replicas, storage: storage === 'file' ? StorageType.File : StorageType.Memory,
        });
        return this.#capacity = info.config.max_msgs;
      } catch (e) {
        made = undefined;
        throw errorFrom(e, this.label);
      }
    })();
  }

  /** Messages a subscriber may fall behind (the stream's own, once it was opened). */
  get capacity(): number { return this.#capacity; }

  /** Publish to every subscriber of every process, waiting while one of them is `capacity` behind. */
  publishAsync(value: T, options: WaitOptions & { key?: number; msgId?: string } = {}): Promise<void> {
    return this.#publish(value, options, true, 'publishAsync()').then(() => undefined);
  }

  /** Publish unless a subscriber holds it back now: false then (nothing was stored). */
  tryPublishAsync(value: T, options: { key?: number; msgId?: string } = {}): Promise<boolean> {
    return this.#publish(value, options, false, 'tryPublishAsync()');
  }

  publish(): never { return wouldBlock(this.label, 'publish()', 'publishAsync()'); }
  tryPublish(): never { return wouldBlock(this.label, 'tryPublish()', 'tryPublishAsync()'); }

  #publish(value: T, options: WaitOptions & { key?: number; msgId?: string }, wait: boolean, what: string): Promise<boolean> {
    try {
      this.#bridge.live(`${this.label}: ${what}`);
      if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
      const { deadline, signal } = waitOptions(options);
      const key = intOf(options.key ?? 0, 'key', 0, 0xffff_ffff);
      const bytes = this.codec.encode(value);
      checkSize(bytes, this.maxMessageSize, this.#bridge.maxPayload, this.label);
      const id = options.msgId ?? `${this.#bridge.id}.bt${this.#handle}.${++this.#sent}`;
      if (typeof id !== 'string' || id.length === 0) throw new TypeError('msgId must be a non-empty string');
      return this.#sends.push(deadline, signal, wait, `${this.label}: ${what}`, async () => {
        await this.#ready();
        return await publishStored(this.#bridge, `${this.#subject}.${key}`, bytes, id, {
          deadline, wait, signal, label: this.label, what, queue: this.#sends, full: 'the subscribers have `capacity` messages to receive',
          gone: () => removed(this.#bridge.jsm, this.#stream, this.label),
          onFull: () => { void this.#reap(); },
        }) !== false;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Delete the consumers of dead processes that hold messages (see the header); at most one pass every REAP_MS. */
  async #reap(): Promise<void> {
    const t = Date.now();
    if (this.#reaping || t - this.#reapedAt < REAP_MS) return;
    this.#reaping = true;
    this.#reapedAt = t;
    try {
      const answers = new Map<string, Promise<boolean>>();
      const listed = new Set<string>();
      for await (const c of this.#bridge.jsm.consumers.list(this.#stream)) {
        const mine = CONSUMER.exec(c.name);            // only the subscriptions' consumers (`<bridge id>_<n>`)
        if (!mine) continue;
        listed.add(c.name);
        if (c.num_pending + c.num_ack_pending === 0) { this.#suspects.delete(c.name); continue; }
        const id = mine[1]!;
        let alive = answers.get(id);
        if (alive === undefined) answers.set(id, alive = this.#bridge.alive(id));
        if (await alive) { this.#suspects.delete(c.name); continue; }
        const since = this.#suspects.get(c.name);
        // a first sighting, or one too old to pair with this one (two blips an hour apart are not a death)
        if (since === undefined || Date.now() - since > 5 * REAP_MS) { this.#suspects.set(c.name, Date.now()); continue; }
        if (Date.now() - since < REAP_MS) continue;
        this.#suspects.delete(c.name);
        await this.#bridge.jsm.consumers.delete(this.#stream, c.name).catch(() => false);
      }
      for (const name of this.#suspects.keys()) if (!listed.has(name)) this.#suspects.delete(name);
    } catch { /* the server is away: the publish retries, and so does this */ } finally {
      this.#reaping = false;
    }
  }

  /** Subscribe (to `key`, or to every key): resolves once the server has the subscription. */
  async subscribe(options: { key?: number } = {}): Promise<BlockingSubscription<T>> {
    this.#bridge.live(`${this.label}: subscribe()`);
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const key = options.key === undefined ? undefined : intOf(options.key, 'key', 0, 0xffff_ffff);
    await this.#ready();
    const consumer = `${this.#bridge.id}_${++handles}`;
    try {
      // one message out at a time (max_ack_pending 1): a redelivery (a failed ack, a reconnect)
      // then comes before anything later, so a subscriber's order survives it
      await this.#bridge.jsm.consumers.add(this.#stream, {
        durable_name: consumer, filter_subject: `${this.#subject}.${key ?? '*'}`, deliver_policy: DeliverPolicy.New,
        ack_policy: AckPolicy.Explicit, ack_wait: nanos(this.ackWait), max_deliver: -1, max_ack_pending: 1,
      });
    } catch (e) { throw errorFrom(e, `${this.label}: subscribe()`); }
    const sub = new BlockingSubscription<T>(this.#bridge, this.label, this.codec, this.#stream, consumer, this.ackWait);
    if (this.#bridge.closed) {                         // closed meanwhile: its close() did not see this one
      await sub.unsubscribe();
      throw new ClosedError(`${this.label}: subscribe(): the bridge is closed`, -3);
    }
    return sub;
  }

  /** Delete the topic (its stream) for everyone: publishers and subscribers get ClosedError. */
  async unlink(): Promise<void> {
    this.#bridge.live(`${this.label}: unlink()`);
    try { await this.#bridge.jsm.streams.delete(this.#stream); } catch (e) { if (!isMissing(e)) throw errorFrom(e, `${this.label}: unlink()`); }
  }
}

export class BlockingSubscription<T> {
  readonly #puller: Puller;
  readonly #forget: () => void;
  #closed: Promise<void> | undefined;

  constructor(private readonly bridge: Bridge, private readonly label: string, private readonly codec: Codec<T>, private readonly stream: string, private readonly consumer: string, ackWait: number) {
    this.#puller = new Puller(label, bridge.nc, () => bridge.js.consumers.get(stream, consumer), ackWait, 1, () => this.#ended(), 1);   // max_ack_pending 1
    this.#forget = bridge.own(this);
  }

  /** Why it ended, after an empty pull: the stream or this consumer gone; else undefined. */
  async #ended(): Promise<Error | undefined> {
    if (this.#closed) return new ClosedError(`${this.label}: unsubscribed`, -3);
    const jsm = this.bridge.jsm;
    const gone = await removed(jsm, this.stream, this.label);
    if (gone) return gone;
    if (!await exists(jsm.consumers.info(this.stream, this.consumer))) {
      return new ClosedError(`${this.label}: this subscription was dropped (its consumer is gone: deleted, or its bridge did not answer while a publisher was held back)`, -3);
    }
    return undefined;
  }

  /** The next message (acknowledged before it is returned: never delivered again). */
  async receiveAsync(options?: WaitOptions): Promise<BridgedTopicMessage<T>> {
    if (this.#closed) throw new ClosedError(`${this.label}: unsubscribed`, -3);
    const { deadline, signal } = waitOptions(options);
    const m = await this.#puller.take(false, deadline, signal, 'receiveAsync()');
    if (!('subject' in m)) throw new Error(`${this.label}: a message without a subject`);   // no hand-off here
    return { value: this.codec.decode(m.data), key: Number(m.subject.slice(m.subject.lastIndexOf('.') + 1)), lost: 0 };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BridgedTopicMessage<T>> {
    for (;;) {
      try { yield await this.receiveAsync(); } catch (e) { if (e instanceof ClosedError) return; throw e; }
    }
  }

  receive(): never { return wouldBlock(this.label, 'receive()', 'receiveAsync()'); }
  tryReceive(): never { return wouldBlock(this.label, 'tryReceive()', 'receiveAsync({ timeout: 0 })'); }

  /**
   * Stop: the consumer is deleted, so this subscriber no longer holds publishers back (retried
   * while the server is away; this bridge answers `alive`, so nobody else would delete it).
   */
  unsubscribe(): Promise<void> {
    return this.#closed ??= (async () => {
      this.#forget();
      this.#puller.dispose();
      for (let backoff = 50; ; backoff = Math.min(backoff * 2, 1000)) {
        try { await this.bridge.jsm.consumers.delete(this.stream, this.consumer); return; } catch (e) {
          if (isMissing(e) || this.bridge.closed) return;    // gone already; or this bridge stops answering, and the reaper takes it
        }
        await pause(backoff);
      }
    })();
  }

  dispose(): Promise<void> { return this.unsubscribe(); }
}
