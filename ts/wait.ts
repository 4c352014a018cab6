// The host's side of waiting, shared by every primitive: deadlines, the blocking guard,
// the async park on the word the core armed, and guards for `using`.
import { Segment } from './segment';
import { checkTimeout, describe, TimeoutError, InterruptedError, WouldBlockError, Status } from './errors';
import { canBlock, now, parkAsync, threadKind } from './platform';

export interface WaitOptions {
  /** Give up after this many ms (TimeoutError). Default: wait as long as it takes. */
  timeout?: number;
  /** Abort the wait: the promise rejects with the signal's reason and nothing is held. */
  signal?: AbortSignal;
}

/** An absolute deadline on now()'s clock, or -1 for none. */
export function deadlineOf(timeout: unknown): number {
  const ms = checkTimeout(timeout);
  return ms < 0 ? -1 : now() + ms;
}

/** ms left until a deadline from deadlineOf, for the core's blocking calls (-1: none). */
export const remaining = (deadline: number): number => (deadline < 0 ? -1 : Math.max(0, deadline - now()));

/** A deadline as a timeout for the public forms again (undefined: none). */
export const timeoutLeft = (deadline: number): number | undefined => (deadline < 0 ? undefined : Math.max(0, deadline - now()));

/** The timeout in ms for a blocking core call (after validation). */
export const timeoutOf = (timeout: unknown): number => checkTimeout(timeout);

export function checkWaitOptions(options: WaitOptions | undefined): { deadline: number; signal?: AbortSignal } {
  if (options === undefined) return { deadline: -1 };
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { signal } = options;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) {
    throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return { deadline: deadlineOf(options.timeout), signal };
}

/**
 * Throw WouldBlockError on a thread that may not block, naming the async form to use.
 * `what` is a function so that hot paths build no message when the thread may block.
 */
export function mayBlock(what: () => string, asyncForm: string): void {
  if (!canBlock) throw new WouldBlockError(`${what()} would block a ${threadKind()}; use ${asyncForm}`, Status.AGAIN);
}

/** InterruptedError if this thread has an interrupt pending (it is then cleared), else undefined. */
export function interruption(what: string): InterruptedError | undefined {
  for (const seg of Segment.attached) {
    if (seg.core.thread_take_interrupt() === 1) return new InterruptedError(`${what}: interrupted`, Status.INTERRUPTED);
  }
  return undefined;
}

/**
 * The error of a wait that ended without its condition: InterruptedError if this thread was
 * interrupted (rt.interrupt: the core ends an interrupted wait as a timeout), else TimeoutError.
 */
export function timeoutError(what: string): TimeoutError | InterruptedError {
  return interruption(what) ?? new TimeoutError(`${what}: timed out`, Status.TIMEOUT);
}

export type Parked = 'woken' | 'timeout' | 'aborted';

/**
 * After a core step returned E_AGAIN, wait for the word it armed (wait_addr / wait_value)
 * to be notified, without blocking: a short spin in the core, then Atomics.waitAsync.
 * An abort wakes the word (a spurious wake for other waiters, who re-check).
 */
export function parkArmed(seg: Segment, deadline: number, signal?: AbortSignal): Promise<Parked> {
  return parkOn(seg, seg.core.wait_addr(), seg.core.wait_value(), deadline, signal);
}

/**
 * Wait without blocking while the word at addr reads value (one wake-up, possibly spurious).
 * It spins first (the thread's budget), unless `spin` is false: an event loop with other
 * work to do (a network client's) must not be held up by a spin.
 */
export async function parkOn(seg: Segment, addr: number, value: number, deadline: number, signal?: AbortSignal, spin = true): Promise<Parked> {
  if (signal?.aborted) return 'aborted';
  const core = seg.core;
  if (spin && core.futex_spin(addr, value) === 1) return 'woken';
  const left = deadline < 0 ? -1 : deadline - now();
  if (deadline >= 0 && left <= 0) return 'timeout';
  if (!signal) {
    const r = await parkAsync(seg.i32, addr >> 2, value, left);
    return r === 'timed-out' && deadline >= 0 && now() >= deadline ? 'timeout' : 'woken';
  }
  let aborted = false;
  const onAbort = (): void => { aborted = true; core.futex_wake(addr, -1); };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const r = await parkAsync(seg.i32, addr >> 2, value, left);
    if (aborted) return 'aborted';
    return r === 'timed-out' && deadline >= 0 && now() >= deadline ? 'timeout' : 'woken';
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The reason an aborted signal carries (an AbortError DOMException by default). */
export function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error('aborted');
}

/** What a guard gives back: a lock (unlock), or permits (release). */
export interface Releasable { releaseGuard(arg: number): void }

/** Something held, released once by release() or at the end of a `using` block. */
export class Guard {
  #owner: Releasable | undefined;
  #arg: number;
  constructor(owner: Releasable, arg = 0) { this.#owner = owner; this.#arg = arg; }
  /** Release what this guard holds; later calls do nothing. */
  release(): void {
    const o = this.#owner;
    if (o === undefined) return;
    this.#owner = undefined;
    o.releaseGuard(this.#arg);
  }
  get held(): boolean { return this.#owner !== undefined; }
  [Symbol.dispose](): void { this.release(); }
}

/** Poll a try form with growing delays (1 → 16 ms): for locks whose unlock wakes nobody. */
export async function pollAsync(attempt: () => boolean, what: string, deadline: number, signal?: AbortSignal): Promise<void> {
  for (let delay = 0; ; delay = Math.min(Math.max(1, delay * 2), 16)) {
    if (attempt()) return;
    if (signal?.aborted) throw abortReason(signal);
    if (deadline >= 0 && now() >= deadline) throw timeoutError(what);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * The blocking form over an eventcount (queues, ports): read the sequence, try, and wait for
 * the sequence to move (wait(seen, ms) is the core's wait: Status.TIMEOUT on timeout), until
 * attempt() succeeds or the deadline passes (one last try, then TimeoutError). `what` and
 * `asyncForm` name the call in errors: functions, so that a call that does not wait builds
 * no string (a template per call was a quarter of a message queue's receive).
 */
export function untilEvent(seg: Segment, event: number, wait: (seen: number, ms: number) => number,
  attempt: () => boolean, what: () => string, asyncForm: () => string, deadline: number): void {
  const core = seg.core;
  for (let first = true; ; first = false) {
    const seen = core.ec_seq(event);
    if (attempt()) return;
    if (first && !canBlock) mayBlock(what, asyncForm());
    if (wait(seen, remaining(deadline)) === Status.TIMEOUT) {
      if (attempt()) return;
      throw timeoutError(what());
    }
  }
}

/** The async form of untilEvent. `parked(+1/-1)` brackets each park (a queue counts blocked receivers); `spin` as parkOn's. */
export async function untilEventAsync(seg: Segment, event: number, attempt: () => boolean, what: string,
  deadline: number, signal?: AbortSignal, parked?: (delta: number) => void, spin = true): Promise<void> {
  const core = seg.core;
  for (;;) {
    const seen = core.ec_seq(event);
    if (attempt()) return;
    if (signal?.aborted) throw abortReason(signal);
    const word = Number(core.ec_prepare(event, seen));
    if (word === -1) continue;
    parked?.(1);
    let outcome: Parked;
    try { outcome = await parkOn(seg, event, word, deadline, signal, spin); } finally { parked?.(-1); }
    if (outcome === 'aborted') throw abortReason(signal);
    if (outcome === 'timeout') {
      if (attempt()) return;
      throw timeoutError(what);
    }
  }
}
