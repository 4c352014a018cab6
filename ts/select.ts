// select: complete whichever of several channel operations is ready first (crossbeam's
// Select). A case is a channel (receive from it) or sendCase(channel, value) (send to it).
// Fair among ready cases: each round starts at a random one.
//
// While none is ready:
//   - select (blocking) arms every case in the core as a selector (assembly/channel.ts,
//     "select") and parks on its own thread's wake word, which any of the channels bumps;
//   - selectAsync arms every case as an ordinary waiter and waits on all of their sequences
//     at once (Atomics.waitAsync per channel, the first wake-up wins).
// Either way every case is disarmed afterwards, so nothing is left registered.
import { Channel } from './channel';
import { describe, Status, ClosedError } from './errors';
import { checkWaitOptions, parkOn, abortReason, timeoutError, mayBlock, deadlineOf, remaining, type WaitOptions, interruption } from './wait';
import { now } from './platform';

/** A send case: select sends value on channel when it has room. */
export interface SendCase<T> {
  readonly channel: Channel<T>;
  readonly value: T;
}

export type Case<T> = Channel<T> | SendCase<T>;

/** Make a send case for select / selectAsync / trySelect. */
export function sendCase<T>(channel: Channel<T>, value: T): SendCase<T> {
  if (!(channel instanceof Channel)) throw new TypeError(`sendCase takes a channel, got ${describe(channel)}`);
  return Object.freeze({ channel, value });
}

/**
 * What select completed. done: false — a receive case got value, or a send case sent it.
 * done: true — the case's channel is closed (crossbeam's and Go's "a closed channel is
 * ready"): a receive case found it drained (the end of its stream), a send case could not
 * send (its value was not sent). A select loop drops such a case, or it is ready for ever.
 */
export type Selected<T> =
  | { index: number; channel: Channel<T>; op: 'recv' | 'send'; done: false; value: T }
  | { index: number; channel: Channel<T>; op: 'recv' | 'send'; done: true; value: undefined };

const channelOf = <T>(c: Case<T>): Channel<T> => (c instanceof Channel ? c : c.channel);
const side = <T>(c: Case<T>): number => (c instanceof Channel ? 0 : 1);

function checkCases<T>(cases: readonly Case<T>[]): void {
  if (!Array.isArray(cases) || cases.length === 0
    || !cases.every((c) => c instanceof Channel || (typeof c === 'object' && c !== null && (c as SendCase<T>).channel instanceof Channel))) {
    throw new TypeError(`select takes a non-empty array of channels and sendCase()s, got ${describe(cases)}`);
  }
}

/**
 * Complete the first ready case, without waiting: undefined if none is ready. A receive
 * case whose channel is closed and drained, or a send case whose channel is closed, is
 * ready: it completes with done: true.
 */
export function trySelect<T>(cases: readonly Case<T>[]): Selected<T> | undefined {
  checkCases(cases);
  const start = Math.floor(Math.random() * cases.length);
  for (let k = 0; k < cases.length; k++) {
    const index = (start + k) % cases.length;
    const c = cases[index]!;
    const channel = channelOf(c);
    const op = c instanceof Channel ? 'recv' : 'send';
    try {
      if (c instanceof Channel) {
        const value = c.tryRecv();
        if (value !== undefined) return { index, channel, op, done: false, value };
      } else if (c.channel.trySend(c.value)) {
        return { index, channel, op, done: false, value: c.value };
      }
    } catch (e) {
      if (!(e instanceof ClosedError)) throw e;
      return { index, channel, op, done: true, value: undefined };
    }
  }
  return undefined;
}

/**
 * Block until one case is ready and complete it (up to `timeout` ms: TimeoutError). The
 * channels must share one segment (selectAsync has no such limit). WouldBlockError where
 * the thread may not block.
 */
export function select<T>(cases: readonly Case<T>[], timeout?: number): Selected<T> {
  checkCases(cases);
  const got = trySelect(cases);
  if (got) return got;
  const segment = channelOf(cases[0]!).segment;
  if (!cases.every((c) => channelOf(c).segment === segment)) {
    throw new RangeError('select: a blocking select needs its channels in one segment; use selectAsync');
  }
  mayBlock(() => 'select()', 'selectAsync()');
  const core = segment.core;
  const deadline = deadlineOf(timeout);
  for (;;) {
    const word = core.sel_begin();
    let polling = false;   // a full selector table: that channel is polled every millisecond
    const armed: Case<T>[] = [];
    for (const c of cases) {
      if (core.ch_sel_arm(channelOf(c).offset, side(c)) === Status.OK) armed.push(c); else polling = true;
    }
    let parked: number = Status.OK;
    try {
      const got = trySelect(cases);
      if (got) return got;
      const left = remaining(deadline);
      parked = core.sel_park(word, polling ? (left < 0 ? 1 : Math.min(left, 1)) : left);
    } finally {
      for (const c of armed) core.ch_sel_disarm(channelOf(c).offset, side(c));
    }
    if (parked === Status.TIMEOUT) {
      const interrupted = interruption('select');
      if (interrupted) throw interrupted;
    }
    if (parked === Status.TIMEOUT && deadline >= 0 && now() >= deadline) {
      const last = trySelect(cases);
      if (last) return last;
      throw timeoutError('select');
    }
  }
}

/** Wait (without blocking the thread) until one case is ready, and complete it. */
export async function selectAsync<T>(cases: readonly Case<T>[], options?: WaitOptions): Promise<Selected<T>> {
  checkCases(cases);
  const { deadline, signal } = checkWaitOptions(options);
  for (;;) {
    const got = trySelect(cases);
    if (got) return got;
    // arm every case; one that turns out ready means: try again at once
    const armed: [Case<T>, number, number][] = [];
    let ready = false;
    for (const c of cases) {
      const ch = channelOf(c);
      if (ch.closed) { ready = true; break; } // closed since the try: its case is ready (done)
      const core = ch.segment.core;
      if (core.ch_arm(ch.offset, side(c), 0) === Status.OK) { ready = true; break; }
      armed.push([c, core.wait_addr(), core.wait_value()]);
    }
    if (!ready) {
      const round = new AbortController();
      const onAbort = (): void => round.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const parked = await Promise.race(armed.map(([c, addr, value]) => parkOn(channelOf(c).segment, addr, value, deadline, round.signal)));
        if (signal?.aborted) throw abortReason(signal);
        if (parked === 'timeout') {
          const last = trySelect(cases);
          if (last) return last;
          throw timeoutError('selectAsync');
        }
      } finally {
        round.abort(); // wakes the other pending waits
        signal?.removeEventListener('abort', onAbort);
        for (const [c] of armed) channelOf(c).segment.core.ch_disarm(channelOf(c).offset, side(c));
      }
    } else {
      for (const [c] of armed) channelOf(c).segment.core.ch_disarm(channelOf(c).offset, side(c));
    }
  }
}

