// FramePool (assembly/framepool.ts): zero-copy frames for audio and video. A producer
// acquires a free slot, writes the frame in place, and publishes it with some meta; a
// consumer takes the next published frame, reads it in place, and releases the slot.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { MessageTooLargeError, NotOwnerError, check, errorFor, checkInt, describe, Status } from './errors';
import { deadlineOf, untilEvent, type WaitOptions } from './wait';
import { jsonCodec, type Codec } from './codec';

/** A slot handed to this thread: its frame in place, and (for a received frame) its meta. */
export interface Frame<M = unknown> {
  readonly slot: number;
  /** The frame's bytes: a view of shared memory, valid until the slot is published or released. */
  readonly bytes: Uint8Array;
  /** The meta the producer published with it (undefined for an acquired slot). */
  readonly meta: M | undefined;
  /** The frame as another typed array (e.g. Float32Array for audio): the same memory. */
  as<A>(ctor: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): A; BYTES_PER_ELEMENT: number }): A;
}

const ACQUIRE = 0;   // fp_event: a slot freed / a frame published
const NEXT = 1;
const WRITING = 1;   // a slot's state word: state | owner << 2 (assembly/framepool.ts)

export class FramePool<M = unknown> extends IpcObject {
  readonly kind: number = Kind.framepool;
  /** How meta values become bytes (JSON by default; per handle). */
  codec: Codec<M> = jsonCodec as Codec<M>;
  readonly slots: number = check(this.core.fp_slots(this.offset), this.label);
  readonly frameSize: number = check(this.core.fp_frame_size(this.offset), this.label);
  readonly metaSize: number = check(this.core.fp_meta_size(this.offset), this.label);

  // ---- producer ----

  /** A free slot to write, blocking while every slot is in use (up to `timeout` ms). */
  acquire(timeout?: number): Frame<M> {
    this.live();
    return this.#blocking(ACQUIRE, () => this.core.fp_acquire(this.offset), 'acquire()', timeout);
  }

  /** A free slot if there is one now (one attempt: never waits; an AudioWorklet may call it). */
  tryAcquire(): Frame<M> | undefined {
    this.live();
    const slot = this.#attempt(this.core.fp_acquire(this.offset));
    return slot < 0 ? undefined : this.#frame(slot, false);
  }

  acquireAsync(options?: WaitOptions): Promise<Frame<M>> {
    this.live();
    return this.#async(ACQUIRE, () => this.core.fp_acquire(this.offset), 'acquireAsync()', options);
  }

  /** Hand a written frame (or its slot number) to the consumers, with optional meta. */
  publish(frame: Frame<M> | number, meta?: M): void {
    this.live();
    const slot = this.#slotOf(frame);
    let len = 0;
    if (meta !== undefined) {
      const bytes = this.codec.encode(meta);
      if (bytes.length > this.metaSize) throw new MessageTooLargeError(`${this.label}: meta of ${bytes.length} bytes exceeds metaSize ${this.metaSize}`, Status.TOO_LARGE);
      // The meta goes in before the publish, so only into a slot this thread writes (a state no
      // other thread can change); otherwise the publish is refused and a ready frame's meta stays.
      if (this.core.fp_state(this.offset, slot) >>> 0 === (WRITING | this.segment.tid << 2) >>> 0) {
        this.segment.write(check(this.core.fp_meta(this.offset, slot), this.label), bytes);
        len = bytes.length;
      }
    }
    this.#settle(this.core.fp_publish(this.offset, slot, len), slot, 'publish', 'acquired');
  }

  // ---- consumer ----

  /** The next published frame, blocking while there is none. */
  next(timeout?: number): Frame<M> {
    this.live();
    return this.#blocking(NEXT, () => this.core.fp_next(this.offset), 'next()', timeout);
  }

  /** The next frame if one is published now (one attempt: never waits). */
  tryNext(): Frame<M> | undefined {
    this.live();
    const slot = this.#attempt(this.core.fp_next(this.offset));
    return slot < 0 ? undefined : this.#frame(slot, true);
  }

  nextAsync(options?: WaitOptions): Promise<Frame<M>> {
    this.live();
    return this.#async(NEXT, () => this.core.fp_next(this.offset), 'nextAsync()', options);
  }

  /** Give a frame back once read (or an acquired slot, unpublished): its slot becomes free. */
  release(frame: Frame<M> | number): void {
    this.live();
    const slot = this.#slotOf(frame);
    this.#settle(this.core.fp_release(this.offset, slot), slot, 'release', 'acquired or received');
  }

  // ---- internals ----

  #frame(slot: number, withMeta: boolean): Frame<M> {
    const seg = this.segment;
    const at = check(this.core.fp_data(this.offset, slot), this.label);
    const size = this.frameSize;
    let meta: M | undefined;
    if (withMeta) {
      const len = Math.min(check(this.core.fp_meta_len(this.offset, slot), this.label), this.metaSize);
      if (len > 0) meta = this.codec.decode(seg.read(check(this.core.fp_meta(this.offset, slot), this.label), len));
    }
    const bytes = seg.view(at, size);
    return {
      slot, bytes, meta,
      as: (ctor) => new ctor(bytes.buffer, bytes.byteOffset, Math.floor(size / ctor.BYTES_PER_ELEMENT)),
    };
  }

  /** A core result: the slot, or -1 for E_AGAIN; errors thrown. */
  #attempt(rc: number): number {
    if (rc >= 0 || rc === Status.AGAIN) return rc;
    throw errorFor(rc, this.label);
  }

  #blocking(which: number, take: () => number, what: string, timeout?: number): Frame<M> {
    let slot = -1;
    const wait = (seen: number, ms: number): number => this.core.fp_wait(this.offset, which, seen, ms);
    untilEvent(this.segment, this.core.fp_event(this.offset, which), wait, () => (slot = this.#attempt(take())) >= 0, () => `${this.label}: ${what}`, () => what.replace('()', 'Async()'), deadlineOf(timeout));
    return this.#frame(slot, which === NEXT);
  }

  async #async(which: number, take: () => number, what: string, options?: WaitOptions): Promise<Frame<M>> {
    let slot = -1;
    await this.untilAsync(this.core.fp_event(this.offset, which), () => (slot = this.#attempt(take())) >= 0, what, options);
    return this.#frame(slot, which === NEXT);
  }

  #slotOf(frame: Frame<M> | number): number {
    const slot = typeof frame === 'number' ? frame : frame?.slot;
    if (typeof slot !== 'number') throw new TypeError(`expected a Frame or a slot number, got ${describe(frame)}`);
    return checkInt(slot, 'slot', 0, this.slots - 1);
  }

  #settle(rc: number, slot: number, what: string, held: string): void {
    if (rc === Status.PERM) throw new NotOwnerError(`${this.label}: ${what}(${slot}): this thread has not ${held} that slot`, rc);
    if (rc < 0) throw errorFor(rc, `${this.label}: ${what}(${slot})`);
  }
}
