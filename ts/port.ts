// Ports (assembly/port.ts): Mach-style ports with one receiving thread, port sets, each
// thread's default port for direct messages, and call() with a one-shot reply port (a
// receipt: assembly/receipt.ts).
import { IpcObject } from './object';
import { Kind } from './kinds';
import type { Segment } from './segment';
import { ClosedError, DeadPeerError, IpcError, MessageTooLargeError, NotOwnerError, AlreadyExistsError, errorFor, check, checkInt, describe, Status } from './errors';
import { checkWaitOptions, deadlineOf, parkOn, remaining, timeoutError, mayBlock, abortReason, untilEvent, untilEventAsync, type WaitOptions } from './wait';
import { bytesCodec, type Codec } from './codec';
import { profiling, mark, Step } from './profile';
import { ackFrom, deliverWith, deliverAsyncWith, sendAndWait, sendAndWaitAsync, LEVEL_REPLY, type DeliverOptions, type Delivery } from './receipt';

const N_DATA = 16;          // a message node's header (port.ts)
const FROM_ANY = 0;
const MAX_MESSAGE = 0x3fff_fff0;

/** A received message. */
export class PortMessage<T = Uint8Array> {
  readonly value: T;
  /** The sending thread's id. */
  readonly sender: number;
  /** The port it came through (a port set says which member; rt.defaultPort() for direct messages). */
  readonly port: Port<T>;
  readonly #seg: Segment;
  readonly #codec: Codec<T>;
  /** The receipt this thread owes an ack or reply on (0: none). */
  #receipt: number;

  /** @internal */
  constructor(seg: Segment, codec: Codec<T>, value: T, sender: number, port: Port<T>, receipt: number) {
    this.#seg = seg;
    this.#codec = codec;
    this.value = value;
    this.sender = sender;
    this.port = port;
    this.#receipt = receipt;
  }

  /** Whether the sender waits on this message: deliver() with confirm 'processed', or call(). */
  get owed(): boolean { return this.#receipt !== 0; }

  /** Tell a deliver(..., { confirm: 'processed' }) or a call() sender that it was processed (a call then returns undefined). */
  ack(): void { this.#settle('ack()'); }

  /** Answer a call(): the caller's call() returns `value`. Once per call, from the receiving thread. */
  reply(value: T): void {
    if (this.#receipt === 0) throw new TypeError('reply(): this message is not a call (or was answered already)');
    const bytes = this.#codec.encode(value);
    if (profiling) mark(Step.replyEncode);
    if (bytes.length > MAX_MESSAGE) throw new MessageTooLargeError(`reply(): message of ${bytes.length} bytes is too large`, Status.TOO_LARGE);
    // the node hangs on the receipt before the bytes go in: a callee killed here leaks nothing
    const node = this.#seg.core.receipt_reply_node(this.#receipt, bytes.length);
    if (node === Status.INVAL) throw new TypeError("reply(): this message is not a call (its sender asked for 'processed': use ack())");
    if (node < 0) throw this.#error(node, 'reply()');
    this.#seg.write(node + N_DATA, bytes);
    if (profiling) mark(Step.replyAlloc);
    this.#settle('reply()');
    if (profiling) mark(Step.settle);
  }

  #settle(what: string): void {
    if (this.#receipt === 0) throw new NotOwnerError(`${what}: nothing is owed on this message (sent without confirmation, or settled already)`, Status.PERM);
    const rc = this.#seg.core.receipt_ack(this.#receipt);
    if (rc < 0) throw this.#error(rc, what);
    this.#receipt = 0;
  }

  #error(rc: number, what: string): Error {
    if (rc === Status.PERM) return new NotOwnerError(`${what}: only the thread that received the message can settle it`, rc);
    return errorFor(rc, what);
  }
}

/** Write bytes into a fresh message node. */
function newNode(seg: Segment, bytes: Uint8Array, what: string): number {
  if (bytes.length > MAX_MESSAGE) throw new MessageTooLargeError(`${what}: message of ${bytes.length} bytes is too large`, Status.TOO_LARGE);
  const node = seg.core.port_msg(bytes.length);
  if (node < 0) throw errorFor(node, `${what}: segment "${seg.name}"`);
  seg.write(node + N_DATA, bytes);
  if (profiling) mark(Step.alloc);
  return node;
}

/** Read a received node into a message: its bytes copied out and the node freed before decoding. */
function readNode<T>(seg: Segment, node: number, codec: Codec<T>, port: Port<T>): PortMessage<T> {
  const core = seg.core;
  const receipt = core.receipt_last();
  const sender = core.port_msg_sender(node);
  const len = core.port_msg_len(node);
  if (len < 0) { core.port_msg_free(node); throw errorFor(len, port.label); }
  const bytes = seg.read(node + N_DATA, len);
  core.port_msg_free(node);
  if (profiling) mark(Step.read);
  const value = codec.decode(bytes);
  if (profiling) mark(Step.decode);
  return new PortMessage(seg, codec, value, sender, port, receipt);
}

/**
 * The sending half shared by ports and direct messages: one attempt of `send(node, receipt)`
 * (the core call), with the blocking, try and async forms and delivery confirmation.
 */
abstract class Sender<T> {
  protected abstract get seg(): Segment;
  protected abstract get where(): string;
  protected abstract coreSend(node: number, receipt: number): number;
  /** The eventcount senders wait on while the backlog is full. */
  protected abstract event(): number;
  protected abstract wait(seen: number, ms: number): number;
  abstract codec: Codec<T>;

  /** One attempt: true if queued, false at the backlog limit. The node is the port's once queued. */
  protected attempt(node: number, receipt: number): boolean {
    const rc = this.coreSend(node, receipt);
    if (profiling) mark(Step.send);
    if (rc === Status.OK) return true;
    if (rc === Status.AGAIN) return false;
    if (rc === Status.DEAD_PEER) throw new DeadPeerError(`${this.where}: its owner thread has died`, rc);
    if (rc === Status.CLOSED) throw new ClosedError(`${this.where}: removed`, rc);
    throw errorFor(rc, this.where);
  }

  /** Queue a node, blocking while the backlog is full; the node is freed if it is not queued. */
  protected queue(node: number, receipt: number, what: string, deadline: number): void {
    try {
      untilEvent(this.seg, this.event(), (seen, ms) => this.wait(seen, ms), () => this.attempt(node, receipt), () => `${this.where}: ${what}`, () => `${what.replace('()', '')}Async()`, deadline);
    } catch (e) { this.seg.core.port_msg_free(node); throw e; }
  }

  protected async queueAsync(node: number, receipt: number, what: string, deadline: number, signal?: AbortSignal): Promise<void> {
    try {
      await untilEventAsync(this.seg, this.event(), () => this.attempt(node, receipt), `${this.where}: ${what}`, deadline, signal);
    } catch (e) { this.seg.core.port_msg_free(node); throw e; }
  }

  protected node(value: T, what: string): number { return newNode(this.seg, this.codec.encode(value), `${this.where}: ${what}`); }

  /** Send, blocking while the port's backlog is full (up to `timeout` ms). DeadPeerError once its owner died. */
  send(value: T, timeout?: number): void {
    const deadline = deadlineOf(timeout);   // before the node is made: a bad timeout leaks nothing
    this.queue(this.node(value, 'send()'), 0, 'send()', deadline);
  }

  /** Send if the backlog has room now: false when full. */
  trySend(value: T): boolean {
    const node = this.node(value, 'trySend()');
    let ok = false;
    try { ok = this.attempt(node, 0); } finally { if (!ok) this.seg.core.port_msg_free(node); }
    return ok;
  }

  async sendAsync(value: T, options?: WaitOptions): Promise<void> {
    const { deadline, signal } = checkWaitOptions(options);
    await this.queueAsync(this.node(value, 'sendAsync()'), 0, 'sendAsync()', deadline, signal);
  }

  /**
   * Send and wait for confirmation: 'received' (default) returns once the owner took it,
   * with its thread id; 'processed' once it called ack(). DeadPeerError if the owner dies
   * first; the timeout covers the whole wait.
   */
  deliver(value: T, options: DeliverOptions = {}): Delivery {
    const bytes = this.codec.encode(value);
    return deliverWith(this.seg, options, `${this.where}: deliver()`, (receipt, deadline) => this.#queueBytes(bytes, receipt, 'deliver()', deadline));
  }

  deliverAsync(value: T, options: DeliverOptions = {}): Promise<Delivery> {
    const bytes = this.codec.encode(value);
    return deliverAsyncWith(this.seg, options, `${this.where}: deliverAsync()`, (receipt, deadline, signal) => this.#queueBytesAsync(bytes, receipt, 'deliverAsync()', deadline, signal));
  }

  /**
   * msg_rpc: send `value` with a one-shot reply port and block until the receiver's
   * reply(), which this returns. DeadPeerError at once if the receiver dies first.
   */
  call<R = T>(value: T, timeout?: number): R {
    const bytes = this.codec.encode(value);
    if (profiling) mark(Step.encode);
    const deadline = deadlineOf(timeout);
    const { reply } = sendAndWait(this.seg, LEVEL_REPLY, `${this.where}: call()`, 'callAsync()', deadline, (receipt) => this.#queueBytes(bytes, receipt, 'call()', deadline));
    return this.#reply(reply) as unknown as R;
  }

  async callAsync<R = T>(value: T, options?: WaitOptions): Promise<R> {
    const bytes = this.codec.encode(value);
    if (profiling) mark(Step.encode);
    const { deadline, signal } = checkWaitOptions(options);
    const { reply } = await sendAndWaitAsync(this.seg, LEVEL_REPLY, `${this.where}: callAsync()`, deadline, signal, (receipt) => this.#queueBytesAsync(bytes, receipt, 'callAsync()', deadline, signal));
    return this.#reply(reply) as unknown as R;
  }

  #queueBytes(bytes: Uint8Array, receipt: number, what: string, deadline: number): void {
    this.queue(newNode(this.seg, bytes, `${this.where}: ${what}`), receipt, what, deadline);
  }

  #queueBytesAsync(bytes: Uint8Array, receipt: number, what: string, deadline: number, signal?: AbortSignal): Promise<void> {
    return this.queueAsync(newNode(this.seg, bytes, `${this.where}: ${what}`), receipt, what, deadline, signal);
  }

  /** A call's reply node: its value (undefined when the receiver only ack()ed), freed. */
  #reply(node: number): T | undefined {
    if (node === 0) return undefined;
    const core = this.seg.core;
    try { return this.codec.decode(this.seg.read(node + N_DATA, check(core.port_msg_len(node), `${this.where}: reply`))); } finally {
      core.port_msg_free(node);
      if (profiling) mark(Step.replyDecode);
    }
  }
}

/**
 * A port: any thread holding it may send; only its owner (the thread that created it, or
 * claimed it after its owner died) may receive. Pass it with toData() / rt.open().
 */
export class Port<T = Uint8Array> extends IpcObject {
  readonly kind: number = Kind.port;
  /** How values become bytes (per handle; bytes by default). */
  codec: Codec<T> = bytesCodec as unknown as Codec<T>;
  readonly #send: PortSender<T> = new PortSender(this);

  /** The thread holding the receive right. */
  get owner(): number { return this.core.port_owner(this.offset); }
  /** Whether this thread holds the receive right. */
  get isOwner(): boolean { return this.owner === this.segment.tid && !this.ownerDied; }
  /** Whether the owner thread has died (sends fail until a thread claim()s it). */
  get ownerDied(): boolean { return this.core.port_dead(this.offset) === 1; }
  /** Messages queued now. */
  get depth(): number { return check(this.core.port_count(this.offset), this.label); }
  /** Most messages it queues (senders then block, or trySend fails). */
  get backlog(): number { return check(this.core.port_backlog(this.offset), this.label); }

  // ---- sending (any thread) ----

  send(value: T, timeout?: number): void { this.live(); this.#send.send(value, timeout); }
  trySend(value: T): boolean { this.live(); return this.#send.trySend(value); }
  sendAsync(value: T, options?: WaitOptions): Promise<void> { this.live(); return this.#send.sendAsync(value, options); }
  deliver(value: T, options?: DeliverOptions): Delivery { this.live(); return this.#send.deliver(value, options); }
  deliverAsync(value: T, options?: DeliverOptions): Promise<Delivery> { this.live(); return this.#send.deliverAsync(value, options); }
  call<R = T>(value: T, timeout?: number): R { this.live(); return this.#send.call<R>(value, timeout); }
  callAsync<R = T>(value: T, options?: WaitOptions): Promise<R> { this.live(); return this.#send.callAsync<R>(value, options); }

  // ---- receiving (the owner) ----

  /** One attempt at the next message from thread `sender` only: the message, or undefined when none is queued. */
  tryReceiveFrom(sender: number): PortMessage<T> | undefined { this.live(); return this.#tryFrom(checkTid(sender)); }

  /** One attempt (from: a thread id, or FROM_ANY): the message, or undefined when none is queued. */
  #tryFrom(from: number): PortMessage<T> | undefined {
    const node = this.core.port_recv(this.offset, from);
    if (profiling) mark(node > 0 ? Step.recv : Step.idle);
    if (node > 0) return readNode(this.segment, node, this.codec, this);
    if (node === Status.AGAIN) return undefined;
    throw receiveError(node, this.label, this.owner);
  }

  /** The next message, blocking while none is queued (up to `timeout` ms). NotOwnerError on another thread. */
  receive(timeout?: number): PortMessage<T> { return this.#receive(FROM_ANY, 'receive()', timeout); }

  /** The next message from thread `sender` only (others stay queued, in order). */
  receiveFrom(sender: number, timeout?: number): PortMessage<T> { return this.#receive(checkTid(sender), 'receiveFrom()', timeout); }

  tryReceive(): PortMessage<T> | undefined { this.live(); return this.#tryFrom(FROM_ANY); }

  /** The next message, without blocking the thread; `spin: false` parks at once (an event loop with other work: wasm-ipc/nats). */
  async receiveAsync(options?: WaitOptions & { from?: number; spin?: boolean }): Promise<PortMessage<T>> {
    this.live();
    const from = options?.from === undefined ? FROM_ANY : checkTid(options.from);
    let got: PortMessage<T> | undefined;
    await this.untilAsync(this.core.port_event(this.offset, 0), () => (got = this.#tryFrom(from)) !== undefined, 'receiveAsync()', options, undefined, options?.spin ?? true);
    return got!;
  }

  #receive(from: number, what: string, timeout?: number): PortMessage<T> {
    this.live();
    let got: PortMessage<T> | undefined;
    const wait = (seen: number, ms: number): number => {
      const rc = this.core.port_wait(this.offset, 0, seen, ms);
      if (profiling) mark(Step.idle);
      return rc;
    };
    untilEvent(this.segment, this.core.port_event(this.offset, 0), wait, () => (got = this.#tryFrom(from)) !== undefined, () => `${this.label}: ${what}`, () => 'receiveAsync()', deadlineOf(timeout));
    return got!;
  }

  /** Messages as they come, until the port is removed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<PortMessage<T>> {
    for (;;) {
      try { yield await this.receiveAsync(); } catch (e) { if (e instanceof ClosedError) return; throw e; }
    }
  }

  /** ack() the oldest message received here with confirm 'processed' and not yet acknowledged. */
  ack(): void { this.live(); ackFrom(this.segment, this.offset, this.label); }

  /** Take over the receive right of a port whose owner died (a service's fail-over). AlreadyExistsError while it lives. */
  claim(): void {
    this.live();
    const rc = this.core.port_claim(this.offset);
    if (rc === Status.EXISTS) throw new AlreadyExistsError(`${this.label}: its owner (thread ${this.owner}) is alive`, rc);
    if (rc < 0) throw errorFor(rc, this.label);
  }
}

/** A Port's sending half (the object's own fields, behind the Sender forms). */
class PortSender<T> extends Sender<T> {
  readonly #port: Port<T>;
  constructor(port: Port<T>) { super(); this.#port = port; }
  get codec(): Codec<T> { return this.#port.codec; }
  protected get seg(): Segment { return this.#port.segment; }
  protected get where(): string { return this.#port.label; }
  protected coreSend(node: number, receipt: number): number { return this.seg.core.port_send(this.#port.offset, node, receipt); }
  protected event(): number { return this.seg.core.port_event(this.#port.offset, 1); }
  protected wait(seen: number, ms: number): number { return this.seg.core.port_wait(this.#port.offset, 1, seen, ms); }
}

/** Direct messages to thread `tid`'s default port (rt.send / rt.deliver / rt.call). */
export class ThreadSender<T> extends Sender<T> {
  readonly #seg: Segment;
  readonly #tid: number;
  codec: Codec<T>;
  constructor(seg: Segment, tid: number, codec: Codec<T>) { super(); this.#seg = seg; this.#tid = checkTid(tid); this.codec = codec; }
  protected get seg(): Segment { return this.#seg; }
  protected get where(): string { return `thread ${this.#tid}'s default port`; }
  protected coreSend(node: number, receipt: number): number { return this.#seg.core.port_send_thread(this.#tid, node, receipt); }
  // A full default port: wait on the receiver's notFull (its memory is never freed).
  protected event(): number { return this.#seg.core.port_event(this.#threadPort(), 1); }
  protected wait(seen: number, ms: number): number { return this.#seg.core.port_wait(this.#threadPort(), 1, seen, ms); }
  #threadPort(): number {
    const p = this.#seg.core.port_of_thread(this.#tid);
    if (p === 0) throw new DeadPeerError(`${this.where}: no thread ${this.#tid} was ever attached`, Status.DEAD_PEER);
    return check(p, this.where);
  }
}

/** This thread's default port, as a receive-only Port (not a registry object: never disposed). */
export class ThreadPort<T = Uint8Array> extends Port<T> {
  override dispose(): void { /* it lives as long as the thread */ }
  override remove(): void { throw new TypeError("a thread's default port cannot be removed"); }
  override get label(): string { return `thread ${this.segment.tid}'s default port`; }
}

/**
 * A port set (Mach): one receive over several ports this thread owns, telling which port
 * each message came from (message.port). Ports in one segment; a port is in one set at most.
 */
export class PortSet<T = Uint8Array> {
  readonly #ports: Port<T>[] = [];
  #next = 0;

  get ports(): readonly Port<T>[] { return this.#ports; }

  /** Add a port this thread owns (NotOwnerError otherwise; AlreadyExistsError if it is in a set). */
  add(port: Port<T>): this {
    if (!(port instanceof Port)) throw new TypeError(`expected a Port, got ${describe(port)}`);
    if (this.#ports.length > 0 && this.#ports[0]!.segment !== port.segment) throw new RangeError('a port set holds ports of one segment');
    const rc = port.segment.core.port_set_member(port.offset, 1);
    if (rc === Status.PERM) throw new NotOwnerError(`${port.label}: only its owner (thread ${port.owner}) can put it in a port set`, rc);
    if (rc === Status.EXISTS) throw new AlreadyExistsError(`${port.label}: already in a port set`, rc);
    if (rc < 0) throw errorFor(rc, port.label);
    this.#ports.push(port);
    return this;
  }

  remove(port: Port<T>): void {
    const i = this.#ports.indexOf(port);
    if (i < 0) throw new RangeError(`${port.label} is not in this set`);
    this.#ports.splice(i, 1);
    port.segment.core.port_set_member(port.offset, 0);
  }

  /** One pass over the members, starting after the last one served (fairness). */
  tryReceive(): PortMessage<T> | undefined {
    const n = this.#ports.length;
    for (let k = 0; k < n; k++) {
      const i = (this.#next + k) % n;
      const got = this.#ports[i]!.tryReceive();
      if (got !== undefined) { this.#next = i + 1; return got; }
    }
    return undefined;
  }

  /** The next message from any member, blocking while none has one. */
  receive(timeout?: number): PortMessage<T> {
    const seg = this.#segment('receive()');
    mayBlock(() => 'port set receive()', 'receiveAsync()');
    const deadline = deadlineOf(timeout);
    for (;;) {
      const v = seg.core.sel_begin();   // member sends bump this thread's wake word
      const got = this.tryReceive();
      if (got !== undefined) return got;
      if (deadline >= 0 && remaining(deadline) === 0) throw timeoutError('port set receive()');
      seg.core.sel_park(v, remaining(deadline));
    }
  }

  async receiveAsync(options?: WaitOptions): Promise<PortMessage<T>> {
    const seg = this.#segment('receiveAsync()');
    const { deadline, signal } = checkWaitOptions(options);
    for (;;) {
      const v = seg.core.sel_begin();
      const got = this.tryReceive();
      if (got !== undefined) return got;
      const parked = await parkOn(seg, seg.core.port_wake_addr(), v, deadline, signal);
      if (parked === 'aborted') throw abortReason(signal);
      if (parked === 'timeout') {
        const last = this.tryReceive();
        if (last !== undefined) return last;
        throw timeoutError('port set receiveAsync()');
      }
    }
  }

  /** Take every port out of the set. */
  clear(): void { for (const p of [...this.#ports]) this.remove(p); }

  #segment(what: string): Segment {
    if (this.#ports.length === 0) throw new IpcError(`port set ${what}: the set is empty`, Status.INVAL);
    return this.#ports[0]!.segment;
  }
}

export function checkTid(tid: unknown): number {
  return checkInt(tid, 'thread id', 1, 0x3fff_ffff);
}

function receiveError(rc: number, label: string, owner: number): Error {
  if (rc === Status.PERM) return new NotOwnerError(`${label}: only its owner (thread ${owner}) can receive from it`, rc);
  if (rc === Status.CLOSED) return new ClosedError(`${label}: removed`, rc);
  return errorFor(rc, label);
}
