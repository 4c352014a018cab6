// Puller: the receiving side of a JetStream consumer (bridged channels, the pool's tasks, and
// the subscriptions of a topic with policy 'block').
//
// Messages are pulled only while someone waits for one (a fetch of max(waiters, prefetch),
// 1 s long at most), so a receiver that stops asking stops taking work. A message pulled but
// not handed out waits in this handle's small buffer; one that waited there longer than half
// the consumer's ack wait is given back (nak: redelivered at once, to anyone) rather than
// handed out late, because JetStream redelivers an unacknowledged message after the ack wait
// and would then have two holders.
//
// Two ways to hand a message out:
//  - auto: it is acknowledged, and the server has confirmed the acknowledgement (ackAck),
//    before the waiter gets it: once handed out it will never be delivered again (a receiver
//    killed afterwards loses it, as a thread killed after a local recv() would);
//  - manual: the waiter gets it unacknowledged and calls ack() when done; if its process dies
//    first, JetStream redelivers it to another receiver after the ack wait.
// A waiter whose timeout falls while its message's ackAck is under way gets the message
// (late by that round trip) rather than have an acknowledged message dropped; if the ack
// fails, it gets its timeout then. A failed ackAck is tried again while the ack wait is far
// off (#ack), so a lost confirmation neither loses the message nor delays it an ack wait.
//
// handOff(): a message that never was in the stream (a channel's local fast path) goes to the
// first auto waiter, but only while nothing pulled waits in the buffer: it counts as handed
// out and acknowledged the moment it is given.
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ClosedError, DeadPeerError, TimeoutError } from '../index';
import { errorFrom, pause } from './naming';

/** JetStream's acknowledgement ("+ACK"). */
const ACK = new TextEncoder().encode('+ACK');

/** A message handed over in shared memory (handOff): bytes only, nothing to acknowledge. */
export interface LocalMsg { readonly data: Uint8Array; readonly local: true }

interface Waiter {
  manual: boolean;
  resolve(m: JsMsg | LocalMsg): void;
  reject(e: unknown): void;
  serving: boolean;
  done: boolean;
  /** Its timeout or abort, come while its message was being acknowledged: given once that failed. */
  late: unknown;
  cleanup(): void;
}

export class Puller {
  readonly #waiters: Waiter[] = [];
  readonly #buffer: { m: JsMsg; at: number }[] = [];
  #running = false;
  #disposed = false;
  #pulledUpTo = 0;
  #consumer: Consumer | undefined;
  #stop: (() => void) | undefined;

  constructor(
    private readonly label: string,
    private readonly nc: NatsConnection,
    private readonly open: () => Promise<Consumer>,
    private readonly ackWaitMs: number,
    private readonly prefetch: number,
    /** After an empty pull: is the queue closed and drained (then waiters get ClosedError)? */
    private readonly ended: () => Promise<Error | undefined>,
    /** The most one pull asks for (a consumer's max_ack_pending: the server refuses a larger pull). */
    private readonly maxBatch = Infinity,
  ) {}

  /** The next message (see the header for `manual`); `deadline` -1: none. */
  take(manual: true, deadline: number, signal?: AbortSignal, what?: string): Promise<JsMsg>;
  take(manual: false, deadline: number, signal?: AbortSignal, what?: string): Promise<JsMsg | LocalMsg>;
  take(manual: boolean, deadline: number, signal?: AbortSignal, what = 'recvAsync()'): Promise<JsMsg | LocalMsg> {
    if (this.#disposed) return Promise.reject(new ClosedError(`${this.label}: this handle is disposed`, -3));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<JsMsg | LocalMsg>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => give(signal!.reason);
      const w: Waiter = {
        manual, serving: false, done: false, late: undefined,
        resolve: (m) => { w.done = true; w.cleanup(); resolve(m); },
        reject: (e) => { w.done = true; w.cleanup(); reject(e); },
        cleanup: () => { if (timer) clearTimeout(timer); signal?.removeEventListener('abort', onAbort); },
      };
      const give = (e: unknown): void => {
        if (w.done) return;
        if (w.serving) { w.late ??= e; return; }   // its message is being acknowledged: it gets it, or this after all
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        w.reject(e);
      };
      if (deadline >= 0) timer = setTimeout(() => give(new TimeoutError(`${this.label}: ${what} timed out`, -2)), Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(w);
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#waiters.length > 0 && !this.#disposed) {
        await this.#serveBuffered();
        if (this.#waiters.length === 0) break;
        let got = 0;
        try {
          this.#consumer ??= await this.open();
          const it = await this.#consumer.fetch({ max_messages: Math.min(this.maxBatch, Math.max(this.prefetch, this.#waiters.length)), expires: 1000 });
          this.#stop = () => it.stop();
          for await (const m of it) {
            got++;
            if (m.seq > this.#pulledUpTo) this.#pulledUpTo = m.seq;
            this.#buffer.push({ m, at: Date.now() });
            await this.#serveBuffered();
            if (this.#disposed) break;
          }
        } catch (e) {
          const err = errorFrom(e, this.label);
          if (err instanceof ClosedError) { this.#failAll(await this.ended().catch(() => undefined) ?? err); return; }
          this.#consumer = undefined;       // re-open it (the server may have restarted)
          await pause(100);
          continue;
        } finally {
          this.#stop = undefined;
        }
        if (got === 0 && this.#waiters.length > 0 && this.#buffer.length === 0) {
          let end: Error | undefined;
          try { end = await this.ended(); } catch { end = undefined; }
          if (end) this.#failAll(end);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #serveBuffered(): Promise<void> {
    while (this.#waiters.length > 0 && this.#buffer.length > 0) {
      const { m, at } = this.#buffer.shift()!;
      if (Date.now() - at > this.ackWaitMs / 2) { m.nak(); continue; }
      const w = this.#waiters[0]!;
      if (w.manual) { this.#waiters.shift(); w.resolve(m); continue; }
      w.serving = true;
      const acked = await this.#ack(m, at);
      w.serving = false;
      if (!acked) {                         // not acknowledged: it will be redelivered; nobody has it
        if (w.late !== undefined) { this.#waiters.splice(this.#waiters.indexOf(w), 1); w.reject(w.late); }
        continue;
      }
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.resolve(m);
    }
  }

  /**
   * Acknowledge `m` (pulled at `at`), server-confirmed. A failed try is tried again (the server
   * confirms an ack of an acknowledged message too, so a lost confirmation costs nothing), but
   * only while the ack wait is far off: past it, the message may be redelivered to another
   * receiver, which an ack now would not stop from handing it out.
   */
  async #ack(m: JsMsg, at: number): Promise<boolean> {
    const timeout = Math.max(1000, this.ackWaitMs / 4);
    try { if (await m.ackAck({ timeout })) return true; } catch { /* timed out, or the connection dropped */ }
    // again on its reply subject (ackAck() sends once per message), a pause between tries
    const reply = (m as JsMsg & { reply?: string }).reply;
    while (reply && !this.#disposed && Date.now() - at + timeout <= this.ackWaitMs * 0.75) {
      try {
        await this.nc.request(reply, ACK, { timeout });
        return true;
      } catch (e) {
        if (errorFrom(e, this.label) instanceof DeadPeerError) return false;   // no responders: its consumer is gone
        await pause(100);
      }
    }
    return false;
  }

  /**
   * Whether handOff() would place a message now: an auto waiter waits, nothing pulled is
   * buffered, and no pulled message is being acknowledged for another waiter (it would be
   * returned after the one handed over, though pulled before it).
   */
  get canHandOff(): boolean {
    return this.#buffer.length === 0 && this.#waiters.every((w) => !w.serving) && this.#waiters.some((w) => !w.manual);
  }

  /** Give `data` to the first auto waiter (check canHandOff first, in the same turn). */
  handOff(data: Uint8Array): void {
    const i = this.#waiters.findIndex((w) => !w.manual);
    if (i < 0 || !this.canHandOff) throw new Error('handOff(): nobody to hand it to (check canHandOff first)');
    const [w] = this.#waiters.splice(i, 1);
    w!.resolve({ data, local: true });
  }

  /** The latest stream sequence this puller has pulled (the consumer hands out in stream order, redeliveries aside). */
  get pulledUpTo(): number { return this.#pulledUpTo; }

  #failAll(e: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(e);
  }

  /** Give back what is buffered (redelivered at once to other receivers); waiters get ClosedError. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#stop?.();
    for (const { m } of this.#buffer.splice(0)) m.nak();
    this.#failAll(new ClosedError(`${this.label}: this handle is disposed`, -3));
  }
}
