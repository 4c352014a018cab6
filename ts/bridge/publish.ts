// The send side of every stream-backed kind (channel, message queue, topic with policy 'block').
//
// SendQueue: one handle's sends go one after another, so its order is the stream's. A send
// waiting for its turn still honours its own deadline and signal (it then gives up without
// being published, and the sends after it still wait for the ones before it), and while a
// send of the handle waits for room in a full stream, a try form gives false at once.
//
// publishStored: one message published until the stream acknowledges it, with the same message
// id (Nats-Msg-Id) every time, so a retry after a lost acknowledgement (a timeout, a dropped
// connection, a server restart) is stored once. The stream full (max_msgs, discard 'new'):
// `wait` false gives false at once, else it retries (backing off to 50 ms) until the deadline:
// TimeoutError; `onFull` is started (not awaited) each time it is found full. No stream taking
// the subject (a 503) asks `gone()` whether the object was closed or removed (that error is
// thrown; else it retries: JetStream may not be up yet); a TypeError or a RangeError (bad
// input) is thrown at once; anything else (a timeout, a dropped connection) is retried.
import { TimeoutError } from '../index';
import type { Bridge } from './bridge';
import { errorFrom, isFull, left, pause, waitIn, type Waiter } from './naming';

export class SendQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;
  #held = 0;

  /**
   * Run `send` after every earlier one settled, unless `deadline` / `signal` come first; a try
   * form (`wait` false) while an earlier send waits for room in the stream gives false at once.
   */
  push(deadline: number, signal: AbortSignal | undefined, wait: boolean, what: string, send: () => Promise<boolean>): Promise<boolean> {
    if (!wait && this.#held > 0) return Promise.resolve(false);
    const prev = this.#tail;
    // nothing queued: at once (the common case, one promise); else after the ones before it
    const p = this.#queued++ === 0 ? send() : turn(prev, deadline, signal, what).then(send);
    // the next send waits for this one and, if this one gave up waiting, for the ones before it
    const after = (): Promise<unknown> => { this.#queued--; return prev; };
    this.#tail = p.then(after, after);
    return p;
  }

  /** Until every send queued so far settled. */
  async drained(): Promise<void> { await this.#tail; }

  /** A send of this handle begins (+1) or stops (-1) waiting for room in a full stream. */
  hold(d: 1 | -1): void { this.#held += d; }
}

/** `prev` settled; or TimeoutError at `deadline`, or the signal's reason, whichever first (a waitIn woken by `prev`). */
function turn(prev: Promise<unknown>, deadline: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const waiting: Waiter<void>[] = [];
  const p = waitIn(waiting, deadline, signal, `${what} (waiting for this handle's earlier sends)`);
  void prev.then(() => waiting.shift()?.resolve());   // gone from the list if it timed out first
  return p;
}

export interface StoreOptions {
  deadline: number;
  wait: boolean;
  signal?: AbortSignal;
  /** Names the operation in errors: `${label}: ${what}`. */
  label: string;
  what: string;
  /** The handle's queue: marked held while this send waits for room. */
  queue: SendQueue;
  /** The object's end (closed, removed), when there is one: thrown instead of retrying. */
  gone(): Promise<Error | undefined>;
  /** Started when the stream is found full (rate-limit it yourself). */
  onFull?(): void;
  /** What a full stream is called in the TimeoutError. */
  full?: string;
}

/** The stream sequence it was stored at, or false (full and `wait` false). */
export async function publishStored(bridge: Bridge, subject: string, bytes: Uint8Array, id: string, o: StoreOptions): Promise<number | false> {
  let held = false;
  try {
    for (let backoff = 1; ; backoff = Math.min(backoff * 2, 50)) {
      if (o.signal?.aborted) throw o.signal.reason;
      let full = false;
      try {
        const ack = await bridge.js.publish(subject, bytes, { msgID: id, timeout: Math.max(500, Math.min(5000, left(o.deadline))) });
        return ack.seq;
      } catch (e) {
        full = isFull(e);
        if (full) {
          o.onFull?.();
          if (!o.wait) return false;
          if (!held) { held = true; o.queue.hold(1); }
        } else {
          const err = errorFrom(e, `${o.label}: ${o.what}`);
          if (err instanceof RangeError || err instanceof TypeError || bridge.closed) throw err;
          if (isNoStream(e)) {
            const end = await o.gone().catch(() => undefined);
            if (end) throw end;
          }
          // else a timeout or a dropped connection: the message may be stored; the retry's id tells
        }
      }
      if (left(o.deadline) <= 0) throw new TimeoutError(`${o.label}: ${o.what} timed out${full ? ` (${o.full ?? 'the stream is full'})` : ''}`, -2);
      await pause(Math.min(backoff, left(o.deadline)), o.signal);
    }
  } finally {
    if (held) o.queue.hold(-1);
  }
}

/** 503 on a JetStream publish: no stream listens on the subject (closed, removed, or JetStream not up yet). */
const isNoStream = (e: unknown): boolean => {
  const n = (e as { constructor?: { name?: string } })?.constructor?.name ?? '';
  return n === 'JetStreamNotEnabled' || /no responders|jetstream is not enabled/i.test(String((e as Error)?.message));
};
