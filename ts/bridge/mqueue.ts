// BridgedMessageQueue: a POSIX-style priority message queue shared by processes, in JetStream.
//
// One stream `<prefix>_mq_<name>` (work-queue retention, file storage, max_msgs = maxMessages,
// discard 'new', deduplication by message id) on the subjects `<prefix>.mq.<name>.<priority>`:
// one subject per priority band (0–31, higher first), each with its own durable pull consumer.
// Subjects rather than a priority header because JetStream hands a consumer its messages in
// stream order and cannot sort by a header; a band per subject lets a receiver ask the stream
// for the count of each band in one request (subjects_filter) and take from the highest
// non-empty one. Semantics, against the local MessageQueue:
//  - each message to exactly one receiver among all processes, the highest priority first and
//    FIFO within a priority; receiveAsync() acknowledges (server-confirmed) before returning;
//  - a message sent while a receiver is already taking from a lower band may come after that
//    lower one (the local queue decides atomically; here it is one round trip of slack);
//  - maxMessages full: sendAsync() waits and retries (timeout: TimeoutError), trySendAsync() false;
//  - persisted: the stream outlives every process; unlink() deletes it.
// Differences: every form is async (the blocking ones throw WouldBlockError); no notify().
// Local fast path (ts/bridge/handoff.ts): a send with the default message id to a receiver of
// this process that waits with the stream empty is handed over in shared memory, its priority
// in the first byte; never stored. Order per sender holds as there; priority order holds as
// over the stream (a receive that saw the stream empty takes what comes first, the same round
// trip of slack as above).
import { AckPolicy, DiscardPolicy, RetentionPolicy, StorageType, type Consumer } from '@nats-io/jetstream';
import { nanos, type Subscription } from '@nats-io/transport-node';
import { ClosedError, TimeoutError, type Codec, type CodecName } from '../index';
import type { Bridge } from './bridge';
import { HandOff } from './handoff';
import { checkName, checkSize, codecOf, errorFrom, exists, intOf, isMissing, left, names, openStream, removed, waitOptions, wouldBlock, type WaitOptions } from './naming';
import { publishStored, SendQueue } from './publish';

/** A handed-over message: its priority, then its bytes. */
function withPriority(bytes: Uint8Array, priority: number): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out[0] = priority;
  out.set(bytes, 1);
  return out;
}

export interface BridgedReceived<T> { value: T; priority: number }
export interface BridgedMqOptions<T> { maxMessages?: number; maxMessageSize?: number; codec?: CodecName | Codec<T>; ackWait?: number }

const BANDS = 32;
let handles = 0;

export class BridgedMessageQueue<T = Uint8Array> {
  readonly label: string;
  codec: Codec<T>;
  readonly #bridge: Bridge;
  readonly #subject: string;
  readonly #stream: string;
  readonly #consumers = new Map<number, Consumer>();
  readonly #ackWait: number;
  readonly #handle = ++handles;
  readonly #forget: () => void;
  #sent = 0;
  readonly #sends = new SendQueue();
  #wake: Subscription | undefined;
  /** Receives waiting with the stream empty: a publish wakes them (undefined), a hand-off gives them its bytes. */
  readonly #waiting = new Set<(handed?: Uint8Array) => void>();
  readonly #handOff: HandOff;
  #handedOutTo = 0;            // every message up to this stream sequence was handed out (a receive here saw the stream empty after it, or took it)
  #disposed = false;

  private constructor(bridge: Bridge, readonly name: string, codec: Codec<T>, readonly maxMessages: number, readonly maxMessageSize: number, ackWait: number) {
    this.#bridge = bridge;
    this.label = `bridged message queue "${name}"`;
    const n = names(bridge.prefix, 'mq', name);
    this.#subject = n.subject;
    this.#stream = n.stream;
    this.codec = codec;
    this.#ackWait = ackWait;
    this.#handOff = new HandOff(bridge, 'mq', name, this.#stream, {
      canTake: (seq) => this.#waiting.size > 0 && this.#handedOutTo >= seq,
      take: (data) => { const w = this.#waiting.values().next().value!; w(data); },
      isOpen: () => this.#exists(),
    });
    this.#forget = bridge.own(this);
  }

  static async open<T>(bridge: Bridge, name: string, options: BridgedMqOptions<T> = {}): Promise<BridgedMessageQueue<T>> {
    checkName(name);
    bridge.live(`bridge.messageQueue("${name}")`);
    const codec = codecOf<T>(options.codec);
    let maxMessages = intOf(options.maxMessages ?? 1024, 'maxMessages', 1, 2 ** 31 - 1);
    const maxMessageSize = intOf(options.maxMessageSize ?? bridge.maxPayload, 'maxMessageSize', 1, bridge.maxPayload);
    const ackWait = intOf(options.ackWait ?? 30_000, 'ackWait', 1000, 2 ** 31 - 1);
    const { subject, stream } = names(bridge.prefix, 'mq', name);
    try {
      const info = await openStream(bridge.jsm, {
        name: stream, subjects: [`${subject}.*`], retention: RetentionPolicy.Workqueue, discard: DiscardPolicy.New,
        max_msgs: maxMessages, duplicate_window: nanos(120_000), num_replicas: bridge.replicas, storage: StorageType.File,
      });
      maxMessages = info.config.max_msgs;
    } catch (e) { throw errorFrom(e, `bridge.messageQueue("${name}")`); }
    return new BridgedMessageQueue<T>(bridge, name, codec, maxMessages, maxMessageSize, ackWait);
  }

  #live(what: string): void {
    if (this.#disposed) throw new ClosedError(`${this.label}: ${what}: this handle is disposed`, -3);
    this.#bridge.live(`${this.label}: ${what}`);
  }

  /** Send with `priority` (0–31), waiting while the queue is full. */
  sendAsync(value: T, priority = 0, options: WaitOptions & { msgId?: string } = {}): Promise<void> {
    return this.#send(value, priority, options, true, 'sendAsync()').then(() => undefined);
  }

  trySendAsync(value: T, priority = 0): Promise<boolean> { return this.#send(value, priority, {}, false, 'trySendAsync()'); }

  #send(value: T, priority: number, options: WaitOptions & { msgId?: string }, wait: boolean, what: string): Promise<boolean> {
    try {
      this.#live(what);
      intOf(priority, 'priority', 0, BANDS - 1);
      const { deadline, signal } = waitOptions(options);
      const bytes = this.codec.encode(value);
      checkSize(bytes, this.maxMessageSize, this.#bridge.maxPayload, this.label);
      const id = options.msgId ?? `${this.#bridge.id}.mq${this.#handle}.${++this.#sent}`;
      return this.#sends.push(deadline, signal, wait, `${this.label}: ${what}`, async () => {
        if (options.msgId === undefined && await this.#handOff.send(withPriority(bytes, priority), deadline, signal)) return true;
        const seq = await publishStored(this.#bridge, `${this.#subject}.${priority}`, bytes, id, {
          deadline, wait, signal, label: this.label, what, queue: this.#sends, full: 'the queue is full',
          gone: () => removed(this.#bridge.jsm, this.#stream, this.label),
        });
        if (seq === false) return false;
        this.#handOff.stored(seq);
        return true;
      });
    } catch (e) { return Promise.reject(e); }
  }

  async #exists(): Promise<boolean> {
    return exists(this.#bridge.jsm.streams.info(this.#stream));
  }

  async #band(p: number): Promise<Consumer> {
    let c = this.#consumers.get(p);
    if (!c) {
      const durable = `p${p}`;
      await this.#bridge.jsm.consumers.info(this.#stream, durable).catch(async (e) => {
        if (!isMissing(e)) throw e;
        return this.#bridge.jsm.consumers.add(this.#stream, { durable_name: durable, filter_subject: `${this.#subject}.${p}`, ack_policy: AckPolicy.Explicit, ack_wait: nanos(this.#ackWait), max_deliver: -1 });
      });
      c = await this.#bridge.js.consumers.get(this.#stream, durable);
      this.#consumers.set(p, c);
    }
    return c;
  }

  /** The highest-priority message, acknowledged before it is returned. */
  async receiveAsync(options?: WaitOptions): Promise<BridgedReceived<T>> {
    this.#live('receiveAsync()');
    const { deadline, signal } = waitOptions(options);
    this.#handOff.receiving();
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      let counts: Record<string, number>, last: number;
      try {
        const info = await this.#bridge.jsm.streams.info(this.#stream, { subjects_filter: `${this.#subject}.*` });
        counts = info.state.subjects ?? {};
        last = info.state.last_seq;
      } catch (e) {
        if (isMissing(e)) throw new ClosedError(`${this.label}: removed (unlinked)`, -3);
        throw errorFrom(e, `${this.label}: receiveAsync()`);
      }
      const bands = Object.entries(counts).filter(([, n]) => n > 0).map(([s]) => Number(s.slice(s.lastIndexOf('.') + 1))).sort((a, b) => b - a);
      for (const p of bands) {
        try {
          const m = await (await this.#band(p)).next({ expires: 1000 });
          if (m && await m.ackAck().catch(() => false)) return { value: this.codec.decode(m.data), priority: p };
        } catch (e) {
          if (isMissing(e)) throw new ClosedError(`${this.label}: removed (unlinked)`, -3);
        }
        break;                                  // counts changed meanwhile: look again
      }
      if (bands.length > 0) continue;
      if (last > this.#handedOutTo) this.#handedOutTo = last;   // empty: all up to `last` is handed out (bands go by priority, so only this says it)
      if (left(deadline) <= 0) throw new TimeoutError(`${this.label}: receiveAsync() timed out`, -2);
      const handed = await this.#published(Math.min(250, left(deadline)), signal);
      if (handed !== undefined) return { value: this.codec.decode(handed.subarray(1)), priority: handed[0]! };
    }
  }

  /** Wait, the stream empty: for the next publish to the queue's subjects (a core subscription sees them), `ms`, or a hand-off (its bytes). */
  #published(ms: number, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    this.#wake ??= this.#bridge.nc.subscribe(`${this.#subject}.*`, { callback: () => { for (const w of [...this.#waiting]) w(); } });
    return new Promise((resolve) => {
      const done = (handed?: Uint8Array): void => {
        this.#waiting.delete(done);
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        resolve(handed);
      };
      const onAbort = (): void => done();
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.add(done);
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BridgedReceived<T>> {
    for (;;) {
      try { yield await this.receiveAsync(); } catch (e) { if (e instanceof ClosedError) return; throw e; }
    }
  }

  async attributes(): Promise<{ curMessages: number; maxMessages: number; maxMessageSize: number }> {
    this.#live('attributes()');
    try {
      const info = await this.#bridge.jsm.streams.info(this.#stream);
      return { curMessages: info.state.messages, maxMessages: info.config.max_msgs, maxMessageSize: this.maxMessageSize };
    } catch (e) { throw errorFrom(e, `${this.label}: attributes()`); }
  }

  send(): never { return wouldBlock(this.label, 'send()', 'sendAsync()'); }
  receive(): never { return wouldBlock(this.label, 'receive()', 'receiveAsync()'); }

  /** Delete the queue (its stream) for everyone. */
  async unlink(): Promise<void> {
    this.#live('unlink()');
    try { await this.#bridge.jsm.streams.delete(this.#stream); } catch (e) { if (!isMissing(e)) throw errorFrom(e, `${this.label}: unlink()`); }
    this.#handOff.ended();
    this.dispose();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#wake?.unsubscribe();
    this.#handOff.dispose();
    for (const w of [...this.#waiting]) w();
    this.#forget();
  }
}
