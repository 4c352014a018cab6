// BridgedTopic: publish/subscribe across processes, on a core NATS subject.
//
// Subject `<prefix>.topic.<name>.<key>`: a subscription on the key it asked for, or on every
// key ('*'). Semantics, against the local Topic:
//  - every subscriber in every process sees every message published after its subscribe()
//    resolved (subscribe() returns once the server has registered the subscription), in the
//    order each publisher published (NATS keeps one connection's order);
//  - nothing is stored: like the local policy 'overwrite', a publisher is never held back. A
//    subscriber that falls further behind than the server lets a client lag (a "slow
//    consumer": 64 MiB pending by default) is cut off and loses messages, and the loss cannot
//    be counted (`lost` is always 0). The local policy 'block' has no core NATS equivalent; a
//    JetStream-backed topic would keep only what the stream retains (max_msgs), so not even it
//    would hold a publisher back for a slow subscriber: not provided;
//  - publish() never blocks (the client buffers it), so it is synchronous as locally.
import type { Subscription as NatsSub } from '@nats-io/transport-node';
import { ClosedError, type Codec, type CodecName } from '../index';
import type { Bridge } from './bridge';
import { checkName, checkSize, codecOf, intOf, names, waitIn, waitOptions, wouldBlock, type WaitOptions } from './naming';

export interface BridgedTopicMessage<T> { value: T; key: number; lost: number }

export class BridgedTopic<T = Uint8Array> {
  readonly name: string;
  readonly label: string;
  readonly maxMessageSize: number;
  codec: Codec<T>;
  readonly #bridge: Bridge;
  readonly #subject: string;

  constructor(bridge: Bridge, name: string, options: { codec?: CodecName | Codec<T>; maxMessageSize?: number } = {}) {
    checkName(name);
    bridge.live(`bridge.topic("${name}")`);
    this.#bridge = bridge;
    this.name = name;
    this.label = `bridged topic "${name}"`;
    this.#subject = names(bridge.prefix, 'topic', name).subject;
    this.codec = codecOf<T>(options.codec);
    this.maxMessageSize = intOf(options.maxMessageSize ?? bridge.maxPayload, 'maxMessageSize', 1, bridge.maxPayload);
  }

  /** Publish to every subscriber of every process (never blocks). */
  publish(value: T, options: { key?: number } = {}): void {
    this.#bridge.live(`${this.label}: publish()`);
    const key = intOf(options.key ?? 0, 'key', 0, 0xffff_ffff);
    const bytes = this.codec.encode(value);
    checkSize(bytes, this.maxMessageSize, this.#bridge.maxPayload, this.label);
    this.#bridge.nc.publish(`${this.#subject}.${key}`, bytes);
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
    const key = options.key === undefined ? '*' : String(intOf(options.key, 'key', 0, 0xffff_ffff));
    const sub = new BridgedSubscription<T>(this.#bridge, this.label, this.codec, `${this.#subject}.${key}`, options.key);
    await this.#bridge.nc.flush();
    return sub;
  }
}

export class BridgedSubscription<T> {
  readonly #queue: BridgedTopicMessage<T>[] = [];
  readonly #waiters: { resolve(m: BridgedTopicMessage<T>): void; reject(e: unknown): void }[] = [];
  readonly #sub: NatsSub;
  readonly #forget: () => void;
  #closed = false;

  constructor(bridge: Bridge, private readonly label: string, codec: Codec<T>, subject: string, only?: number) {
    this.#sub = bridge.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) { this.#end(); return; }
        const key = only ?? Number(m.subject.slice(m.subject.lastIndexOf('.') + 1));
        const msg = { value: codec.decode(m.data), key, lost: 0 };
        const w = this.#waiters.shift();
        if (w) w.resolve(msg); else this.#queue.push(msg);
      },
    });
    void this.#sub.closed.then(() => this.#end());
    this.#forget = bridge.own(this);
  }

  /** A message already here, or undefined (ClosedError once unsubscribed and drained), as the local tryReceive(). */
  tryReceive(): BridgedTopicMessage<T> | undefined {
    const ready = this.#queue.shift();
    if (ready === undefined && this.#closed) throw new ClosedError(`${this.label}: unsubscribed`, -3);
    return ready;
  }

  /** The next message (TimeoutError after options.timeout; ClosedError once unsubscribed). */
  receiveAsync(options?: WaitOptions): Promise<BridgedTopicMessage<T>> {
    const ready = this.#queue.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#closed) return Promise.reject(new ClosedError(`${this.label}: unsubscribed`, -3));
    const { deadline, signal } = waitOptions(options);
    return waitIn(this.#waiters, deadline, signal, `${this.label}: receiveAsync()`);
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
    for (const w of this.#waiters.splice(0)) w.reject(new ClosedError(`${this.label}: unsubscribed`, -3));
    this.#forget();
  }

  unsubscribe(): void { this.#sub.unsubscribe(); this.#end(); }
  dispose(): void { this.unsubscribe(); }
}
