// MessageQueue: POSIX message queue semantics (assembly/mqueue.ts).
import { IpcObject } from './object';
import { Kind } from './kinds';
import { ClosedError, MessageTooLargeError, IpcError, errorFor, check, checkInt, Status } from './errors';
import { parkOn, deadlineOf, untilEvent, timeoutLeft, type WaitOptions } from './wait';
import { bytesCodec, type Codec } from './codec';
import { STAGING } from './segment';
import { ackFrom, deliverWith, deliverAsyncWith, type DeliverOptions, type Delivery } from './receipt';

/** A received message and its priority (0–31, higher first). */
export interface Received<T> { value: T; priority: number }

export interface MqAttributes { curMessages: number; maxMessages: number; maxMessageSize: number }


export class MessageQueue<T = Uint8Array> extends IpcObject {
  readonly kind: number = Kind.mqueue;
  /** How values become bytes (per handle; bytes by default). */
  codec: Codec<T> = bytesCodec as unknown as Codec<T>;
  readonly maxMessages: number = check(this.core.mq_max_messages(this.offset), this.label);
  readonly maxMessageSize: number = check(this.core.mq_max_size(this.offset), this.label);
  #notifyRun = 0;

  /** mq_getattr: messages queued now, and the limits. */
  attributes(): MqAttributes {
    this.liveChecked();
    return { curMessages: check(this.core.mq_count(this.offset), this.label), maxMessages: this.maxMessages, maxMessageSize: this.maxMessageSize };
  }

  // ---- send ----

  #encode(value: T, priority: number): Uint8Array {
    checkInt(priority, 'priority', 0, 31);
    const bytes = this.codec.encode(value);
    if (bytes.length > this.maxMessageSize) {
      throw new MessageTooLargeError(`${this.label}: message of ${bytes.length} bytes exceeds maxMessageSize ${this.maxMessageSize}`, Status.TOO_LARGE);
    }
    return bytes;
  }

  /** One attempt: true if queued, false when full. receipt: 0, or a Receipt's offset. */
  #trySend(bytes: Uint8Array, priority: number, receipt = 0): boolean {
    const seg = this.segment;
    let src = seg.staging();
    let block = 0;
    if (src === 0 || bytes.length > STAGING) {           // no staging block, or too big for it
      block = this.core.alloc(Math.max(bytes.length, 1), 0);
      if (block < 0) throw errorFor(block, `${this.label}: send`);
      src = block;
    }
    seg.write(src, bytes);
    const rc = this.core.mq_send_from(this.offset, src, bytes.length, priority, receipt);
    if (block) this.core.free(block);
    if (rc === Status.OK) return true;
    if (rc === Status.AGAIN) return false;
    if (rc === Status.CLOSED) throw new ClosedError(`${this.label}: removed`, rc);
    throw errorFor(rc, `${this.label}: send`);
  }

  /** mq_send: queue value with a priority (0–31), blocking while full (up to `timeout` ms). */
  send(value: T, priority = 0, timeout?: number): void {
    this.live();
    const bytes = this.#encode(value, priority);
    this.#blocking(1, () => this.#trySend(bytes, priority), 'send()', timeout);
  }

  /** Queue it if there is room now: false when full (nothing displaced, whatever its priority). */
  trySend(value: T, priority = 0): boolean {
    this.live();
    return this.#trySend(this.#encode(value, priority), priority);
  }

  async sendAsync(value: T, priority = 0, options?: WaitOptions): Promise<void> {
    this.live();
    const bytes = this.#encode(value, priority);
    await this.#async(1, () => this.#trySend(bytes, priority), 'sendAsync()', options);
  }

  /**
   * Send and wait for confirmation (blocking): `confirm` 'received' (default) returns once a
   * receiver took it, with that thread's id; 'processed' once the receiver called ack().
   * DeadPeerError if the receiver dies first; the timeout covers the whole wait.
   */
  deliver(value: T, options: DeliverOptions & { priority?: number } = {}): Delivery {
    this.live();
    const priority = options.priority ?? 0;
    const bytes = this.#encode(value, priority);
    return deliverWith(this.segment, options, `${this.label}: deliver()`, (receipt, deadline) =>
      this.#blocking(1, () => this.#trySend(bytes, priority, receipt), 'deliver()', timeoutLeft(deadline)));
  }

  async deliverAsync(value: T, options: DeliverOptions & { priority?: number } = {}): Promise<Delivery> {
    this.live();
    const priority = options.priority ?? 0;
    const bytes = this.#encode(value, priority);
    return deliverAsyncWith(this.segment, options, `${this.label}: deliverAsync()`, (receipt, deadline, signal) =>
      this.#async(1, () => this.#trySend(bytes, priority, receipt), 'deliverAsync()', { timeout: timeoutLeft(deadline), signal }));
  }

  /** Confirm processing ('processed' deliveries) of the oldest message this thread received here and has not acknowledged. */
  ack(): void {
    this.live();
    ackFrom(this.segment, this.offset, this.label);
  }

  // ---- receive ----

  /** One attempt: the message, or undefined when empty. */
  #tryReceive(): Received<T> | undefined {
    const staging = this.segment.staging();
    let len = staging !== 0 ? this.core.mq_recv_into(this.offset, staging, STAGING) : Status.TOO_LARGE;
    if (len >= 0) return this.#received(staging, len);
    if (len === Status.TOO_LARGE) {                       // longer than the staging block
      const need = Math.max(check(this.core.mq_next_len(this.offset), `${this.label}: receive`), 1);
      const block = this.core.alloc(need, 0);
      if (block < 0) throw errorFor(block, `${this.label}: receive`);
      try {
        len = this.core.mq_recv_into(this.offset, block, need);
        if (len >= 0) return this.#received(block, len);
      } finally { this.core.free(block); }
    }
    if (len === Status.AGAIN || len === Status.TOO_LARGE) return undefined;   // (TOO_LARGE: another receiver took it meanwhile)
    if (len === Status.CLOSED) throw new ClosedError(`${this.label}: removed`, len);
    throw errorFor(len, `${this.label}: receive`);
  }

  #received(at: number, len: number): Received<T> {
    return { value: this.codec.decode(this.segment.read(at, len)), priority: this.core.mq_last_priority() };
  }

  /** mq_receive: the oldest message of the highest priority, blocking while empty. */
  receive(timeout?: number): Received<T> {
    this.live();
    let got: Received<T> | undefined;
    this.#blocking(0, () => (got = this.#tryReceive()) !== undefined, 'receive()', timeout);
    return got!;
  }

  /** The next message if there is one now, else undefined. */
  tryReceive(): Received<T> | undefined {
    this.live();
    return this.#tryReceive();
  }

  async receiveAsync(options?: WaitOptions): Promise<Received<T>> {
    this.live();
    let got: Received<T> | undefined;
    await this.#async(0, () => (got = this.#tryReceive()) !== undefined, 'receiveAsync()', options);
    return got!;
  }

  /** Messages as they come ({ value, priority }), until the queue is removed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Received<T>> {
    for (;;) {
      try { yield await this.receiveAsync(); } catch (e) { if (e instanceof ClosedError) return; throw e; }
    }
  }

  // ---- waiting ----

  #blocking(send: number, attempt: () => boolean, what: string, timeout?: number): void {
    const wait = (seen: number, ms: number): number => this.core.mq_wait(this.offset, send, seen, ms);
    untilEvent(this.segment, this.core.mq_event(this.offset, send), wait, attempt, () => `${this.label}: ${what}`, () => what.replace('()', 'Async()'), deadlineOf(timeout));
  }

  #async(send: number, attempt: () => boolean, what: string, options?: WaitOptions): Promise<void> {
    const counted = send ? undefined : (delta: number): void => this.core.mq_receivers_waiting(this.offset, delta);
    return this.untilAsync(this.core.mq_event(this.offset, send), attempt, what, options, counted);
  }

  // ---- notify ----

  /**
   * mq_notify: call `callback` once, when the queue goes from empty to non-empty while no
   * receiver is blocked; the registration is then removed. One registration per queue
   * (IpcError if another thread holds it); `notify(null)` drops this thread's.
   */
  notify(callback: ((mq: MessageQueue<T>) => void) | null): void {
    this.live();
    const core = this.core;
    if (callback === null) {
      const rc = core.mq_notify(this.offset, 0);
      if (rc === Status.PERM) throw new IpcError(`${this.label}: notify(null): this thread holds no registration`, rc);
      if (rc < 0) throw errorFor(rc, `${this.label}: notify(null)`);
      this.#notifyRun++;
      return;
    }
    if (typeof callback !== 'function') throw new TypeError('notify takes a function or null');
    const event = core.mq_notify_event(this.offset);
    const seen = core.ec_seq(event);
    const rc = core.mq_notify(this.offset, 1);
    if (rc === Status.EXISTS) throw new IpcError(`${this.label}: notify: another thread is registered (EBUSY)`, rc);
    if (rc < 0) throw errorFor(rc, this.label);
    const run = ++this.#notifyRun;
    void (async () => {
      for (let last = seen; ;) {
        const word = Number(core.ec_prepare(event, last));
        if (word !== -1) await parkOn(this.segment, event, word, -1);
        if (run !== this.#notifyRun || !this.alive) return;     // dropped, replaced, removed
        last = core.ec_seq(event);
        if (core.mq_notify_armed(this.offset) === 1) continue;  // still registered: spurious
        this.#notifyRun++;
        callback(this);                                         // fired (and deregistered)
        return;
      }
    })();
  }

  /**
   * mq_unlink: take the queue's name away. Handles already open (in any thread) keep sending
   * and receiving; the queue is freed when the last of them closes; `messageQueue(name)`
   * now makes a new queue. NotFoundError if the name is already unlinked. `remove()` ends
   * the queue for everyone, now.
   */
  unlink(): void {
    this.liveChecked();
    if (this.name === null) throw new TypeError(`${this.label}: an unnamed queue has no name to unlink`);
    check(this.segment.core.reg_unlink(this.offset, this.serial), `${this.label}: unlink`);
  }
}
