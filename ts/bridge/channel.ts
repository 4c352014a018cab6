// BridgedChannel: a channel whose receivers may be in any process joined to the cluster.
//
// Backing: a JetStream stream `<prefix>_channel_<name>` with work-queue retention on the
// subject `<prefix>.channel.<name>`, and one durable pull consumer 'receivers' shared by every
// receiver of every process, explicit ack. Semantics, against the local Channel:
//  - each message reaches exactly one receiver: a work queue deletes a message once it is
//    acknowledged, and a message a receiver took but never acknowledged (its process died)
//    is redelivered to another after `ackWait`. recvAsync() acknowledges (server-confirmed)
//    before returning, so what it returned is never delivered again; take() hands the message
//    out unacknowledged, for at-least-once processing with m.ack() (see ts/bridge/puller.ts);
//  - every send carries a message id (Nats-Msg-Id; `msgId` option, default unique per send):
//    the stream drops a second message with an id it saw within `duplicateWindow`, so a send
//    retried after a lost acknowledgement (a timeout, a server restart) is stored once, and a
//    stage that forwards with `msgId: m.id` before acking its input forwards exactly once;
//  - order per sender: a handle's sends are published one after another (each waits for the
//    stream's acknowledgement of the one before), so one sender's messages are stored, and
//    handed out, in send order (a message redelivered after a receiver's death comes late);
//  - capacity is the stream's max_msgs with discard 'new': when it holds `capacity` messages
//    (acknowledged ones are gone; taken-but-unacknowledged ones still count), sendAsync()
//    waits and retries until its timeout (TimeoutError), trySendAsync() gives false;
//  - close(): the stream stops taking the subject (senders get ClosedError); receivers drain
//    what is queued or unacknowledged, then get ClosedError (for await ends). unlink() deletes
//    the stream; open handles then get ClosedError.
// Differences: the blocking and try forms (send, recv, trySend, tryRecv) would stall the event
// loop the connection runs on, so they throw WouldBlockError; every operation is async.
//
// Local fast path (ts/bridge/handoff.ts): a send with the default message id to a receiver of
// this process that waits in recvAsync() (and has nothing pulled buffered) is handed over in
// shared memory, never stored: the same as pulled, acknowledged and returned in one step. Order
// per sender and exactly-once hold (see there); a send with its own msgId goes by the stream
// (it must be deduplicated), take() is never given such a message (it needs one the stream can
// redeliver), and a handed-over message does not count against `capacity`.
import { AckPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ClosedError, type Codec, type CodecName } from '../index';
import type { Bridge } from './bridge';
import { Puller } from './puller';
import { HandOff } from './handoff';
import { publishStored, SendQueue } from './publish';
import {
  checkName, checkSize, codecOf, errorFrom, intOf, isMissing, msOf, names, openStream, orMissing, waitOptions, wouldBlock, type WaitOptions,
} from './naming';

export interface BridgedChannelOptions<T> {
  /** Messages the stream holds before senders wait (max_msgs). Default 1024. */
  capacity?: number;
  /** Largest encoded message (MessageTooLargeError above it). Default: the server's max_payload. */
  maxMessageSize?: number;
  codec?: CodecName | Codec<T>;
  /** ms before a message taken but not acknowledged is redelivered. Default 30000. */
  ackWait?: number;
  /** ms a message id is remembered for deduplication. Default 120000. */
  duplicateWindow?: number;
  /** Messages one pull may bring to this handle. Default 16. */
  prefetch?: number;
  /** JetStream storage. Default 'file'. */
  storage?: 'file' | 'memory';
}

export interface SendOptions extends WaitOptions {
  /** Deduplication id (Nats-Msg-Id). Default: unique to this send. */
  msgId?: string;
}

/** A message handed out by take(): acknowledge it when done, or give it back. */
export interface TakenMessage<T> {
  readonly value: T;
  /** Its message id (the sender's msgId). */
  readonly id: string;
  /** 1 on first delivery, more when it was redelivered (a receiver died or gave it back). */
  readonly deliveries: number;
  /** Done with it: it is deleted from the stream (server-confirmed). */
  ack(): Promise<void>;
  /** Give it back: it is redelivered (to any receiver) after `delay` ms. */
  nak(delay?: number): void;
}

export interface ChannelInfo { depth: number; unacknowledged: number; capacity: number; closed: boolean }

let handles = 0;

export class BridgedChannel<T = Uint8Array> {
  readonly name: string;
  readonly label: string;
  readonly capacity: number;
  readonly maxMessageSize: number;
  readonly ackWait: number;
  codec: Codec<T>;
  readonly #bridge: Bridge;
  readonly #subject: string;
  readonly #stream: string;
  readonly #puller: Puller;
  readonly #handle = ++handles;
  readonly #forget: () => void;
  #sent = 0;
  readonly #sends = new SendQueue();
  #disposed = false;
  readonly #handOff: HandOff;

  private constructor(bridge: Bridge, name: string, codec: Codec<T>, capacity: number, maxMessageSize: number, ackWait: number, prefetch: number) {
    this.#bridge = bridge;
    this.name = name;
    this.label = `bridged channel "${name}"`;
    const n = names(bridge.prefix, 'channel', name);
    this.#subject = n.subject;
    this.#stream = n.stream;
    this.codec = codec;
    this.capacity = capacity;
    this.maxMessageSize = maxMessageSize;
    this.ackWait = ackWait;
    this.#puller = new Puller(this.label, bridge.nc, () => bridge.js.consumers.get(this.#stream, 'receivers'), ackWait, prefetch, () => this.#ended());
    this.#handOff = new HandOff(bridge, 'channel', name, this.#stream, {
      canTake: (seq) => this.#puller.canHandOff && this.#puller.pulledUpTo >= seq,
      take: (data) => this.#puller.handOff(data),
      isOpen: async () => await this.#ended(true) === undefined,
    });
    this.#forget = bridge.own(this);
  }

  /** Open the channel `name`, creating its stream (and consumer) with `options` if it is new. */
  static async open<T>(bridge: Bridge, name: string, options: BridgedChannelOptions<T> = {}): Promise<BridgedChannel<T>> {
    checkName(name);
    bridge.live(`bridge.channel("${name}")`);
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const codec = codecOf<T>(options.codec);
    let capacity = intOf(options.capacity ?? 1024, 'capacity', 1, 2 ** 31 - 1);
    const maxMessageSize = intOf(options.maxMessageSize ?? bridge.maxPayload, 'maxMessageSize', 1, bridge.maxPayload);
    let ackWait = msOf(options.ackWait ?? 30_000, 'ackWait');
    const dup = msOf(options.duplicateWindow ?? 120_000, 'duplicateWindow');
    const prefetch = intOf(options.prefetch ?? 16, 'prefetch', 1, 4096);
    if (ackWait < 1000) throw new RangeError(`ackWait must be >= 1000 ms, got ${ackWait}`);
    const storage = options.storage ?? 'file';
    if (storage !== 'file' && storage !== 'memory') throw new TypeError(`storage must be 'file' or 'memory', got ${String(storage)}`);
    const { subject, stream } = names(bridge.prefix, 'channel', name);
    const what = `bridge.channel("${name}")`;
    try {
      const info = await openStream(bridge.jsm, {
        name: stream, subjects: [subject], retention: RetentionPolicy.Workqueue, discard: DiscardPolicy.New,
        max_msgs: capacity, duplicate_window: nanos(dup), num_replicas: bridge.replicas,
        storage: storage === 'file' ? StorageType.File : StorageType.Memory,
      });
      capacity = info.config.max_msgs;       // an existing stream's own
      const consumer = await orMissing(bridge.jsm.consumers.info(stream, 'receivers'))
        ?? await bridge.jsm.consumers.add(stream, { durable_name: 'receivers', ack_policy: AckPolicy.Explicit, ack_wait: nanos(ackWait), max_deliver: -1 });
      ackWait = (consumer.config.ack_wait ?? nanos(ackWait)) / 1e6;
    } catch (e) {
      throw errorFrom(e, what);
    }
    return new BridgedChannel<T>(bridge, name, codec, capacity, maxMessageSize, ackWait, prefetch);
  }

  #live(what: string): void {
    if (this.#disposed) throw new ClosedError(`${this.label}: ${what}: this handle is disposed`, -3);
    this.#bridge.live(`${this.label}: ${what}`);
  }

  #encode(value: T): Uint8Array {
    const bytes = this.codec.encode(value);
    checkSize(bytes, this.maxMessageSize, this.#bridge.maxPayload, this.label);
    return bytes;
  }

  // ---- sending ----

  /** Send, waiting while the stream is full (options.timeout: TimeoutError; signal: its reason). */
  sendAsync(value: T, options: SendOptions = {}): Promise<void> {
    return this.#send(value, options, true, 'sendAsync()').then(() => undefined);
  }

  /** Send unless the stream is full now: false then (nothing was stored). */
  trySendAsync(value: T, options: { msgId?: string } = {}): Promise<boolean> {
    return this.#send(value, options, false, 'trySendAsync()');
  }

  #send(value: T, options: SendOptions, wait: boolean, what: string): Promise<boolean> {
    try {
      this.#live(what);
      if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
      const { deadline, signal } = waitOptions(options);
      const bytes = this.#encode(value);
      const id = options.msgId ?? `${this.#bridge.id}.${this.#handle}.${++this.#sent}`;
      if (typeof id !== 'string' || id.length === 0) throw new TypeError('msgId must be a non-empty string');
      const direct = options.msgId === undefined;
      return this.#sends.push(deadline, signal, wait, `${this.label}: ${what}`,
        async () => (direct && await this.#handOff.send(bytes, deadline, signal)) || this.#publish(bytes, id, deadline, wait, what, signal));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Into the stream (publishStored), then the hand-off learns its sequence. */
  async #publish(bytes: Uint8Array, id: string, deadline: number, wait: boolean, what: string, signal?: AbortSignal): Promise<boolean> {
    const seq = await publishStored(this.#bridge, this.#subject, bytes, id, {
      deadline, wait, signal, label: this.label, what, queue: this.#sends, full: 'the channel is full', gone: () => this.#ended(true),
    });
    if (seq === false) return false;
    this.#handOff.stored(seq);
    return true;
  }

  // ---- receiving ----

  /** The next message, acknowledged before it is returned (never delivered again). */
  async recvAsync(options?: WaitOptions): Promise<T> {
    this.#live('recvAsync()');
    const { deadline, signal } = waitOptions(options);
    this.#handOff.receiving();
    const m = await this.#puller.take(false, deadline, signal);
    return this.codec.decode(m.data);
  }

  /** The next message, unacknowledged: call ack() when done (redelivered after ackWait if this process dies first). */
  async take(options?: WaitOptions): Promise<TakenMessage<T>> {
    this.#live('take()');
    const { deadline, signal } = waitOptions(options);
    const m = await this.#puller.take(true, deadline, signal, 'take()');
    return taken(m, this.codec.decode(m.data), this.label);
  }

  /** for await (const v of channel): ends when the channel is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      try {
        yield await this.recvAsync();
      } catch (e) {
        if (e instanceof ClosedError) return;
        throw e;
      }
    }
  }

  send(): never { return wouldBlock(this.label, 'send()', 'sendAsync()'); }
  trySend(): never { return wouldBlock(this.label, 'trySend()', 'trySendAsync()'); }
  recv(): never { return wouldBlock(this.label, 'recv()', 'recvAsync()'); }
  tryRecv(): never { return wouldBlock(this.label, 'tryRecv()', 'recvAsync({ timeout: 0 })'); }

  // ---- state ----

  /** Closed (or removed) and nothing left to hand out: the error receivers get; else undefined. */
  async #ended(sending = false): Promise<Error | undefined> {
    const info = await orMissing(this.#bridge.jsm.streams.info(this.#stream));
    if (!info) return new ClosedError(`${this.label}: removed (its stream is gone)`, -3);
    if (info.config.subjects?.includes(this.#subject)) return undefined;
    if (sending) return new ClosedError(`${this.label}: closed`, -3);
    const c = await this.#bridge.jsm.consumers.info(this.#stream, 'receivers');
    if (c.num_pending === 0 && c.num_ack_pending === 0) return new ClosedError(`${this.label}: closed and drained`, -3);
    return undefined;
  }

  /** Close for everyone: sends fail with ClosedError; receivers drain, then see the end. */
  async close(): Promise<void> {
    this.#live('close()');
    await this.#sends.drained();
    try {
      await this.#bridge.jsm.streams.update(this.#stream, { subjects: [`${this.#bridge.prefix}.closed.channel.${this.name}`] });
    } catch (e) { throw errorFrom(e, `${this.label}: close()`); }
    this.#handOff.ended();
  }

  async info(): Promise<ChannelInfo> {
    this.#live('info()');
    try {
      const s = await this.#bridge.jsm.streams.info(this.#stream);
      const c = await this.#bridge.jsm.consumers.info(this.#stream, 'receivers');
      return { depth: c.num_pending, unacknowledged: c.num_ack_pending, capacity: s.config.max_msgs, closed: !s.config.subjects?.includes(this.#subject) };
    } catch (e) { throw errorFrom(e, `${this.label}: info()`); }
  }

  /** Delete the stream (and what it holds) for everyone. */
  async unlink(): Promise<void> {
    this.#live('unlink()');
    try { await this.#bridge.jsm.streams.delete(this.#stream); } catch (e) { if (!isMissing(e)) throw errorFrom(e, `${this.label}: unlink()`); }
    this.#handOff.ended();
    this.dispose();
  }

  /** Forget this handle: buffered messages go back to the stream, waiting receives get ClosedError. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#handOff.dispose();
    this.#puller.dispose();
    this.#forget();
  }
}

/** A JsMsg as a TakenMessage. */
export function taken<T>(m: JsMsg, value: T, label: string): TakenMessage<T> {
  return {
    value,
    id: m.headers?.get('Nats-Msg-Id') ?? `${m.info.stream}:${m.seq}`,
    deliveries: m.info.deliveryCount,
    async ack() {
      try {
        if (!await m.ackAck({ timeout: 5000 })) throw new ClosedError(`${label}: ack(): the server did not confirm it`, -3);
      } catch (e) { throw errorFrom(e, `${label}: ack()`); }
    },
    nak(delay?: number) { m.nak(delay); },
  };
}
