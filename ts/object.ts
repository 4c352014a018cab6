// The face every shared object shares: which segment it lives in, its offset and serial,
// close (drop this thread's reference), remove (ipcrm), and the plain data that carries it
// to another thread.
import type { Segment } from './segment';
import { ClosedError, Status, check, errorFor } from './errors';
import { kindName, describeState } from './kinds';
import { checkWaitOptions, untilEventAsync, type WaitOptions } from './wait';

/** A handle as plain data: it crosses postMessage, and rt.open(data) turns it back into an object. */
export interface ObjectData {
  kind: number;
  segment: string;
  obj: number;
  serial: number;
  name: string | null;
}

export abstract class IpcObject {
  readonly segment: Segment;
  /** The segment's core, this thread's instance (a shortcut for hot paths). */
  protected readonly core: Segment['core'];
  /** The object's offset in its segment. */
  readonly offset: number;
  readonly serial: number;
  /** null for an unnamed object. */
  readonly name: string | null;
  abstract readonly kind: number;
  #closed = false;
  /** Async waits under way on this handle, and the words they park on: dispose() wakes them and keeps the reference until they end. */
  #waits = 0;
  readonly #words = new Set<number>();
  #releaseWhenIdle = false;

  constructor(segment: Segment, offset: number, serial: number, name: string | null) {
    this.segment = segment;
    this.core = segment.core;
    this.offset = offset;
    this.serial = serial;
    this.name = name;
  }

  /** "mutex \"stats\"" or "unnamed mutex @1234", for error messages. */
  #label: string | undefined;
  /** How errors name this object (made once: hot paths pass it to every call they might fail). */
  get label(): string {
    return (this.#label ??= this.name === null ? `unnamed ${kindName(this.kind)} @${this.offset}` : `${kindName(this.kind)} "${this.name}"`);
  }

  /** Whether this handle was disposed (closed). */
  get disposed(): boolean { return this.#closed; }

  /**
   * Throw ClosedError if this handle was closed. An open handle holds a reference, so its
   * object's memory stays valid; a removed object is reported by the core operation itself.
   */
  protected live(): void {
    if (this.#closed) throw new ClosedError(`${this.label}: this handle is closed`, Status.CLOSED);
  }

  /** live(), and the object not removed: for operations that do not go through the core. */
  protected liveChecked(): void {
    this.live();
    const rc = this.segment.core.obj_check(this.offset, this.kind, this.serial);
    if (rc < 0) throw errorFor(rc, this.label);
  }

  /** Whether the object still exists (not removed) and this handle is open. */
  get alive(): boolean {
    return !this.#closed && this.segment.core.obj_check(this.offset, this.kind, this.serial) === 0;
  }

  /** The object's state words, as rt.list() shows them (a channel's depth, a mutex's owner...). */
  get state(): Record<string, number> {
    this.liveChecked();
    const seg = this.segment;
    const out = seg.core.thread_scratch(seg.tid);   // 16 bytes in this thread's scratch block: nothing to allocate
    seg.core.obj_summary(this.offset, out);
    const dv = seg.dv;
    return describeState(this.kind, [0, 4, 8, 12].map((k) => dv.getInt32(out + k, true)));
  }

  /**
   * Drop this thread's reference. A removed or unnamed object is freed with its last
   * reference. Async waits under way on this handle end with ClosedError first (the
   * reference is dropped when the last one ends), so none touches freed memory.
   */
  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#waits > 0) {
      this.#releaseWhenIdle = true;
      for (const word of this.#words) this.core.futex_wake(word, -1);   // they see the handle closed
      return;
    }
    this.segment.core.reg_release(this.offset, this.serial);
  }

  /**
   * Run an async wait on this handle that parks on `words`: counted, so that dispose() wakes it
   * and defers the release until it ends. The wait must call live() after each wake-up.
   */
  protected async tracked<T>(wait: () => Promise<T>, ...words: number[]): Promise<T> {
    this.#waits++;
    for (const w of words) this.#words.add(w);
    try { return await wait(); } finally {
      if (--this.#waits === 0) {
        this.#words.clear();
        if (this.#releaseWhenIdle) {
          this.#releaseWhenIdle = false;
          this.segment.core.reg_release(this.offset, this.serial);
        }
      }
    }
  }

  /** The async form over an eventcount (queues, ports, topics, frame pools), tracked: see untilEventAsync. */
  protected untilAsync(event: number, attempt: () => boolean, what: string, options: WaitOptions | undefined, parked?: (delta: number) => void, spin = true): Promise<void> {
    const { deadline, signal } = checkWaitOptions(options);
    return this.tracked(() => untilEventAsync(this.segment, event, () => { this.live(); return attempt(); }, `${this.label}: ${what}`, deadline, signal, parked, spin), event);
  }

  /** The same as dispose() for every kind but Channel, whose close() ends the stream. */
  close(): void { this.dispose(); }

  /** ipcrm: remove the object for everyone now; threads still holding it get ClosedError. */
  remove(): void {
    if (this.#closed) throw new ClosedError(`${this.label}: this handle is closed`, Status.CLOSED);
    check(this.segment.core.reg_remove_obj(this.offset, this.serial), this.label);
    this.dispose();
  }

  /** Plain data for another thread: pass it in postMessage and rt.open() it there. */
  toData(): ObjectData {
    return { kind: this.kind, segment: this.segment.name, obj: this.offset, serial: this.serial, name: this.name };
  }

  [Symbol.dispose](): void { this.dispose(); }
}
