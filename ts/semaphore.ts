// Semaphore: counting (binary with max 1), weak or strong/FIFO (assembly/semaphore.ts).
import { IpcObject } from './object';
import { Kind } from './kinds';
import { checkInt, errorFor, Status } from './errors';
import { Guard, mayBlock, timeoutOf, checkWaitOptions, parkArmed, abortReason, timeoutError, type WaitOptions } from './wait';

export class Semaphore extends IpcObject {
  readonly kind = Kind.semaphore;

  /** The permits available now. */
  get value(): number { return this.segment.core.sem_value(this.offset); }
  get max(): number {
    const max = this.segment.core.sem_max(this.offset);   // (E_CORRUPT when its fields fail the checks)
    if (max < 0) throw errorFor(max, this.label);
    return max;
  }
  /** Strong (FIFO) semaphore? */
  get fair(): boolean { return this.segment.core.sem_is_fair(this.offset) === 1; }

  #n(n: unknown): number { return checkInt(n, 'n', 1, this.max); }

  /** Take n permits, blocking up to `timeout` ms. The guard gives them back (optional: `using`). */
  acquire(n = 1, timeout?: number): Guard {
    this.live();
    this.#n(n);
    mayBlock(() => `${this.label}: acquire()`, 'acquireAsync()');
    const rc = this.segment.core.sem_acquire(this.offset, n, timeoutOf(timeout));
    if (rc === Status.TIMEOUT) throw timeoutError(`${this.label}: acquire(${n})`);
    if (rc < 0) throw errorFor(rc, this.label);
    return this.#guard(n);
  }

  /** Take n permits if available now (a strong semaphore refuses while others queue); null otherwise. */
  tryAcquire(n = 1): Guard | null {
    this.live();
    this.#n(n);
    const rc = this.segment.core.sem_try(this.offset, n);
    if (rc === Status.AGAIN) return null;
    if (rc < 0) throw errorFor(rc, this.label);
    return this.#guard(n);
  }

  async acquireAsync(n = 1, options?: WaitOptions): Promise<Guard> {
    this.live();
    this.#n(n);
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.segment.core;
    const token = core.sem_begin(this.offset, n);
    if (token === Status.OK) return this.#guard(n);
    if (token < 0) throw errorFor(token, this.label);
    for (;;) {
      const rc = core.sem_step(this.offset, n, token);
      if (rc === Status.OK) return this.#guard(n);
      if (rc !== Status.AGAIN) throw errorFor(rc, this.label);
      const parked = await parkArmed(this.segment, deadline, signal);
      if (parked !== 'woken') {
        const left = core.sem_give_up(this.offset, n, token);
        if (left === Status.OK) return this.#guard(n);
        if (left === Status.CORRUPT) throw errorFor(left, this.label);
        throw parked === 'aborted' ? abortReason(signal) : timeoutError(`${this.label}: acquireAsync(${n})`);
      }
    }
  }

  /** Give back n permits. RangeError (nothing changes) past max. */
  release(n = 1): void {
    this.live();
    checkInt(n, 'n', 1, 0x7fff_ffff);
    const rc = this.segment.core.sem_release(this.offset, n);
    if (rc === Status.INVAL) throw new RangeError(`${this.label}: release(${n}) would exceed max ${this.max} (value is ${this.value})`);
    if (rc < 0) throw errorFor(rc, this.label);
  }

  #guard(n: number): Guard { return new Guard(this, n); }
  /** @internal what a guard calls */
  releaseGuard(n: number): void { this.release(n); }
}
