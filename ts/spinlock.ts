// SpinLock, TicketLock and PetersonLock: the lecture notes' locks (assembly/spinlock.ts,
// ticketlock.ts, peterson.ts). Prefer Mutex in real code: these are here to be compared.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { errorFor, OwnerDiedError, Status } from './errors';
import { Guard, type Releasable, mayBlock, timeoutOf, checkWaitOptions, parkArmed, pollAsync, abortReason, timeoutError, type WaitOptions } from './wait';
import { now } from './platform';

/** Turn a lock call's status into a guard, or the error it stands for. */
function took(rc: number, label: string, what: string, owner: Releasable, arg = 0): Guard {
  if (rc === Status.OK) return new Guard(owner, arg);
  if (rc === Status.OWNER_DEAD) {
    const e = new OwnerDiedError(`${label}: the previous holder died holding it; the lock is now yours`, rc) as OwnerDiedError & { guard: Guard };
    e.guard = new Guard(owner, arg);
    throw e;
  }
  if (rc === Status.TIMEOUT) throw timeoutError(`${label}: ${what}`);
  throw errorFor(rc, `${label}: ${what}`);
}

/** Test-and-test-and-set with bounded exponential backoff; a dead holder's lock is taken over. */
export class SpinLock extends IpcObject {
  readonly kind = Kind.spinlock;

  lock(timeout?: number): Guard {
    this.live();
    mayBlock(() => `${this.label}: lock()`, 'lockAsync()');
    return took(this.segment.core.spin_lock(this.offset, timeoutOf(timeout)), this.label, 'lock()', this);
  }

  tryLock(): Guard | null {
    this.live();
    const rc = this.segment.core.spin_try(this.offset);
    return rc === Status.AGAIN ? null : took(rc, this.label, 'tryLock()', this);
  }

  /** Polls (an unlock wakes nobody: that is what makes it a spin lock). */
  async lockAsync(options?: WaitOptions): Promise<Guard> {
    this.live();
    const { deadline, signal } = checkWaitOptions(options);
    let rc: number = Status.AGAIN;
    await pollAsync(() => (rc = this.segment.core.spin_try(this.offset)) !== Status.AGAIN, `${this.label}: lockAsync()`, deadline, signal);
    return took(rc, this.label, 'lockAsync()', this);
  }

  /** @internal what a guard calls */
  releaseGuard(): void { this.unlock(); }

  unlock(): void {
    const rc = this.segment.core.spin_unlock(this.offset);
    if (rc < 0) throw errorFor(rc, `${this.label}: unlock()`);
  }
}

/** FIFO: tickets are served in the order they were taken; waiters park after spinning. */
export class TicketLock extends IpcObject {
  readonly kind = Kind.ticketlock;

  lock(timeout?: number): Guard {
    this.live();
    mayBlock(() => `${this.label}: lock()`, 'lockAsync()');
    return took(this.segment.core.ticket_lock(this.offset, timeoutOf(timeout)), this.label, 'lock()', this);
  }

  tryLock(): Guard | null {
    this.live();
    const rc = this.segment.core.ticket_try(this.offset);
    return rc === Status.AGAIN ? null : took(rc, this.label, 'tryLock()', this);
  }

  async lockAsync(options?: WaitOptions): Promise<Guard> {
    this.live();
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.segment.core;
    let rc = core.ticket_begin(this.offset);
    const ticket = core.ticket_last();
    let overrun = false;   // past the deadline (or aborted) with no free mark: give up again every ms
    while (rc === Status.AGAIN) {
      const parked = overrun ? await parkArmed(this.segment, now() + 1) : await parkArmed(this.segment, deadline, signal);
      if (parked !== 'woken') {
        rc = core.ticket_give_up(this.offset, ticket);
        if (rc === Status.OK) break;               // served meanwhile: it is ours
        if (rc === Status.CORRUPT) throw errorFor(rc, `${this.label}: lockAsync()`);   // its turn went to nobody
        if (rc !== Status.AGAIN) throw parked === 'aborted' || signal?.aborted ? abortReason(signal) : timeoutError(`${this.label}: lockAsync()`);
        rc = core.ticket_step(this.offset, ticket, 0); // no free mark: FIFO order wins, keep waiting
        overrun = true;
        continue;
      }
      rc = core.ticket_step(this.offset, ticket, 1);
    }
    return took(rc, this.label, 'lockAsync()', this);
  }

  /** @internal what a guard calls */
  releaseGuard(): void { this.unlock(); }

  unlock(): void {
    const rc = this.segment.core.ticket_unlock(this.offset);
    if (rc < 0) throw errorFor(rc, `${this.label}: unlock()`);
  }
}

export type Side = 0 | 1;

/** Peterson's algorithm for exactly two parties, each naming its side (0 or 1). */
export class PetersonLock extends IpcObject {
  readonly kind = Kind.peterson;

  #side(side: unknown): Side {
    if (side !== 0 && side !== 1) throw new RangeError(`side must be 0 or 1, got ${String(side)}`);
    return side;
  }

  lock(side: Side, timeout?: number): Guard {
    this.live();
    this.#side(side);
    mayBlock(() => `${this.label}: lock()`, 'lockAsync()');
    return took(this.segment.core.peterson_lock(this.offset, side, timeoutOf(timeout)), this.label, 'lock()', this, side);
  }

  /** Enter if the other side is not in (or waiting with the turn); null otherwise. */
  tryLock(side: Side): Guard | null {
    this.live();
    this.#side(side);
    const core = this.segment.core;
    const rc = core.peterson_begin(this.offset, side);
    if (rc === Status.AGAIN) { core.peterson_unlock(this.offset, side); return null; }
    return took(rc, this.label, 'tryLock()', this, side);
  }

  async lockAsync(side: Side, options?: WaitOptions): Promise<Guard> {
    this.live();
    this.#side(side);
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.segment.core;
    let rc = core.peterson_begin(this.offset, side);
    while (rc === Status.AGAIN) {
      const parked = await parkArmed(this.segment, deadline, signal);
      rc = core.peterson_step(this.offset, side);
      if (rc === Status.AGAIN && parked !== 'woken') {
        core.peterson_unlock(this.offset, side);
        throw parked === 'aborted' ? abortReason(signal) : timeoutError(`${this.label}: lockAsync()`);
      }
    }
    return took(rc, this.label, 'lockAsync()', this, side);
  }

  /** @internal what a guard calls */
  releaseGuard(side: number): void { this.unlock(side as Side); }

  unlock(side: Side): void {
    this.#side(side);
    const rc = this.segment.core.peterson_unlock(this.offset, side);
    if (rc < 0) throw errorFor(rc, `${this.label}: unlock(${side})`);
  }
}
