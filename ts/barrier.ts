// Barrier (assembly/barrier.ts): reusable; the last arrival of each generation is the leader.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { errorFor, Status } from './errors';
import { mayBlock, timeoutOf, checkWaitOptions, parkArmed, abortReason, timeoutError, type WaitOptions } from './wait';

const LEADER = 1;

export class Barrier extends IpcObject {
  readonly kind = Kind.barrier;

  /**
   * Wait until all parties have arrived. Returns true for the leader (the last arrival).
   * On timeout the arrival is withdrawn (TimeoutError) and the barrier stays usable.
   */
  wait(timeout?: number): boolean {
    this.live();
    mayBlock(() => `${this.label}: wait()`, 'waitAsync()');
    const rc = this.segment.core.barrier_wait(this.offset, timeoutOf(timeout));
    if (rc === Status.TIMEOUT) throw timeoutError(`${this.label}: wait()`);
    if (rc < 0) throw errorFor(rc, this.label);
    return rc === LEADER;
  }

  async waitAsync(options?: WaitOptions): Promise<boolean> {
    this.live();
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.segment.core;
    let rc = core.barrier_arrive(this.offset);
    if (rc === LEADER) return true;
    if (rc !== Status.AGAIN) throw errorFor(rc, this.label);
    const gen = core.wait_value() >>> 0;
    for (;;) {
      const parked = await parkArmed(this.segment, deadline, signal);
      rc = core.barrier_check(this.offset, gen);
      if (rc === Status.OK) return false;
      if (rc !== Status.AGAIN) throw errorFor(rc, this.label);
      if (parked !== 'woken') {
        if (core.barrier_leave(this.offset, gen) === Status.OK) return false; // released meanwhile
        throw parked === 'aborted' ? abortReason(signal) : timeoutError(`${this.label}: waitAsync()`);
      }
    }
  }
}
