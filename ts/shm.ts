// SharedRegion: a named shared memory region (shm_open + mmap), and a futex on its words,
// the Linux syscall's wait/wake, spin-then-park in the core (assembly/shm.ts, futex.ts).
import { IpcObject } from './object';
import { interruption } from './wait';
import { Kind } from './kinds';
import { check, checkInt, checkTimeout, WouldBlockError, Status } from './errors';
import { canBlock, parkAsync, threadKind } from './platform';

export type FutexResult = 'ok' | 'not-equal' | 'timed-out';
const results: readonly FutexResult[] = ['ok', 'not-equal', 'timed-out'];

export class SharedRegion extends IpcObject {
  readonly kind = Kind.shm;
  /** Bytes in the region. */
  readonly size: number;
  /** Offset of the region's first byte in the segment. */
  readonly dataOffset: number;

  constructor(...args: ConstructorParameters<typeof IpcObject>) {
    super(...args);
    this.size = check(this.segment.core.shm_size(this.offset), this.label);   // (checked by the core against the object's block)
    this.dataOffset = this.segment.core.shm_data(this.offset);
  }

  /** The region's bytes: a view of shared memory (re-read it after the segment grows). */
  get bytes(): Uint8Array {
    this.liveChecked();
    return this.segment.view(this.dataOffset, this.size);
  }

  /** The region as 32-bit words (its length is size / 4, rounded down). */
  get int32(): Int32Array {
    this.liveChecked();
    return this.segment.i32At(this.dataOffset, this.size >> 2);
  }

  #addr(index: unknown): number {
    checkInt(index, 'index', 0, (this.size >> 2) - 1);
    return this.dataOffset + 4 * (index as number);
  }

  /**
   * futex(FUTEX_WAIT): block while int32[index] === expected, until woken or timeout (ms).
   * A short spin comes first. Throws WouldBlockError where the thread may not block.
   */
  wait(index: number, expected: number, timeout?: number): FutexResult {
    this.liveChecked();
    const addr = this.#addr(index);
    checkInt(expected, 'expected', -0x8000_0000, 0xffff_ffff);
    const ms = checkTimeout(timeout);
    if (!canBlock) throw new WouldBlockError(`${this.label}: wait() would block a ${threadKind()}; use waitAsync()`, Status.AGAIN);
    const r = this.segment.core.futex_wait(addr, expected | 0, ms);
    if (r === 2) {   // timed out, or ended by rt.interrupt
      const interrupted = interruption(`${this.label}: wait()`);
      if (interrupted) throw interrupted;
    }
    return results[r]!;
  }

  /** The async form of wait(), for any thread. */
  async waitAsync(index: number, expected: number, timeout?: number): Promise<FutexResult> {
    this.liveChecked();
    const addr = this.#addr(index);
    checkInt(expected, 'expected', -0x8000_0000, 0xffff_ffff);
    const ms = checkTimeout(timeout);
    if (this.segment.core.futex_spin(addr, expected | 0) === 1) return 'not-equal';
    return parkAsync(this.segment.i32, addr >> 2, expected | 0, ms);
  }

  /** futex(FUTEX_WAKE): wake up to `count` waiters on int32[index] (default all). Returns how many woke. */
  wake(index: number, count = Infinity): number {
    this.liveChecked();
    const addr = this.#addr(index);
    const n = count === Infinity ? -1 : checkInt(count, 'count', 0, 0x7fff_ffff);
    return this.segment.core.futex_wake(addr, n);
  }
}
