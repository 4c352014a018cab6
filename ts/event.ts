// Event (assembly/event.ts): set, reset, wait; auto-reset or manual-reset.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { errorFor, Status } from './errors';
import { mayBlock, timeoutOf, checkWaitOptions, parkArmed, abortReason, timeoutError, type WaitOptions } from './wait';

/**
 * A shared event. Manual-reset: set() releases every waiter and the event stays set until
 * reset(). Auto-reset: each set() lets exactly one wait through (waking one waiter, or the
 * next thread to wait).
 */
export class Event extends IpcObject {
  readonly kind = Kind.event;
  /** true for a manual-reset event. */
  readonly manual: boolean = this.core.ev_manual(this.offset) === 1;

  /** Whether it is set now (an auto-reset event stays set until a wait takes it). */
  get isSet(): boolean { this.liveChecked(); return this.core.ev_is_set(this.offset) === 1; }

  set(): void { this.live(); this.#check(this.core.ev_set(this.offset)); }
  reset(): void { this.live(); this.#check(this.core.ev_reset(this.offset)); }

  /** Block until set (up to `timeout` ms: TimeoutError). An auto-reset event is consumed. */
  wait(timeout?: number): void {
    this.live();
    const core = this.core;
    let rc = core.ev_try(this.offset);
    if (rc === Status.AGAIN) {
      mayBlock(() => `${this.label}: wait()`, 'waitAsync()');
      rc = core.ev_wait(this.offset, timeoutOf(timeout));
    }
    if (rc === Status.TIMEOUT) throw timeoutError(`${this.label}: wait()`);
    this.#check(rc);
  }

  /** Take the event if it is set now: true; false otherwise. Never blocks (an AudioWorklet may call it). */
  tryWait(): boolean {
    this.live();
    const rc = this.core.ev_try(this.offset);
    if (rc === Status.AGAIN) return false;
    this.#check(rc);
    return true;
  }

  async waitAsync(options?: WaitOptions): Promise<void> {
    this.live();
    const { deadline, signal } = checkWaitOptions(options);
    for (;;) {
      const rc = this.core.ev_try(this.offset);
      if (rc !== Status.AGAIN) return this.#check(rc);
      if (signal?.aborted) throw abortReason(signal);
      const parked = await parkArmed(this.segment, deadline, signal);
      if (parked === 'aborted') throw abortReason(signal);
      if (parked === 'timeout') {
        if (this.tryWait()) return;
        throw timeoutError(`${this.label}: waitAsync()`);
      }
    }
  }

  #check(rc: number): void {
    if (rc < 0) throw errorFor(rc, this.label);
  }
}
