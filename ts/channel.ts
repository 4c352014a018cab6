// Channel: a bounded MPMC queue of messages through shared memory (assembly/channel.ts).
// The host only copies payload bytes into the slot the core reserved and out of the slot it
// handed over; the core moves every index. Every address the host writes or views comes
// from the core's ch_data, which checks the slot's length and heap block first (a corrupted
// channel is CorruptedError, never a write elsewhere: assembly/guard.ts); the host reads no
// pointer from shared memory itself.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { ClosedError, DeadPeerError, IpcError, MessageTooLargeError, errorFor, check, checkInt, checkTimeout, describe, Status } from './errors';
import { mayBlock, checkWaitOptions, parkArmed, abortReason, timeoutError, deadlineOf, remaining, timeoutLeft, type WaitOptions } from './wait';
import { bytesCodec, type Codec } from './codec';
import { STAGING } from './segment';
import { Receipt, ackFrom, deliverWith, deliverAsyncWith, type DeliverOptions, type Delivery } from './receipt';

const RENDEZVOUS = 2;
const UNBOUNDED = 4;
// batches in the staging block: up to BATCH_MAX lengths, then the messages' bytes
const BATCH_MAX = 1024;
const BATCH_LENS = 4 * BATCH_MAX;
const BATCH_DATA = STAGING - BATCH_LENS;
// Messages up to this size go through the thread's staging block (one core call copies them
// in or out); longer ones are written into and read from their slot or heap block directly
// (one copy instead of two).
const STAGED_MAX = 4096;
const ANY = 0xffff_ffff;

/** A slot reserved for a zero-copy send: write into `bytes`, then commit(). */
export interface Reservation {
  readonly bytes: Uint8Array;
  commit(): void;
}

/** "nothing received" (undefined may be a value). */
const NONE: unique symbol = Symbol('none');

/** A blocking form's timeout, checked before the first attempt: a bad one is refused even when no wait is needed. */
const checkMs = (timeout: unknown): void => { if (timeout !== undefined) checkTimeout(timeout); };


export class Channel<T = Uint8Array> extends IpcObject {
  readonly kind: number = Kind.channel;
  /** How values become bytes: per handle (rt.channel sets it; bytes by default, e.g. after rt.open). */
  codec: Codec<T> = bytesCodec as unknown as Codec<T>;
  /** capacity 0: send returns only once a receiver has taken the message. */
  readonly rendezvous: boolean = (check(this.core.ch_flags(this.offset), this.label) & RENDEZVOUS) !== 0;
  /** Messages it can hold (0 for a rendezvous, Infinity when unbounded: it grows in the segment's heap). */
  readonly capacity: number = this.rendezvous ? 0 : (check(this.core.ch_flags(this.offset), this.label) & UNBOUNDED) !== 0 ? Infinity : check(this.core.ch_capacity(this.offset), this.label);
  /** Largest message accepted (MessageTooLargeError above). */
  readonly maxMessageSize: number = check(this.core.ch_max_message(this.offset), this.label);
  /** Messages up to this size are copied through the ring; larger ones travel in a heap block. */
  readonly inlineSize: number = check(this.core.ch_inline_max(this.offset), this.label);
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

  /**
   * One attempt: true if sent, false if the ring is full. One core call: the core copies
   * from staging. With a receipt (deliver), the bytes go to a heap block that carries it.
   */
  #trySend(bytes: Uint8Array, receipt = 0): boolean {
    const core = this.core;
    if (!this.#asSender) { core.ch_register(this.offset, 1); this.#asSender = true; }
    const n = bytes.length;
    let rc: number;
    const staging = n <= STAGED_MAX && receipt === 0 ? this.segment.staging() : 0;
    if (receipt !== 0) {
      rc = core.ch_reserve_receipt(this.offset, n, receipt);
      if (rc > 0) rc = this.#fill(rc, bytes);
    } else if (staging !== 0) {
      this.segment.write(staging, bytes);
      rc = core.ch_send_from(this.offset, staging, n);
    } else {
      rc = core.ch_reserve(this.offset, n);
      if (rc > 0) rc = this.#fill(rc, bytes);
    }
    if (rc === Status.OK) {
      if (this.rendezvous) this.#sentPos = core.ch_last_pos();
      return true;
    }
    if (rc === Status.AGAIN) return false;
    if (rc === Status.DEAD_PEER) throw new DeadPeerError(`${this.label}: every thread that received from it has died, and it is full`, rc);
    throw this.#sendError(rc, 'send');
  }

  /** Write a reserved slot's bytes where the core says (checked there), then publish: ch_commit's status. */
  #fill(slot: number, bytes: Uint8Array): number {
    const at = this.core.ch_data(this.offset, slot, bytes.length);
    if (at < 0) return at;   // (corrupted: the slot stays claimed, nothing written)
    this.segment.write(at, bytes);
    return this.core.ch_commit(this.offset, slot);
  }

  #sendError(rc: number, what: string): Error {
    if (rc === Status.INVAL) return new IpcError(`${this.label}: ${what}: a reservation is out on this spsc channel; commit it first`, rc);
    return errorFor(rc, `${this.label}: ${what}`);
  }

  /** Send, blocking while the ring is full (up to `timeout` ms). ClosedError once closed. */
  send(value: T, timeout?: number): void {
    this.live();
    checkMs(timeout);
    this.#sendBytes(this.#encode(value), timeout);
  }

  /** send() once encoded (sendPacked sends raw bytes through it too). */
  #sendBytes(bytes: Uint8Array, timeout?: number): void {
    if (!this.#trySend(bytes)) {
      const deadline = this.#waitUntil(1, () => this.#trySend(bytes), 'send()', timeout);
      if (this.rendezvous) this.#awaitTaken(deadline);
    } else if (this.rendezvous) {
      mayBlock(() => `${this.label}: send()`, 'sendAsync()');
      this.#awaitTaken(deadlineOf(timeout));
    }
  }

  /**
   * The slow path of the blocking forms, once a first attempt failed: wait on one side
   * (send = 1: for room, 0: for a message) until attempt() succeeds, up to `timeout` ms.
   * Returns the deadline (a rendezvous send goes on waiting until it).
   */
  #waitUntil(send: number, attempt: () => boolean, what: string, timeout: number | undefined): number {
    mayBlock(() => `${this.label}: ${what}`, send ? 'sendAsync()' : 'recvAsync()');
    const deadline = deadlineOf(timeout);
    do {
      if (this.core.ch_wait(this.offset, send, remaining(deadline)) === Status.TIMEOUT) throw timeoutError(`${this.label}: ${what}`);
      if (attempt()) return deadline;
    } while (remaining(deadline) !== 0);   // (a wait that ends at once, say on a corrupted channel, still ends at the deadline)
    throw timeoutError(`${this.label}: ${what}`);
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
    if (!this.rendezvous || this.core.ch_taken(this.offset, this.#sentPos) === 1) return true;
    const rc = this.core.ch_withdraw(this.offset, this.#sentPos);
    if (rc === Status.CORRUPT) throw errorFor(rc, `${this.label}: trySend`);
    return rc !== Status.OK;
  }

  /**
   * @internal Send if there is room now, with a receipt of level 'received' that the caller
   * keeps: its offset (read core.receipt_state / receipt_receiver, then core.receipt_drop),
   * or 0 when full. The worker pool tracks which thread took each task with it.
   */
  trySendTracked(bytes: Uint8Array): number {
    this.live();
    const receipt = new Receipt(this.segment, 1);
    let sent = false;
    try { sent = this.#trySend(bytes, receipt.offset); } finally { if (!sent) receipt.discard(); }
    return sent ? receipt.offset : 0;
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
        const rc = core.ch_withdraw(this.offset, pos);
        if (rc === Status.OK) throw new ClosedError(`${this.label}: closed before a receiver took the message (withdrawn)`, Status.CLOSED);
        if (rc === Status.CORRUPT) throw errorFor(rc, `${this.label}: sendAsync()`);
        return;
      }
      registered = 1;
      const parked = await parkArmed(this.segment, deadline, signal);
      if (parked !== 'woken') {
        core.ch_disarm(this.offset, 1);
        const rc = core.ch_withdraw(this.offset, pos);
        if (rc === Status.CORRUPT) throw errorFor(rc, `${this.label}: sendAsync()`);
        if (rc !== Status.OK) return; // taken meanwhile: delivered
        throw parked === 'aborted' ? abortReason(signal) : timeoutError(`${this.label}: sendAsync() (no receiver took it; withdrawn)`);
      }
    }
  }

  /**
   * Send and wait for confirmation: 'received' (default) returns once a receiver took the
   * message, with that thread's id; 'processed' once the receiver called ack() on this
   * channel. DeadPeerError if the receiver dies first; the timeout covers the whole wait
   * (on timeout the message stays queued).
   */
  deliver(value: T, options: DeliverOptions = {}): Delivery {
    this.live();
    const bytes = this.#encode(value);
    return deliverWith(this.segment, options, `${this.label}: deliver()`, (receipt, deadline) => {
      if (receipt === 0) return this.#sendBytes(bytes, timeoutLeft(deadline));
      if (!this.#trySend(bytes, receipt)) this.#waitUntil(1, () => this.#trySend(bytes, receipt), 'deliver()', timeoutLeft(deadline));
    });
  }

  async deliverAsync(value: T, options: DeliverOptions = {}): Promise<Delivery> {
    this.live();
    const bytes = this.#encode(value);
    return deliverAsyncWith(this.segment, options, `${this.label}: deliverAsync()`, async (receipt, deadline, signal) => {
      await this.#untilAsync(1, () => this.#trySend(bytes, receipt), 'deliverAsync()', { timeout: timeoutLeft(deadline), signal });
      if (receipt === 0 && this.rendezvous) await this.#takenAsync(this.#sentPos, { timeout: timeoutLeft(deadline), signal });
    });
  }

  /** Confirm processing ('processed' deliveries) of the oldest message this thread received here and has not acknowledged. */
  ack(): void {
    this.live();
    ackFrom(this.segment, this.offset, this.label);
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
    this.segment.write(check(core.ch_data(this.offset, slot, bytes.length), `${this.label}: sendUrgent`), bytes);
    check(core.ch_commit_urgent(this.offset, slot), `${this.label}: sendUrgent`);
    return true;
  }

  /**
   * Send several values, in order, blocking while full: staged together and handed to the
   * core in batches (one call per batch, one wake-up). Returns how many were sent.
   */
  sendMany(values: Iterable<T>, timeout?: number): number {
    this.live();
    checkMs(timeout);
    const seg = this.segment;
    const staging = seg.staging();
    if (this.rendezvous || staging === 0) { let n = 0; for (const v of values) { this.send(v, timeout); n++; } return n; }
    const deadline = deadlineOf(timeout);
    const lens = seg.i32At(staging, BATCH_MAX);
    let total = 0;
    let count = 0;
    let used = 0;
    for (const v of values) {
      const bytes = this.#encode(v);
      const n = bytes.length;
      if (count === BATCH_MAX || used + n > BATCH_DATA) { total += this.#sendStaged(count, deadline, total); count = used = 0; }
      if (n > BATCH_DATA) { this.send(v, timeoutLeft(deadline)); total++; continue; }
      lens[count++] = n;
      seg.write(staging + BATCH_LENS + used, bytes);
      used += n;
    }
    return total + this.#sendStaged(count, deadline, total);
  }

  /**
   * Send messages packed in one array, with no codec and no per-message allocation: message
   * i is the next lengths[i] bytes of `bytes`. Blocks while full (up to `timeout` ms);
   * returns how many were sent (all of them, or a TimeoutError).
   */
  sendPacked(bytes: Uint8Array, lengths: ArrayLike<number>, timeout?: number): number {
    this.live();
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes must be a Uint8Array, got ${describe(bytes)}`);
    let sum = 0;
    const max = this.maxMessageSize;
    for (let i = 0; i < lengths.length; i++) {
      const n = lengths[i]!;
      sum += n >>> 0 === n && n <= max ? n : checkInt(n, `lengths[${i}]`, 0, max);  // checkInt throws the precise error
    }
    if (sum > bytes.length) throw new RangeError(`lengths add up to ${sum} bytes, but bytes holds ${bytes.length}`);
    const seg = this.segment;
    const staging = seg.staging();
    const deadline = deadlineOf(timeout);
    let total = 0;
    let at = 0;
    const one = (n: number): void => { this.#sendBytes(bytes.subarray(at, at + n), timeoutLeft(deadline)); at += n; total++; };
    if (this.rendezvous || staging === 0) { for (let i = 0; i < lengths.length; i++) one(lengths[i]!); return total; }
    const lens = seg.i32At(staging, BATCH_MAX);
    let i = 0;
    while (i < lengths.length) {
      if (lengths[i]! > BATCH_DATA) { one(lengths[i++]!); continue; }
      let count = 0;
      let used = 0;
      while (i < lengths.length && count < BATCH_MAX && used + lengths[i]! <= BATCH_DATA) { lens[count++] = lengths[i]!; used += lengths[i++]!; }
      seg.write(staging + BATCH_LENS, bytes.subarray(at, at + used));
      at += used;
      total += this.#sendStaged(count, deadline, total);
    }
    return total;
  }

  /** Hand count staged messages (lengths and bytes in the staging block) to the core, waiting while full. */
  #sendStaged(count: number, deadline: number, before: number): number {
    const core = this.core;
    const seg = this.segment;
    const staging = seg.staging();
    if (!this.#asSender) { core.ch_register(this.offset, 1); this.#asSender = true; }
    let sent = 0;
    let data = staging + BATCH_LENS;
    while (sent < count) {
      const rc = core.ch_send_batch(this.offset, staging + 4 * sent, data, count - sent);
      if (rc > 0) {
        for (let k = 0; k < rc; k++) data += seg.word(staging + 4 * (sent + k));
        sent += rc;
        continue;
      }
      if (rc !== Status.AGAIN) throw this.#sendError(rc, `sendMany (${before + sent} sent)`);
      mayBlock(() => `${this.label}: sendMany()`, 'sendAsync()');
      if (core.ch_wait(this.offset, 1, remaining(deadline)) === Status.TIMEOUT) throw timeoutError(`${this.label}: sendMany() (${before + sent} sent)`);
    }
    return sent;
  }

  /**
   * Zero-copy send: a writable view of n bytes in the ring (or a heap block); commit()
   * publishes it. Blocks while the channel is full (up to `timeout` ms: TimeoutError).
   */
  reserve(n: number, timeout?: number): Reservation {
    this.live();
    checkInt(n, 'n', 0, this.maxMessageSize);
    checkMs(timeout);
    let slot = this.core.ch_reserve(this.offset, n);
    if (slot === Status.AGAIN) this.#waitUntil(1, () => (slot = this.core.ch_reserve(this.offset, n)) !== Status.AGAIN, `reserve(${n})`, timeout);
    return this.#reservation(slot, n);
  }

  /** reserve() if there is room now: undefined when the channel is full. */
  tryReserve(n: number): Reservation | undefined {
    this.live();
    checkInt(n, 'n', 0, this.maxMessageSize);
    const slot = this.core.ch_reserve(this.offset, n);
    return slot === Status.AGAIN ? undefined : this.#reservation(slot, n);
  }

  #reservation(slot: number, n: number): Reservation {
    const core = this.core;
    if (slot < 0) throw this.#sendError(slot, `reserve(${n})`);
    const bytes = this.segment.view(check(core.ch_data(this.offset, slot, n), `${this.label}: reserve(${n})`), n);
    let done = false;
    return {
      bytes,
      commit: () => {
        if (done) throw new ClosedError(`${this.label}: this reservation was already committed`, Status.CLOSED);
        done = true;
        const rc = core.ch_commit(this.offset, slot);
        if (rc < 0) throw errorFor(rc, `${this.label}: commit (nothing was sent)`);
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
      const slot = this.#viewSlot;
      this.#viewSlot = 0;
      check(this.core.ch_release(this.offset, slot, 0), this.label);
    }
  }

  /**
   * Where a taken slot's message lives, and its length: the core's answer, checked there
   * (CorruptedError, the slot given back, when its fields are not a message's).
   */
  #locate(slot: number): [number, number] {
    const core = this.core;
    const len = core.ch_len(this.offset, slot);
    const at = len < 0 ? len : core.ch_data(this.offset, slot, len);
    if (at < 0) { core.ch_release(this.offset, slot, 0); throw errorFor(at, `${this.label}: recv`); }
    return [at, len];
  }

  /** One attempt: the message's slot, 0 when empty; ClosedError once closed and drained. */
  #take(): number {
    this.#releaseView();
    if (!this.#asReceiver) { this.core.ch_register(this.offset, 0); this.#asReceiver = true; }
    const slot = this.core.ch_take(this.offset, ANY);
    if (slot > 0) return slot;
    if (slot === Status.AGAIN) return 0;
    throw this.#takeError(slot);
  }

  #decode(slot: number): T {
    const [addr, len] = this.#locate(slot);
    const bytes = this.segment.read(addr, len);
    check(this.core.ch_release(this.offset, slot, 0), this.label);
    return this.codec.decode(bytes);
  }

  /** One attempt, one core call (it copies into staging): the value, or NONE when empty. */
  #tryRecv(): T | typeof NONE {
    this.#releaseView();
    const core = this.core;
    if (!this.#asReceiver) { core.ch_register(this.offset, 0); this.#asReceiver = true; }
    const staging = this.segment.staging();
    if (staging === 0) { const slot = this.#take(); return slot === 0 ? NONE : this.#decode(slot); }
    const n = core.ch_recv_into(this.offset, staging, STAGED_MAX);
    if (n >= 0) return this.codec.decode(this.segment.read(staging, n));
    if (n === Status.AGAIN) return NONE;
    if (n === Status.TOO_LARGE) { const slot = this.#take(); return slot === 0 ? NONE : this.#decode(slot); } // read it in place
    throw this.#takeError(n);
  }

  #takeError(rc: number): Error {
    if (rc === Status.CLOSED) return new ClosedError(`${this.label}: closed (end of stream)`, Status.CLOSED);
    if (rc === Status.DEAD_PEER) return new DeadPeerError(`${this.label}: every thread that sent on it has died, and nothing is queued`, rc);
    return errorFor(rc, `${this.label}: recv`);
  }

  /** Receive, blocking while empty (up to `timeout` ms). ClosedError once closed and drained. */
  recv(timeout?: number): T {
    this.live();
    checkMs(timeout);
    let v = this.#tryRecv();
    if (v === NONE) this.#waitUntil(0, () => (v = this.#tryRecv()) !== NONE, 'recv()', timeout);
    return v as T;
  }

  /**
   * Receive the next message's bytes into `target` without allocating (blocking up to
   * `timeout` ms while empty); returns its length. Not decoded. RangeError if the message is
   * longer than target (it stays queued): size target to maxMessageSize.
   */
  recvInto(target: Uint8Array, timeout?: number): number {
    this.live();
    if (!(target instanceof Uint8Array)) throw new TypeError(`target must be a Uint8Array, got ${describe(target)}`);
    checkMs(timeout);
    let n = this.#tryRecvInto(target);
    if (n < 0) this.#waitUntil(0, () => (n = this.#tryRecvInto(target)) >= 0, 'recvInto()', timeout);
    return n;
  }

  /** Like recvInto, but never waits: -1 when empty. */
  tryRecvInto(target: Uint8Array): number {
    this.live();
    if (!(target instanceof Uint8Array)) throw new TypeError(`target must be a Uint8Array, got ${describe(target)}`);
    return this.#tryRecvInto(target);
  }

  #tryRecvInto(target: Uint8Array): number {
    this.#releaseView();
    const core = this.core;
    if (!this.#asReceiver) { core.ch_register(this.offset, 0); this.#asReceiver = true; }
    const staging = this.segment.staging();
    let n = staging !== 0 ? core.ch_recv_into(this.offset, staging, Math.min(target.length, STAGED_MAX)) : Status.TOO_LARGE;
    if (n >= 0) { this.segment.copyOut(staging, n, target); return n; }
    if (n === Status.TOO_LARGE) {                        // a long one: copied from its slot
      const slot = core.ch_take(this.offset, target.length);
      if (slot > 0) {
        const [addr, len] = this.#locate(slot);
        this.segment.copyOut(addr, len, target);
        check(core.ch_release(this.offset, slot, 0), this.label);
        return len;
      }
      n = slot;
    }
    if (n === Status.AGAIN) return -1;
    if (n === Status.TOO_LARGE) throw new RangeError(`${this.label}: the next message is longer than target (${target.length} bytes); it stays queued`);
    throw this.#takeError(n);
  }

  /** Receive if a message is there now; undefined when empty. */
  tryRecv(): T | undefined {
    this.live();
    const v = this.#tryRecv();
    return v === NONE ? undefined : v;
  }

  async recvAsync(options?: WaitOptions): Promise<T> {
    this.live();
    let v: T | typeof NONE = NONE;
    await this.#untilAsync(0, () => (v = this.#tryRecv()) !== NONE, 'recvAsync()', options);
    return v as T;
  }

  /**
   * Wait for at least one message (blocking up to `timeout` ms), then take up to max of
   * those queued: copied out in batches (one core call, one wake-up per batch). A batch is
   * copied out once, and its messages are views of that copy (with the bytes codec, messages
   * of one call may share an ArrayBuffer; each still owns its own bytes).
   */
  recvMany(max: number, timeout?: number): T[] {
    checkInt(max, 'max', 1, 0x7fff_ffff);
    const out = [this.recv(timeout)];
    const seg = this.segment;
    const staging = seg.staging();
    if (staging === 0) return out;
    const lens = seg.i32At(staging, BATCH_MAX);
    while (out.length < max) {
      const n = this.#recvStaged(Math.min(max - out.length, BATCH_MAX), BATCH_DATA);
      if (n === Status.TOO_LARGE) { const v = this.#tryRecv(); if (v === NONE) break; out.push(v); continue; }
      if (n === Status.CORRUPT) throw this.#takeError(n);
      if (n <= 0) break;
      let bytes = 0;
      for (let k = 0; k < n; k++) bytes += lens[k]!;
      const copy = seg.read(staging + BATCH_LENS, bytes), buf = copy.buffer, codec = this.codec;
      for (let k = 0, at = 0; k < n; at += lens[k++]!) out.push(codec.decode(new Uint8Array(buf, at, lens[k]!)));
    }
    return out;
  }

  /**
   * Receive messages packed into caller arrays, with no codec and no allocation: waits for
   * at least one (blocking up to `timeout` ms), then takes as many of those queued as fit
   * in `target` and `lengths`. Message i is the next lengths[i] bytes of target; returns
   * the count. RangeError if the next message is longer than target (it stays queued).
   */
  recvPacked(target: Uint8Array, lengths: Uint32Array, timeout?: number): number {
    this.live();
    if (!(target instanceof Uint8Array)) throw new TypeError(`target must be a Uint8Array, got ${describe(target)}`);
    if (!(lengths instanceof Uint32Array) || lengths.length === 0) throw new TypeError(`lengths must be a non-empty Uint32Array, got ${describe(lengths)}`);
    checkMs(timeout);
    const seg = this.segment;
    const staging = seg.staging();
    if (staging === 0) { const n = this.recvInto(target, timeout); lengths[0] = n; return 1; }
    const lens = seg.i32At(staging, BATCH_MAX);
    let got = 0;
    let used = 0;
    let deadline: number | undefined;   // from the first wait on (a batch that finds messages never reads the clock)
    while (got < lengths.length) {
      const n = this.#recvStaged(Math.min(lengths.length - got, BATCH_MAX), Math.min(target.length - used, BATCH_DATA));
      if (n > 0) {
        let bytes = 0;
        for (let k = 0; k < n; k++) bytes += lens[k]!;
        seg.copyOut(staging + BATCH_LENS, bytes, target, used);
        lengths.set(lens.subarray(0, n), got);
        used += bytes;
        got += n;
        continue;
      }
      if (got > 0) break;
      if (n === Status.TOO_LARGE) {                      // beyond the staging block: copied from its slot
        const len = this.#tryRecvInto(target); // (RangeError if longer than target: it stays queued)
        if (len >= 0) { lengths[got++] = len; used += len; }
        continue;
      }
      if (n !== Status.AGAIN) throw this.#takeError(n);
      // nothing yet: wait for a message, then take the batch from the top
      deadline = this.#waitUntil(0, () => true, 'recvPacked()', deadline === undefined ? timeout : timeoutLeft(deadline));
    }
    return got;
  }

  /** One core call: up to max messages (cap bytes) into the staging block; the count or a status. */
  #recvStaged(max: number, cap: number): number {
    this.#releaseView();
    const core = this.core;
    if (!this.#asReceiver) { core.ch_register(this.offset, 0); this.#asReceiver = true; }
    const staging = this.segment.staging();
    return core.ch_recv_batch(this.offset, staging, staging + BATCH_LENS, cap, max);
  }

  /**
   * Zero-copy receive of the next message's bytes (blocking while empty): a view into the
   * ring or heap block, valid until the next receive on this handle. Not decoded.
   */
  recvView(timeout?: number): Uint8Array {
    this.live();
    checkMs(timeout);
    let slot = this.#take();
    if (slot === 0) this.#waitUntil(0, () => (slot = this.#take()) !== 0, 'recvView()', timeout);
    const [addr, len] = this.#locate(slot);
    this.#viewSlot = slot;
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
  #untilAsync(send: 0 | 1, attempt: () => boolean, what: string, options?: WaitOptions): Promise<void> {
    return this.tracked(() => this.#untilAsync_(send, attempt, what, options), this.core.ch_wait_word(this.offset, send));
  }

  async #untilAsync_(send: 0 | 1, attempt: () => boolean, what: string, options?: WaitOptions): Promise<void> {
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.core;
    let registered = 0;
    try {
      for (;;) {
        if (attempt()) return;
        if (core.ch_arm(this.offset, send, registered) === Status.OK) { registered = 0; continue; }
        registered = 1;
        const parked = await parkArmed(this.segment, deadline, signal);
        this.live();                      // disposed meanwhile: ClosedError
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
  get depth(): number { return check(this.core.ch_depth(this.offset), this.label); }

  override dispose(): void {
    if (!this.disposed && this.#viewSlot !== 0) {   // (a corrupted channel keeps it: nothing to report at dispose)
      this.core.ch_release(this.offset, this.#viewSlot, 0);
      this.#viewSlot = 0;
    }
    super.dispose();
  }
}
