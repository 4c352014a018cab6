// Once and Latch (assembly/once.ts).
import { IpcObject } from './object';
import { Kind } from './kinds';
import { checkInt, errorFor, Status } from './errors';
import { mayBlock, timeoutOf, checkWaitOptions, parkArmed, abortReason, timeoutError, deadlineOf, type WaitOptions } from './wait';
import { now } from './platform';

const RUN = 1;

/** An initializer that runs exactly once across threads. */
export class Once extends IpcObject {
  readonly kind = Kind.once;

  get done(): boolean { return this.segment.core.once_done(this.offset) === 1; }

  /**
   * Run fn if nobody has yet; otherwise wait until whoever runs it has finished. Returns
   * true if this call ran it. If fn throws, the error propagates and another caller may
   * run it; if its thread dies, too.
   */
  run(fn: () => void, timeout?: number): boolean {
    this.live();
    const core = this.segment.core;
    const deadline = deadlineOf(timeout);
    for (;;) {
      const rc = core.once_begin(this.offset);
      if (rc === RUN) return this.#runIt(fn) as true;
      if (rc === Status.OK) return false;
      if (rc !== Status.AGAIN) throw errorFor(rc, this.label);
      mayBlock(() => `${this.label}: run()`, 'runAsync()');
      const left = deadline < 0 ? -1 : Math.max(0, deadline - now());
      const w = core.once_wait(this.offset, core.wait_value(), left);
      if (w === Status.TIMEOUT) throw timeoutError(`${this.label}: run()`);
      if (w < 0) throw errorFor(w, this.label);
    }
  }

  async runAsync(fn: () => void | Promise<void>, options?: WaitOptions): Promise<boolean> {
    this.live();
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.segment.core;
    for (;;) {
      const rc = core.once_begin(this.offset);
      if (rc === RUN) {
        try { await fn(); } catch (e) { core.once_finish(this.offset, 0); throw e; }
        core.once_finish(this.offset, 1);
        return true;
      }
      if (rc === Status.OK) return false;
      if (rc !== Status.AGAIN) throw errorFor(rc, this.label);
      const parked = await parkArmed(this.segment, deadline, signal);
      if (parked === 'aborted') throw abortReason(signal);
      if (parked === 'timeout') throw timeoutError(`${this.label}: runAsync()`);
    }
  }

  #runIt(fn: () => void): boolean {
    const core = this.segment.core;
    try { fn(); } catch (e) { core.once_finish(this.offset, 0); throw e; }
    core.once_finish(this.offset, 1);
    return true;
  }
}

/** A countdown latch: wait() returns once count_down has brought the count to zero. */
export class Latch extends IpcObject {
  readonly kind = Kind.latch;

  get count(): number { return this.segment.core.latch_count(this.offset); }

  /** Count down by n. RangeError (nothing changes) below zero. Returns the new count. */
  countDown(n = 1): number {
    this.live();
    checkInt(n, 'n', 1, 0x7fff_ffff);
    const rc = this.segment.core.latch_count_down(this.offset, n);
    if (rc === Status.INVAL) throw new RangeError(`${this.label}: countDown(${n}) would go below zero (count is ${this.count})`);
    if (rc < 0) throw errorFor(rc, this.label);
    return rc;
  }

  /** True if the count is zero now. */
  tryWait(): boolean { this.live(); return this.count === 0; }

  wait(timeout?: number): void {
    this.live();
    if (this.count === 0) return;
    mayBlock(() => `${this.label}: wait()`, 'waitAsync()');
    const rc = this.segment.core.latch_wait(this.offset, timeoutOf(timeout));
    if (rc === Status.TIMEOUT) throw timeoutError(`${this.label}: wait()`);
    if (rc < 0) throw errorFor(rc, this.label);
  }

  async waitAsync(options?: WaitOptions): Promise<void> {
    this.live();
    const { deadline, signal } = checkWaitOptions(options);
    for (;;) {
      const rc = this.segment.core.latch_step(this.offset);
      if (rc === Status.OK) return;
      if (rc !== Status.AGAIN) throw errorFor(rc, this.label);
      const parked = await parkArmed(this.segment, deadline, signal);
      if (parked === 'aborted') throw abortReason(signal);
      if (parked === 'timeout' && this.count !== 0) throw timeoutError(`${this.label}: waitAsync()`);
    }
  }
}
