// Snapshot (assembly/snapshot.ts): publish immutable versions by one pointer swap; readers
// never block and always get one whole version.
import { IpcObject } from './object';
import { Kind } from './kinds';
import { check, describe, errorFor, Status } from './errors';
import { mayBlock, checkWaitOptions, parkOn, abortReason, timeoutError, timeoutOf, type WaitOptions } from './wait';
import { utf8 } from './utf8';

export type SnapshotCodec = 'json' | 'string' | 'bytes';
export interface SnapshotValue<T> { version: number; value: T }

const B_VERSION = 0;
const B_DATA = 16;

export class Snapshot<T = unknown> extends IpcObject {
  readonly kind = Kind.snapshot;
  /** How values are stored: JSON (default), UTF-8 strings, or raw bytes. A per-handle choice. */
  codec: SnapshotCodec = 'json';

  #encode(value: unknown): Uint8Array {
    if (this.codec === 'bytes') {
      if (!(value instanceof Uint8Array)) throw new TypeError(`${this.label}: a bytes snapshot publishes Uint8Array values, got ${describe(value)}`);
      return value;
    }
    if (this.codec === 'string') {
      if (typeof value !== 'string') throw new TypeError(`${this.label}: a string snapshot publishes strings, got ${describe(value)}`);
      return utf8.encode(value);
    }
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`${this.label}: value is not JSON-serialisable (${describe(value)})`);
    return utf8.encode(json);
  }

  #decode(bytes: Uint8Array): T {
    if (this.codec === 'bytes') return bytes as T;
    const text = utf8.decode(bytes);
    return (this.codec === 'string' ? text : JSON.parse(text)) as T;
  }

  /** Publish a new version; returns its number. Readers see either the old or the new one, whole. */
  publish(value: T): number {
    this.live();
    const bytes = this.#encode(value);
    const core = this.segment.core;
    const block = check(core.snap_reserve(this.offset, bytes.length), `${this.label}: publish()`);
    this.segment.view(block + B_DATA, bytes.length).set(bytes);
    return check(core.snap_commit(this.offset, block), `${this.label}: publish()`);
  }

  /** The current version and value (a copy), or undefined if nothing was published. Wait-free. */
  read(): SnapshotValue<T> | undefined {
    this.live();
    const core = this.segment.core;
    const block = core.snap_read_begin(this.offset);
    if (block < 0) throw errorFor(block, `${this.label}: read()`);
    try {
      if (block === 0) return undefined;
      const dv = this.segment.dv;
      const len = core.snap_read_len();   // checked by the core against the block (not re-read: its fields are shared)
      const version = dv.getUint32(block + B_VERSION, true);
      const bytes = this.segment.u8.slice(block + B_DATA, block + B_DATA + len); // a private copy
      return { version, value: this.#decode(bytes) };
    } finally {
      core.snap_read_end(this.offset);
    }
  }

  /** The latest version number (0 before the first publish). */
  get version(): number { return this.segment.core.snap_version(this.offset); }

  /** Block until a version newer than `since` is published; false on timeout. */
  waitForChange(since: number, timeout?: number): boolean {
    this.live();
    mayBlock(() => `${this.label}: waitForChange()`, 'waitForChangeAsync()');
    const core = this.segment.core;
    return core.ec_wait(core.snap_version_addr(this.offset), since, timeoutOf(timeout)) === 0 || this.version !== since;
  }

  async waitForChangeAsync(since: number, options?: WaitOptions): Promise<void> {
    this.live();
    const { deadline, signal } = checkWaitOptions(options);
    const core = this.segment.core;
    const addr = core.snap_version_addr(this.offset);
    for (;;) {
      const armed = core.ec_prepare(addr, since);
      if (armed < 0n) return;
      const parked = await parkOn(this.segment, addr, Number(BigInt.asIntN(32, armed)), deadline, signal);
      if (this.version !== since) return;
      if (parked === 'aborted') throw abortReason(signal);
      if (parked === 'timeout') throw timeoutError(`${this.label}: waitForChangeAsync()`);
      if (!this.alive) throw errorFor(Status.CLOSED, this.label);
    }
  }
}
