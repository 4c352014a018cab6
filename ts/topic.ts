// Topic: publish/subscribe (assembly/topic.ts). Every subscriber sees every message published
// after it subscribed (or only those with its key); a slow subscriber either holds
// publishers back (policy 'block') or loses the oldest messages and is told how many
// (policy 'overwrite').
import { IpcObject } from './object';
import { Kind } from './kinds';
import { ClosedError, LimitError, MessageTooLargeError, NotOwnerError, errorFor, check, checkInt, describe, Status } from './errors';
import { checkWaitOptions, deadlineOf, untilEvent, untilEventAsync, type WaitOptions } from './wait';
import { bytesCodec, type Codec } from './codec';
import type { Segment } from './segment';

export type TopicPolicy = 'block' | 'overwrite';
const PUBLISHED = 0;   // topic_event: a message published / room for publishers
const ROOM = 1;

/** A message as a subscriber sees it. */
export interface TopicMessage<T> {
  value: T;
  /** The key it was published with (0 by default). */
  key: number;
  /** Messages this subscriber lost (lapped, policy 'overwrite') just before this one. */
  lost: number;
}

const checkKey = (key: unknown): number => checkInt(key, 'key', 0, 0xffff_ffff);

export class Topic<T = Uint8Array> extends IpcObject {
  readonly kind: number = Kind.topic;
  codec: Codec<T> = bytesCodec as unknown as Codec<T>;
  readonly policy: TopicPolicy = check(this.core.topic_policy(this.offset), this.label) === 1 ? 'overwrite' : 'block';
  /** Messages the ring holds: how far behind a subscriber may fall. */
  readonly capacity: number = check(this.core.topic_size(this.offset), this.label);
  readonly maxMessageSize: number = check(this.core.topic_max_message(this.offset), this.label);

  #encode(value: T): Uint8Array {
    const bytes = this.codec.encode(value);
    if (bytes.length > this.maxMessageSize) throw new MessageTooLargeError(`${this.label}: message of ${bytes.length} bytes exceeds maxMessageSize ${this.maxMessageSize}`, Status.TOO_LARGE);
    return bytes;
  }

  #tryPublish(bytes: Uint8Array, key: number): boolean {
    const staging = this.segment.staging();
    if (staging === 0) throw errorFor(Status.NOMEM, `${this.label}: publish`);
    this.segment.write(staging, bytes);
    const rc = this.core.topic_publish(this.offset, staging, bytes.length, key);
    if (rc === Status.OK) return true;
    if (rc === Status.AGAIN) return false;
    throw errorFor(rc, `${this.label}: publish`);
  }

  /** Publish to every subscriber; policy 'block' waits while a subscriber is a full ring behind. */
  /** Active subscribers now, of every thread (as it was a moment ago). */
  get subscribers(): number { this.live(); return check(this.core.topic_subscribers(this.offset), this.label); }

  publish(value: T, options: { key?: number; timeout?: number } = {}): void {
    this.live();
    const key = checkKey(options.key ?? 0);
    const bytes = this.#encode(value);
    const wait = (seen: number, ms: number): number => this.core.topic_wait(this.offset, ROOM, seen, ms);
    untilEvent(this.segment, this.core.topic_event(this.offset, ROOM), wait, () => this.#tryPublish(bytes, key), () => `${this.label}: publish()`, () => 'publishAsync()', deadlineOf(options.timeout));
  }

  /** Publish if no subscriber holds it back now: false otherwise (never with policy 'overwrite'). */
  tryPublish(value: T, key = 0): boolean {
    this.live();
    return this.#tryPublish(this.#encode(value), checkKey(key));
  }

  async publishAsync(value: T, options: WaitOptions & { key?: number } = {}): Promise<void> {
    this.live();
    const key = checkKey(options.key ?? 0);
    const bytes = this.#encode(value);
    await this.untilAsync(this.core.topic_event(this.offset, ROOM), () => this.#tryPublish(bytes, key), 'publishAsync()', options);
  }

  /**
   * Subscribe from now on: the subscription sees every message published after this call
   * (with `key`: only those published with that key). Up to 64 subscribers per topic.
   */
  subscribe(options: { key?: number } = {}): Subscription<T> {
    this.live();
    if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
    const filter = options.key !== undefined;
    const key = filter ? checkKey(options.key) : 0;
    // The subscription holds a reference of its own, as a handle does: its entry stays valid
    // (a removed topic then reads as closed) after the handle it came from is closed.
    const rc = this.core.reg_retain(this.offset, this.serial);
    if (rc < 0) throw errorFor(rc, this.label);
    const index = this.core.topic_subscribe(this.offset, filter ? 1 : 0, key);
    if (index < 0) {
      this.core.reg_release(this.offset, this.serial);
      if (index === Status.LIMIT) throw new LimitError(`${this.label}: 64 subscribers already`, index);
      throw errorFor(index, this.label);
    }
    return new Subscription(this, this.segment, index);
  }
}

/** One subscriber's cursor on a topic, usable by the thread that subscribed. */
export class Subscription<T> {
  readonly topic: Topic<T>;
  readonly #seg: Segment;
  readonly #index: number;
  #closed = false;
  /** Messages lost so far (lapped under policy 'overwrite'). */
  lost = 0;

  /** @internal */
  constructor(topic: Topic<T>, seg: Segment, index: number) {
    this.topic = topic;
    this.#seg = seg;
    this.#index = index;
  }

  #try(): TopicMessage<T> | undefined {
    if (this.#closed) throw new ClosedError(`${this.topic.label}: unsubscribed`, Status.CLOSED);
    const core = this.#seg.core;
    const staging = this.#seg.staging();
    if (staging === 0) throw errorFor(Status.NOMEM, `${this.topic.label}: receive`);
    const rc = core.topic_recv(this.topic.offset, this.#index, staging, 1 << 16);
    const lost = core.topic_last_lost();
    this.lost += lost;
    if (rc >= 0) return { value: this.topic.codec.decode(this.#seg.read(staging, rc)), key: core.topic_last_key() >>> 0, lost };   // (keys are u32; the core returns an i32)
    if (rc === Status.AGAIN) return undefined;
    if (rc === Status.PERM) throw new NotOwnerError(`${this.topic.label}: a subscription belongs to the thread that subscribed`, rc);
    throw errorFor(rc, this.topic.label);
  }

  /** The next message with its key and loss count, blocking while there is none. */
  receive(timeout?: number): TopicMessage<T> {
    let got: TopicMessage<T> | undefined;
    const core = this.#seg.core;
    const wait = (seen: number, ms: number): number => core.topic_wait(this.topic.offset, PUBLISHED, seen, ms);
    untilEvent(this.#seg, core.topic_event(this.topic.offset, PUBLISHED), wait, () => (got = this.#try()) !== undefined, () => `${this.topic.label}: receive()`, () => 'receiveAsync()', deadlineOf(timeout));
    return got!;
  }

  /** The next message's value, blocking while there is none. */
  recv(timeout?: number): T { return this.receive(timeout).value; }

  tryReceive(): TopicMessage<T> | undefined { return this.#try(); }

  /**
   * The next message, without blocking the thread. `spin: false` parks at once instead of
   * spinning for a message first: for an event loop with other work (wasm-ipc/nats waits on
   * a topic and a NATS subscription at once).
   */
  async receiveAsync(options?: WaitOptions & { spin?: boolean }): Promise<TopicMessage<T>> {
    const { deadline, signal } = checkWaitOptions(options);
    let got: TopicMessage<T> | undefined;
    await untilEventAsync(this.#seg, this.#seg.core.topic_event(this.topic.offset, PUBLISHED), () => (got = this.#try()) !== undefined, `${this.topic.label}: receiveAsync()`, deadline, signal, undefined, options?.spin ?? true);
    return got!;
  }

  /** Messages as they come, until unsubscribed or the topic is removed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<TopicMessage<T>> {
    for (;;) {
      try { yield await this.receiveAsync(); } catch (e) { if (e instanceof ClosedError) return; throw e; }
    }
  }

  /** Stop: publishers no longer wait for this subscriber (and its reference to the topic is dropped). */
  unsubscribe(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#seg.core.topic_unsubscribe(this.topic.offset, this.#index);
    this.#seg.core.reg_release(this.topic.offset, this.topic.serial);
  }

  [Symbol.dispose](): void { this.unsubscribe(); }
}
