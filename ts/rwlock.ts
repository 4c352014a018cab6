// RwLock (assembly/rwlock.ts): many readers or one writer, writer-preferring.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { errorFor, Status } from './errors';
import { Guard, mayBlock, timeoutOf, checkWaitOptions, parkArmed, abortReason, timeoutError, type WaitOptions } from './wait';

export class RwLock extends IpcObject {
  readonly kind = Kind.rwlock;

  /** Take a read lock, blocking up to `timeout` ms. */
  read(timeout?: number): Guard { return this.#blocking(false, timeout); }
  /** Take the write lock, blocking up to `timeout` ms. */
  write(timeout?: number): Guard { return this.#blocking(true, timeout); }
  tryRead(): Guard | null { return this.#try(false); }
  tryWrite(): Guard | null { return this.#try(true); }
  readAsync(options?: WaitOptions): Promise<Guard> { return this.#async(false, options); }
  writeAsync(options?: WaitOptions): Promise<Guard> { return this.#async(true, options); }

  /** Release a read lock (NotOwnerError if none is held). Guards call this for you. */
  readUnlock(): void { this.#check(this.segment.core.rw_read_unlock(this.offset), 'readUnlock()'); }
  writeUnlock(): void { this.#check(this.segment.core.rw_write_unlock(this.offset), 'writeUnlock()'); }

  #blocking(write: boolean, timeout: number | undefined): Guard {
    this.live();
    const what = write ? 'write' : 'read';
    mayBlock(() => `${this.label}: ${what}()`, `${what}Async()`);
    const core = this.segment.core;
    const rc = write ? core.rw_write(this.offset, timeoutOf(timeout)) : core.rw_read(this.offset, timeoutOf(timeout));
    if (rc === Status.TIMEOUT) throw timeoutError(`${this.label}: ${what}()`);
    this.#check(rc, `${what}()`);
    return this.#guard(write);
  }

  #try(write: boolean): Guard | null {
    this.live();
    const rc = write ? this.segment.core.rw_try_write(this.offset) : this.segment.core.rw_try_read(this.offset);
    if (rc === Status.AGAIN) return null;
    this.#check(rc, write ? 'tryWrite()' : 'tryRead()');
    return this.#guard(write);
  }

  async #async(write: boolean, options: WaitOptions | undefined): Promise<Guard> {
    this.live();
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.segment.core;
    for (let waited = 0; ; waited = 1) {
      const rc = write ? core.rw_write_step(this.offset, waited) : core.rw_read_step(this.offset);
      if (rc !== Status.AGAIN) {
        this.#check(rc, write ? 'writeAsync()' : 'readAsync()');
        return this.#guard(write);
      }
      const parked = await parkArmed(this.segment, deadline, signal);
      if (parked !== 'woken') {
        if (core.rw_timed_out(this.offset, write ? 1 : 0) === Status.OK) return this.#guard(write);
        throw parked === 'aborted' ? abortReason(signal) : timeoutError(`${this.label}: ${write ? 'writeAsync' : 'readAsync'}()`);
      }
    }
  }

  #guard(write: boolean): Guard { return new Guard(this, write ? 1 : 0); }
  /** @internal what a guard calls */
  releaseGuard(write: number): void { if (write) this.writeUnlock(); else this.readUnlock(); }
  #check(rc: number, what: string): void { if (rc < 0) throw errorFor(rc, `${this.label}: ${what}`); }
}
