// CondVar and Monitor (assembly/condvar.ts): a wait releases the mutex and takes it again
// before it returns, whatever happened (notified, timed out, aborted). Wake-ups may be
// spurious: wait in a loop on your condition, or use waitUntil.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { LockBase, Mutex } from './mutex';
import { errorFor, OwnerDiedError, Status, describe } from './errors';
import { mayBlock, timeoutOf, checkWaitOptions, parkArmed, abortReason, timeoutError, interruption, deadlineOf, type WaitOptions, type Parked } from './wait';
import { now } from './platform';

/** The core's answer to a blocking wait: true if notified (or spurious), false if timed out. */
function waited(rc: number, label: string): boolean {
  if (rc === Status.OK) return true;
  if (rc === Status.TIMEOUT) {
    const interrupted = interruption(`${label}: wait()`);   // a timeout or rt.interrupt
    if (interrupted) throw interrupted;
    return false;
  }
  if (rc === Status.OWNER_DEAD) throw new OwnerDiedError(`${label}: the mutex's holder died while this thread waited; the lock is now yours`, rc);
  throw errorFor(rc, label);
}

/** The core's entry points for one face's async wait (assembly/condvar.ts). */
interface AsyncWaitOps { begin(): number; take(): number; end(passOn: number): number }

/**
 * The async wait both faces share: begin (registers, unlocks), park on the sequence word
 * until this waiter takes a signal (other waiters may take the one a wake-up was for: park
 * again), or the deadline or the signal ends it; then relock. An aborted wait passes a
 * signal it could have taken on to another waiter.
 */
async function waitAsyncOn(lock: LockBase, ops: AsyncWaitOps, label: string, options?: WaitOptions): Promise<boolean> {
  const { deadline, signal } = checkWaitOptions(options);
  let rc = ops.begin();
  if (rc !== Status.AGAIN) throw errorFor(rc, `${label}: wait (the mutex must be held by this thread)`);
  let parked: Parked = 'woken';
  while (rc === Status.AGAIN) {   // (parkArmed settles; it never rejects)
    parked = await parkArmed(lock.segment, deadline, signal);
    rc = parked === 'woken' ? ops.take() : ops.end(parked === 'aborted' ? 1 : 0);
  }
  await lock.lockAsync();
  if (parked === 'aborted') throw abortReason(signal);
  if (rc === Status.OK) return true;
  if (rc === Status.TIMEOUT) return false;
  throw errorFor(rc, label);
}

/** waitUntil for both faces: re-wait until pred() holds or the deadline passes. */
function until(pred: () => boolean, timeout: number | undefined, wait: (ms: number | undefined) => boolean, label: string): void {
  const deadline = deadlineOf(timeout);
  while (!pred()) {
    const left = deadline < 0 ? undefined : Math.max(0, deadline - now());
    if (!wait(left) && !pred()) throw timeoutError(`${label}: waitUntil()`);
  }
}

export class CondVar extends IpcObject {
  readonly kind = Kind.condvar;

  #mutex(m: unknown): Mutex {
    if (!(m instanceof Mutex)) throw new TypeError(`mutex must be a Mutex, got ${describe(m)}`);
    if (m.segment !== this.segment) throw new TypeError(`mutex must live in the condvar's segment "${this.segment.name}"`);
    return m;
  }

  /** Release the mutex (held by this thread), wait for a notify, re-take the mutex. */
  wait(mutex: Mutex): void { this.waitFor(mutex, undefined); }

  /** wait() with a timeout in ms: false if it timed out (the mutex is held again either way). */
  waitFor(mutex: Mutex, timeout: number | undefined): boolean {
    this.live();
    const m = this.#mutex(mutex);
    mayBlock(() => `${this.label}: wait()`, 'waitAsync()');
    return waited(this.segment.core.cv_wait(this.offset, m.offset, timeoutOf(timeout)), this.label);
  }

  /** Wait until pred() is true (checked with the mutex held). TimeoutError past the timeout. */
  waitUntil(mutex: Mutex, pred: () => boolean, timeout?: number): void {
    until(pred, timeout, (ms) => this.waitFor(mutex, ms), this.label);
  }

  async waitAsync(mutex: Mutex, options?: WaitOptions): Promise<boolean> {
    this.live();
    const m = this.#mutex(mutex);
    const core = this.segment.core;
    const o = this.offset;
    return waitAsyncOn(m, { begin: () => core.cv_begin(o, m.offset), take: () => core.cv_take(o), end: (p) => core.cv_end(o, p) }, this.label, options);
  }

  notify(): void { this.live(); this.segment.core.cv_notify(this.offset, 0); }
  notifyAll(): void { this.live(); this.segment.core.cv_notify(this.offset, 1); }
}

/** A monitor: a mutex and a condition in one object, with synchronized sections. */
export class Monitor extends LockBase {
  readonly kind = Kind.monitor;

  /** Run fn holding the monitor (blocking). */
  synchronized<T>(fn: () => T, timeout?: number): T { return this.withLock(fn, timeout); }

  /** Run fn holding the monitor (never blocks the thread). */
  synchronizedAsync<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> { return this.withLockAsync(fn, options); }

  /** Inside a synchronized section: release, wait for a notify, re-take. False on timeout. */
  wait(timeout?: number): boolean {
    this.live();
    mayBlock(() => `${this.label}: wait()`, 'waitAsync()');
    return waited(this.segment.core.monitor_wait(this.offset, timeoutOf(timeout)), this.label);
  }

  waitUntil(pred: () => boolean, timeout?: number): void {
    until(pred, timeout, (ms) => this.wait(ms), this.label);
  }

  async waitAsync(options?: WaitOptions): Promise<boolean> {
    this.live();
    const core = this.segment.core;
    const o = this.offset;
    return waitAsyncOn(this, { begin: () => core.monitor_begin(o), take: () => core.monitor_take(o), end: (p) => core.monitor_end(o, p) }, this.label, options);
  }

  async waitUntilAsync(pred: () => boolean, options?: WaitOptions): Promise<void> {
    const { deadline, signal } = checkWaitOptions(options);
    while (!pred()) {
      const timeout = deadline < 0 ? undefined : Math.max(0, deadline - now());
      if (!(await this.waitAsync({ timeout, signal })) && !pred()) throw timeoutError(`${this.label}: waitUntilAsync()`);
    }
  }

  notify(): void { this.live(); this.segment.core.monitor_notify(this.offset, 0); }
  notifyAll(): void { this.live(); this.segment.core.monitor_notify(this.offset, 1); }
}
