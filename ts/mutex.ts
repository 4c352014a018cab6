// Mutex: the robust three-state futex mutex of assembly/mutex.ts.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { errorFor, OwnerDiedError, Status } from './errors';
import { Guard, mayBlock, timeoutOf, checkWaitOptions, parkArmed, abortReason, timeoutError, type WaitOptions } from './wait';

/** Something with a lock word in the core: Mutex, and Monitor (which embeds one). */
export abstract class LockBase extends IpcObject {
  /**
   * Lock, blocking (spin, then park) up to `timeout` ms. Returns a guard for `using`.
   * If the holder died, the lock is taken anyway and OwnerDiedError (carrying the guard)
   * is thrown: repair the data, call consistent(), then unlock.
   */
  lock(timeout?: number): Guard {
    this.live();
    mayBlock(() => `${this.label}: lock()`, 'lockAsync()');
    const rc = this.core.mutex_lock(this.offset, timeout === undefined ? -1 : timeoutOf(timeout));
    return rc === Status.OK ? new Guard(this) : this.#took(rc);
  }

  /** Lock if free now; null if held. */
  tryLock(): Guard | null {
    this.live();
    const rc = this.segment.core.mutex_try(this.offset);
    return rc === Status.AGAIN ? null : this.#took(rc);
  }

  /** Lock without blocking the thread. Rejects with TimeoutError, or the signal's reason. */
  async lockAsync(options?: WaitOptions): Promise<Guard> {
    this.live();
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.segment.core;
    for (;;) {
      const rc = core.mutex_step(this.offset);
      if (rc !== Status.AGAIN) return this.#took(rc);
      const parked = await parkArmed(this.segment, deadline, signal);
      if (parked !== 'woken') {
        if (core.mutex_try(this.offset) === Status.OK) return this.#took(Status.OK);
        core.mutex_give_up(this.offset);
        throw parked === 'aborted' ? abortReason(signal) : timeoutError(`${this.label}: lockAsync()`);
      }
    }
  }

  /** Unlock. NotOwnerError (nothing changes) if this thread does not hold it. */
  unlock(): void {
    const rc = this.core.mutex_unlock(this.offset);
    if (rc < 0) throw errorFor(rc, `${this.label}: unlock()`);
  }

  /** After OwnerDiedError: the protected state is repaired; the lock may be used again. */
  consistent(): void {
    const rc = this.segment.core.mutex_consistent(this.offset);
    if (rc === Status.INVAL) throw new RangeError(`${this.label}: consistent() is only for a lock taken with OwnerDiedError`);
    if (rc < 0) throw errorFor(rc, `${this.label}: consistent()`);
  }

  /** The holder's thread id, or 0 when free. */
  get owner(): number { return this.segment.core.mutex_owner(this.offset); }

  /** Hold the lock while fn runs (blocking). */
  withLock<T>(fn: () => T, timeout?: number): T {
    const g = this.lock(timeout);
    try { return fn(); } finally { g.release(); }
  }

  /** Hold the lock while the async fn runs (never blocks the thread). */
  async withLockAsync<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    const g = await this.lockAsync(options);
    try { return await fn(); } finally { g.release(); }
  }

  #took(rc: number): Guard {
    if (rc === Status.OK) return this.#guard();
    if (rc === Status.OWNER_DEAD) {
      const e = new OwnerDiedError(`${this.label}: the previous holder died holding it; the lock is now yours`, rc) as OwnerDiedError & { guard: Guard };
      e.guard = this.#guard();
      throw e;
    }
    if (rc === Status.TIMEOUT) throw timeoutError(`${this.label}: lock()`);
    throw errorFor(rc, this.label);
  }

  #guard(): Guard { return new Guard(this); }
  /** @internal what a guard calls */
  releaseGuard(): void { this.unlock(); }
}

export class Mutex extends LockBase {
  readonly kind = Kind.mutex;
}
