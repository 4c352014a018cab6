// Delivery confirmation (assembly/receipt.ts): the sender's side of a receipt, shared by
// channels, message queues and ports. deliver() queues a message with a receipt and waits
// until the level it asked for is reached; the receiver's ack() (or a call's reply) settles
// the "processed" level, and the receiver's death fails it.
import type { Segment } from './segment';
import { DeadPeerError, NotOwnerError, OutOfMemoryError, Status, describe, errorFor } from './errors';
import { profiling, mark, beforeWait, Step } from './profile';
import { mayBlock, parkOn, abortReason, timeoutError, remaining, deadlineOf, checkWaitOptions, type WaitOptions } from './wait';

/** When deliver() returns: once queued (as send), once a receiver took it, or once it called ack(). */
export type Confirm = 'queued' | 'received' | 'processed';

export interface DeliverOptions extends WaitOptions {
  /** Default 'received'. */
  confirm?: Confirm;
}

/** What deliver() learnt: the level reached, and the receiving thread's id (0 when only queued). */
export interface Delivery { confirm: Confirm; receiver: number }

const LEVELS: Record<Confirm, number> = { queued: 0, received: 1, processed: 2 };
export const LEVEL_REPLY = 3;
// receipt states
const RECEIVED = 1;
const PROCESSED = 2;
const DEAD = 3;

export function confirmLevel(confirm: unknown): number {
  const level = LEVELS[(confirm ?? 'received') as Confirm];
  if (level === undefined || typeof confirm === 'number') {
    throw new TypeError(`confirm must be 'queued', 'received' or 'processed', got ${describe(confirm)}`);
  }
  return level;
}

/** A sender's receipt: make it, send its offset with the message, then wait (or discard it). */
export class Receipt {
  readonly offset: number;
  readonly #seg: Segment;
  readonly #level: number;

  constructor(seg: Segment, level: number) {
    const r = seg.core.receipt_new(level);
    if (r < 0) throw new OutOfMemoryError(`segment "${seg.name}" is full: no room for a receipt`, r);
    this.#seg = seg;
    this.#level = level;
    this.offset = r;
    if (profiling) mark(Step.receipt);
  }

  /** The message never left (the send failed): give the receipt up. */
  discard(): void {
    const core = this.#seg.core;
    // Not attached: both references are ours. Attached and dropped (a failed commit): one.
    if (core.receipt_state(this.offset) !== DEAD) core.receipt_drop(this.offset);
    core.receipt_drop(this.offset);
  }

  #target(): number { return this.#level === 1 ? RECEIVED : PROCESSED; }

  /** The outcome once settled: the receiver's id, or throw. Drops the sender's reference. */
  #settled(state: number, what: string): number {
    const core = this.#seg.core;
    const receiver = core.receipt_receiver(this.offset);
    if (state === DEAD) {
      core.receipt_drop(this.offset);
      throw Object.assign(new DeadPeerError(receiver !== 0
        ? `${what}: the receiver (thread ${receiver}) died before confirming`
        : `${what}: the message was dropped before anyone received it (its port's owner died, or the object was removed)`, Status.DEAD_PEER), { received: receiver !== 0 });
    }
    return receiver;
  }

  /** Block until the level is reached (or the deadline: TimeoutError). The receiver's id. */
  wait(deadline: number, what: string): number {
    const core = this.#seg.core;
    const target = this.#target();
    for (;;) {
      const state = core.receipt_state(this.offset);
      if (state >= target) return this.#done(this.#settled(state, what), what);
      if (profiling) mark(Step.wait);
      mayBlock(() => what, 'the async form');
      if (core.receipt_wait(this.offset, state, remaining(deadline)) === 2 && core.receipt_state(this.offset) === state) {
        core.receipt_drop(this.offset);
        throw timeoutError(`${what} (the message stays queued)`);
      }
    }
  }

  async waitAsync(deadline: number, signal: AbortSignal | undefined, what: string): Promise<number> {
    const core = this.#seg.core;
    const target = this.#target();
    for (;;) {
      const state = core.receipt_state(this.offset);
      if (state >= target) return this.#done(this.#settled(state, what), what);
      if (profiling) mark(Step.wait);
      core.receipt_prepare(this.offset);
      const parked = await parkOn(this.#seg, this.offset, state, deadline, signal);
      if (parked !== 'woken' && core.receipt_state(this.offset) === state) {
        core.receipt_drop(this.offset);
        throw parked === 'aborted' ? abortReason(signal) : timeoutError(`${what} (the message stays queued)`);
      }
    }
  }

  /** A settled receipt: the reply node it holds is taken first (calls), then it is dropped. */
  #done(receiver: number, what: string): number {
    if (profiling) mark(Step.wait);
    const reply = this.#level === LEVEL_REPLY ? this.#seg.core.receipt_take_reply(this.offset) : 0;
    this.#seg.core.receipt_drop(this.offset);
    if (profiling) mark(Step.take);
    if (reply < 0) throw errorFor(reply, `${what}: its reply`);
    this.reply = reply;
    return receiver;
  }

  /** A call's reply node (port.ts layout), once wait() returned. */
  reply = 0;
}

/** ack() on an object: settle the oldest receipt this thread owes on a message it took there. */
export function ackFrom(seg: Segment, obj: number, label: string): void {
  const rc = seg.core.receipt_ack_from(obj);
  if (rc < 0 && rc !== Status.PERM) throw errorFor(rc, `${label}: ack()`);
  if (rc < 0) throw new NotOwnerError(`${label}: ack(): this thread owes no acknowledgement here (nothing received with confirm 'processed', or acknowledged already)`, rc);
}

/**
 * Send with a receipt of `level` and block until it settles: `send(receipt)` queues the
 * message (it may block until the deadline). A send that throws discards the receipt.
 * Returns the settled receipt (its receiver's id from wait(), a call's reply node in .reply).
 */
export function sendAndWait(seg: Segment, level: number, what: string, asyncForm: string, deadline: number, send: (receipt: number) => void): { receiver: number; reply: number } {
  mayBlock(() => what, asyncForm);
  const receipt = new Receipt(seg, level);
  try { send(receipt.offset); } catch (e) { receipt.discard(); throw e; }
  if (profiling) beforeWait();
  const receiver = receipt.wait(deadline, what);
  return { receiver, reply: receipt.reply };
}

export async function sendAndWaitAsync(seg: Segment, level: number, what: string, deadline: number, signal: AbortSignal | undefined, send: (receipt: number) => Promise<void>): Promise<{ receiver: number; reply: number }> {
  const receipt = new Receipt(seg, level);
  try { await send(receipt.offset); } catch (e) { receipt.discard(); throw e; }
  const receiver = await receipt.waitAsync(deadline, signal, what);
  return { receiver, reply: receipt.reply };
}

/** deliver() for every kind: `send(receipt)` queues the message (receipt 0 for 'queued'), then it waits for the level asked. */
export function deliverWith(seg: Segment, options: DeliverOptions, what: string, send: (receipt: number, deadline: number) => void): Delivery {
  const level = confirmLevel(options.confirm);
  const deadline = deadlineOf(options.timeout);
  if (level === 0) { send(0, deadline); return { confirm: 'queued', receiver: 0 }; }
  const { receiver } = sendAndWait(seg, level, what, 'deliverAsync()', deadline, (r) => send(r, deadline));
  return { confirm: options.confirm ?? 'received', receiver };
}

export async function deliverAsyncWith(seg: Segment, options: DeliverOptions, what: string, send: (receipt: number, deadline: number, signal?: AbortSignal) => Promise<void>): Promise<Delivery> {
  const level = confirmLevel(options.confirm);
  const { deadline, signal } = checkWaitOptions(options);
  if (level === 0) { await send(0, deadline, signal); return { confirm: 'queued', receiver: 0 }; }
  const { receiver } = await sendAndWaitAsync(seg, level, what, deadline, signal, (r) => send(r, deadline, signal));
  return { confirm: options.confirm ?? 'received', receiver };
}
