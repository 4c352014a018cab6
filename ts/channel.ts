// Channel: a bounded MPMC queue of messages through shared memory (assembly/channel.ts).
// The host only copies payload bytes into the slot the core reserved and out of the slot it
// handed over; the core moves every index.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { ClosedError, DeadPeerError, MessageTooLargeError, errorFor, checkInt, Status } from './errors';
import { mayBlock, checkWaitOptions, parkArmed, abortReason, timeoutError, deadlineOf, type WaitOptions } from './wait';
import { type Codec } from './codec';
import { now } from './platform';

const HEAP = 0x8000_0000;
const RENDEZVOUS = 2;
const UNBOUNDED = 4;
const S_LEN = 4;
const S_DATA = 8;

/** A slot reserved for a zero-copy send: write into `bytes`, then commit(). */
export interface Reservation {
  readonly bytes: Uint8Array;
  commit(): void;
}

/** ms left until a deadline from deadlineOf (-1: none), for the core's blocking calls. */
const remaining = (deadline: number): number => (deadline < 0 ? -1 : Math.max(0, deadline - now()));

export class Channel<T = Uint8Array> extends IpcObject {
  readonly kind: number = Kind.channel;
  /** How values become bytes (set by rt.channel; per handle). */
  codec!: Codec<T>;
  /** capacity 0: send returns only once a receiver has taken the message. */
  readonly rendezvous: boolean = (this.core.ch_flags(this.offset) & RENDEZVOUS) !== 0;
  /** Messages it can hold (0 for a rendezvous, Infinity when unbounded: it grows in the segment's heap). */
  readonly capacity: number = this.rendezvous ? 0 : (this.core.ch_flags(this.offset) & UNBOUNDED) !== 0 ? Infinity : this.core.ch_capacity(this.offset);
  /** Largest message accepted (MessageTooLargeError above). */
  readonly maxMessageSize: number = this.core.ch_max_message(this.offset);
  /** Messages up to this size are copied through the ring; larger ones travel in a heap block. */
  readonly inlineSize: number = this.core.ch_inline_max(this.offset);
  /** A slot kept by recvView() until the next receive. */
  #viewSlot = 0;
  /** Position of the last message #trySend published (rendezvous waits on it). */
  #sentPos = 0;
  /** Registered as a sender / receiver in this thread (for dead-peer detection). */
  #asSender = false;
  #asReceiver = false;

  // ---- sending ----

  #encode(value: T): Uint8Array {
    const bytes = this.codec.encode(value);
    if (bytes.length > this.maxMessageSize) {
      throw new MessageTooLargeError(`${this.label}: message of ${bytes.length} bytes exceeds maxMessageSize ${this.maxMessageSize}`, Status.TOO_LARGE);
    }
    return bytes;
  }

  /** One attempt: true if sent, false if the ring is full. */
  /** Claim a slot for len bytes (a pipe refuses once its readers are gone). */
  protected reserveSlot(len: number): number { return this.core.ch_reserve(this.offset, len); }

  #trySend(bytes: Uint8Array): boolean {
    const core = this.core;
    if (!this.#asSender) { core.ch_register(this.offset, 1); this.#asSender = true; }
    const slot = this.reserveSlot(bytes.length);
    if (slot > 0) {
      this.segment.write(bytes.length <= this.inlineSize ? slot + S_DATA : core.ch_data(slot), bytes);
      this.#sentPos = this.segment.word(slot); // the slot's sequence is its position until committed
      core.ch_commit(this.offset, slot);
      return true;
    }
    if (slot === Status.AGAIN) return false;
    if (slot === Status.DEAD_PEER) throw new DeadPeerError(`${this.label}: every thread that received from it has died, and it is full`, slot);
    throw errorFor(slot, `${this.label}: send`);
  }

  /** Send, blocking while the ring is full (up to `timeout` ms). ClosedError once closed. */
  send(value: T, timeout?: number): void {
    this.live();
    const bytes = this.#encode(value);
    if (!this.#trySend(bytes)) {
      mayBlock(() => `${this.label}: send()`, 'sendAsync()');
      const deadline = deadlineOf(timeout);
      do {
        if (this.core.ch_wait(this.offset, 1, remaining(deadline)) === Status.TIMEOUT) throw timeoutError(`${this.label}: send()`);
      } while (!this.#trySend(bytes));
      if (this.rendezvous) this.#awaitTaken(deadline);
    } else if (this.rendezvous) {
      mayBlock(() => `${this.label}: send()`, 'sendAsync()');
      this.#awaitTaken(deadlineOf(timeout));
    }
  }

  /** Rendezvous: block until a receiver took the message; on timeout or close it is withdrawn. */
  #awaitTaken(deadline: number): void {
    const rc = this.core.ch_wait_taken(this.offset, this.#sentPos, remaining(deadline));
    if (rc === Status.TIMEOUT) throw timeoutError(`${this.label}: send() (no receiver took it; withdrawn)`);
    if (rc < 0) throw errorFor(rc, `${this.label}: send() (withdrawn)`);
  }

  /**
   * Send if there is room now: false when full. Never blocks. On a rendezvous channel it
   * succeeds only if a receiver takes the message at once (else it is withdrawn).
   */
  trySend(value: T): boolean {
    this.live();
    if (!this.#trySend(this.#encode(value))) return false;
    return !this.rendezvous || this.core.ch_taken(this.offset, this.#sentPos) === 1 || this.core.ch_withdraw(this.offset, this.#sentPos) !== Status.OK;
  }

  async sendAsync(value: T, options?: WaitOptions): Promise<void> {
    this.live();
    const bytes = this.#encode(value);
    await this.#untilAsync(1, () => this.#trySend(bytes), 'sendAsync()', options);
    if (this.rendezvous) await this.#takenAsync(this.#sentPos, options);
  }

  async #takenAsync(pos: number, options?: WaitOptions): Promise<void> {
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.core;
    let registered = 0;
    for (;;) {
      if (core.ch_arm_taken(this.offset, pos, registered) === Status.OK) {
        if (core.ch_taken(this.offset, pos) === 1) return;
        if (core.ch_withdraw(this.offset, pos) === Status.OK) throw new ClosedError(`${this.label}: closed before a receiver took the message (withdrawn)`, Status.CLOSED);
        return;
      }
      registered = 1;
      const parked = await parkArmed(this.segment, deadline, signal);
      if (parked !== 'woken') {
        core.ch_disarm(this.offset, 1);
        if (core.ch_withdraw(this.offset, pos) !== Status.OK) return; // taken meanwhile: delivered
        throw parked === 'aborted' ? abortReason(signal) : timeoutError(`${this.label}: sendAsync() (no receiver took it; withdrawn)`);
      }
    }
  }

  /**
   * Send out of band: the message cuts ahead of every queued one (receivers take urgent
   * messages first, in their own order). Never blocks: false when the 16-slot urgent lane
   * is full. Not on unbounded channels.
   */
  sendUrgent(value: T): boolean {
    this.live();
    const bytes = this.#encode(value);
    const core = this.core;
    const slot = core.ch_reserve_urgent(this.offset, bytes.length);
    if (slot === Status.AGAIN) return false;
    if (slot === Status.INVAL) throw new TypeError(`${this.label}: an unbounded channel has no urgent lane`);
    if (slot < 0) throw errorFor(slot, `${this.label}: sendUrgent`);
    this.segment.write(bytes.length <= this.inlineSize ? slot + S_DATA : core.ch_data(slot), bytes);
    core.ch_commit_urgent(this.offset, slot);
    return true;
  }

  /** Send several values, in order (blocking while full). */
  sendMany(values: Iterable<T>, timeout?: number): number {
    let n = 0;
    for (const v of values) { this.send(v, timeout); n++; }
    return n;
  }

  /** Zero-copy send: a writable view of n bytes in the ring (or a heap block); commit() publishes it. */
  reserve(n: number): Reservation {
    this.live();
    checkInt(n, 'n', 0, this.maxMessageSize);
    const core = this.core;
    const slot = this.reserveSlot(n);
    if (slot === Status.AGAIN) throw errorFor(Status.AGAIN, `${this.label}: reserve(${n}): the ring is full`);
    if (slot < 0) throw errorFor(slot, `${this.label}: reserve(${n})`);
    const bytes = this.segment.view(n <= this.inlineSize ? slot + S_DATA : core.ch_data(slot), n);
    let done = false;
    return {
      bytes,
      commit: () => {
        if (done) throw new ClosedError(`${this.label}: this reservation was already committed`, Status.CLOSED);
        done = true;
        core.ch_commit(this.offset, slot);
      },
    };
  }

  /**
   * Count this thread as a sender or receiver now, for dead-peer detection (a thread is
   * counted on its first send or receive anyway). A coordinator that will close the channel
   * registers as a sender so that receivers wait for its close rather than hearing that
   * every sender died.
   */
  registerAs(role: 'sender' | 'receiver'): void {
    this.live();
    if (role !== 'sender' && role !== 'receiver') throw new TypeError(`role must be 'sender' or 'receiver', got ${String(role)}`);
    this.core.ch_register(this.offset, role === 'sender' ? 1 : 0);
    if (role === 'sender') this.#asSender = true; else this.#asReceiver = true;
  }

  // ---- receiving ----

  #releaseView(): void {
    if (this.#viewSlot !== 0) {
      this.core.ch_release(this.offset, this.#viewSlot, 0);
      this.#viewSlot = 0;
    }
  }

  /** Where a taken slot's message lives, and its length. */
  #locate(slot: number): [number, number] {
    const len = this.segment.word(slot + S_LEN);
    return len & HEAP ? [this.segment.word(slot + S_DATA), len & ~HEAP] : [slot + S_DATA, len];
  }

  /** One attempt: the message's slot, 0 when empty; ClosedError once closed and drained. */
  #take(): number {
    this.#releaseView();
    if (!this.#asReceiver) { this.core.ch_register(this.offset, 0); this.#asReceiver = true; }
    const slot = this.core.ch_take(this.offset);
    if (slot > 0) return slot;
    if (slot === Status.AGAIN) return 0;
    if (slot === Status.CLOSED) throw new ClosedError(`${this.label}: closed (end of stream)`, Status.CLOSED);
    if (slot === Status.DEAD_PEER) throw new DeadPeerError(`${this.label}: every thread that sent on it has died, and nothing is queued`, slot);
    throw errorFor(slot, `${this.label}: recv`);
  }

  #decode(slot: number): T {
    const [addr, len] = this.#locate(slot);
    const bytes = this.segment.read(addr, len);
    this.core.ch_release(this.offset, slot, 0);
    return this.codec.decode(bytes);
  }

  /** Receive, blocking while empty (up to `timeout` ms). ClosedError once closed and drained. */
  recv(timeout?: number): T {
    this.live();
    let slot = this.#take();
    if (slot !== 0) return this.#decode(slot);
    mayBlock(() => `${this.label}: recv()`, 'recvAsync()');
    const deadline = deadlineOf(timeout);
    for (;;) {
      if (this.core.ch_wait(this.offset, 0, remaining(deadline)) === Status.TIMEOUT) throw timeoutError(`${this.label}: recv()`);
      slot = this.#take();
      if (slot !== 0) return this.#decode(slot);
    }
  }

  /** Receive if a message is there now; undefined when empty. */
  tryRecv(): T | undefined {
    this.live();
    const slot = this.#take();
    return slot === 0 ? undefined : this.#decode(slot);
  }

  async recvAsync(options?: WaitOptions): Promise<T> {
    this.live();
    let slot = 0;
    await this.#untilAsync(0, () => (slot = this.#take()) !== 0, 'recvAsync()', options);
    return this.#decode(slot);
  }

  /** Wait for at least one message (blocking), then take up to max of those queued. */
  recvMany(max: number, timeout?: number): T[] {
    checkInt(max, 'max', 1, 0x7fff_ffff);
    const out = [this.recv(timeout)];
    for (let v; out.length < max && (v = this.#takeDecoded()) !== undefined;) out.push(v.value);
    return out;
  }

  #takeDecoded(): { value: T } | undefined {
    const slot = this.#take();
    return slot === 0 ? undefined : { value: this.#decode(slot) };
  }

  /**
   * Zero-copy receive of the next message's bytes (blocking while empty): a view into the
   * ring or heap block, valid until the next receive on this handle. Not decoded.
   */
  recvView(timeout?: number): Uint8Array {
    this.live();
    let slot = this.#take();
    if (slot === 0) {
      mayBlock(() => `${this.label}: recvView()`, 'recvAsync()');
      const deadline = deadlineOf(timeout);
      while (slot === 0) {
        if (this.core.ch_wait(this.offset, 0, remaining(deadline)) === Status.TIMEOUT) throw timeoutError(`${this.label}: recvView()`);
        slot = this.#take();
      }
    }
    this.#viewSlot = slot;
    const [addr, len] = this.#locate(slot);
    return this.segment.view(addr, len);
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

  /** Retry `attempt` until it succeeds, parking asynchronously between tries. */
  async #untilAsync(send: 0 | 1, attempt: () => boolean, what: string, options?: WaitOptions): Promise<void> {
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.core;
    let registered = 0;
    try {
      for (;;) {
        if (attempt()) return;
        if (core.ch_arm(this.offset, send, registered) === Status.OK) { registered = 0; continue; }
        registered = 1;
        const parked = await parkArmed(this.segment, deadline, signal);
        if (parked === 'aborted') throw abortReason(signal);
        if (parked === 'timeout' && !attempt()) throw timeoutError(`${this.label}: ${what}`);
        if (parked === 'timeout') return;
      }
    } finally {
      if (registered) core.ch_disarm(this.offset, send);
    }
  }

  // ---- state ----

  /** Close the channel for everyone: senders get ClosedError; receivers drain, then see the end. */
  override close(): void {
    this.live();
    this.core.ch_close(this.offset);
  }

  get closed(): boolean { return this.core.ch_closed(this.offset) === 1; }
  /** Messages queued now. */
  get depth(): number { return this.core.ch_depth(this.offset); }

  override dispose(): void {
    if (!this.disposed) this.#releaseView();
    super.dispose();
  }
}
