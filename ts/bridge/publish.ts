// publishStored: one message into a JetStream stream, the send loop of every stream-backed kind
// (channel, message queue, topic with policy 'block').
//
// The message is published until the stream acknowledges it, with the same message id
// (Nats-Msg-Id) every time, so a retry after a lost acknowledgement (a timeout, a dropped
// connection, a server restart) is stored once. The stream full (max_msgs, discard 'new'):
// `wait` false gives false at once, else it retries (backing off to 50 ms, `onFull` called
// before each wait) until the deadline: TimeoutError. No stream taking the subject (a 503)
// asks `gone()` whether the object was closed or removed (that error is thrown; else it
// retries: JetStream may not be up yet); a TypeError or a RangeError (bad input) is thrown at
// once; anything else (a timeout, a dropped connection) is retried.
import { TimeoutError } from '../index';
import type { Bridge } from './bridge';
import { errorFrom, isFull, left, pause } from './naming';

export interface StoreOptions {
  deadline: number;
  wait: boolean;
  signal?: AbortSignal;
  /** Names the operation in errors: `${label}: ${what}`. */
  label: string;
  what: string;
  /** The object's end (closed, removed), when there is one: thrown instead of retrying. */
  gone(): Promise<Error | undefined>;
  /** Called while the stream is full, before each wait. */
  onFull?(): Promise<void>;
  /** What a full stream is called in the TimeoutError. */
  full?: string;
}

/** The stream sequence it was stored at, or false (full and `wait` false). */
export async function publishStored(bridge: Bridge, subject: string, bytes: Uint8Array, id: string, o: StoreOptions): Promise<number | false> {
  for (let backoff = 1; ; backoff = Math.min(backoff * 2, 50)) {
    if (o.signal?.aborted) throw o.signal.reason;
    let full = false;
    try {
      const ack = await bridge.js.publish(subject, bytes, { msgID: id, timeout: Math.max(500, Math.min(5000, left(o.deadline))) });
      return ack.seq;
    } catch (e) {
      full = isFull(e);
      if (full) {
        if (!o.wait) return false;
        await o.onFull?.();
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
}

/** 503 on a JetStream publish: no stream listens on the subject (closed, removed, or JetStream not up yet). */
const isNoStream = (e: unknown): boolean => {
  const n = (e as { constructor?: { name?: string } })?.constructor?.name ?? '';
  return n === 'JetStreamNotEnabled' || /no responders|jetstream is not enabled/i.test(String((e as Error)?.message));
};
