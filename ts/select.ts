// select: receive from whichever of several channels is ready first (crossbeam's Select).
// Fair among ready channels: each round starts at a random one. While none is ready, the
// caller is registered as a receiver-in-waiting on every channel and parks on all of their
// sequences at once (Atomics.waitAsync per channel, the first wake-up wins); the others are
// then disarmed and their pending waits woken, so nothing is left registered.
import { Channel } from './channel';
import { describe, Status, ClosedError } from './errors';
import { checkWaitOptions, parkOn, abortReason, timeoutError, type WaitOptions } from './wait';

export interface Selected<T> {
  /** Index of the channel in the array given to select. */
  index: number;
  channel: Channel<T>;
  value: T;
}

function checkChannels<T>(channels: readonly Channel<T>[]): void {
  if (!Array.isArray(channels) || channels.length === 0 || !channels.every((c) => c instanceof Channel)) {
    throw new TypeError(`select takes a non-empty array of channels, got ${describe(channels)}`);
  }
}

/**
 * Receive one message from the first ready channel, without waiting: undefined if none is
 * ready. A channel that is closed and drained is skipped; ClosedError if all are.
 */
export function trySelect<T>(channels: readonly Channel<T>[]): Selected<T> | undefined {
  checkChannels(channels);
  const start = Math.floor(Math.random() * channels.length);
  let ended = 0;
  for (let k = 0; k < channels.length; k++) {
    const index = (start + k) % channels.length;
    const channel = channels[index]!;
    try {
      const value = channel.tryRecv();
      if (value !== undefined) return { index, channel, value };
    } catch (e) {
      if (!(e instanceof ClosedError)) throw e;
      ended++;
    }
  }
  if (ended === channels.length) throw new ClosedError('select: every channel is closed and drained', Status.CLOSED);
  return undefined;
}

/** Wait (without blocking the thread) until one channel has a message, and receive it. */
export async function select<T>(channels: readonly Channel<T>[], options?: WaitOptions): Promise<Selected<T>> {
  checkChannels(channels);
  const { deadline, signal } = checkWaitOptions(options);
  for (;;) {
    const got = trySelect(channels);
    if (got) return got;
    // arm every channel; a channel that turns out ready means: try again at once
    const armed: [Channel<T>, number, number][] = [];
    let ready = false;
    for (const ch of channels) {
      if (ch.closed) continue; // drained (trySelect took what it had): nothing will come
      const core = ch.segment.core;
      if (core.ch_arm(ch.offset, 0, 0) === Status.OK) { ready = true; break; }
      armed.push([ch, core.wait_addr(), core.wait_value()]);
    }
    if (!ready) {
      const round = new AbortController();
      const onAbort = (): void => round.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const parked = await Promise.race(armed.map(([ch, addr, value]) => parkOn(ch.segment, addr, value, deadline, round.signal)));
        if (signal?.aborted) throw abortReason(signal);
        if (parked === 'timeout') {
          const last = trySelect(channels);
          if (last) return last;
          throw timeoutError('select');
        }
      } finally {
        round.abort(); // wakes the other pending waits
        signal?.removeEventListener('abort', onAbort);
        for (const [ch] of armed) ch.segment.core.ch_disarm(ch.offset, 0);
      }
    } else {
      for (const [ch] of armed) ch.segment.core.ch_disarm(ch.offset, 0);
    }
  }
}
