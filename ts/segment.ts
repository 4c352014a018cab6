// A segment: one shared WebAssembly.Memory formatted by the core (assembly/segment.ts),
// with this thread's instance of the core over it. The host side only copies bytes in and
// out of regions the core hands it and keeps its views of the memory current.
import { compileCore, instantiateCore, type Core } from './core';
import { check, checkInt, describe, errorFor, AbiMismatchError, Status } from './errors';
import { kindName, describeState } from './kinds';
import { hostThreadId, requireSharedMemory } from './platform';
import { utf8 } from './utf8';

const PAGE = 65536;
/** Segments are capped at 2 GiB so that every offset is a positive int32. */
export const MAX_SEGMENT = 0x8000_0000;
export const NAME_MAX = 255;
/** Bytes of a thread's staging block (see Segment.staging). */
export const STAGING = 64 << 10;
/** Bytes of a thread's scratch block (assembly/threads.ts SCRATCH_SIZE). */
const SCRATCH = 4096 - 8;
/** Copies up to this size go by words or bytes in JS; longer ones by TypedArray.set. */
const SMALL = 64;
/** An Int32Array over the same bytes, if they are 4-aligned (else null). */
const wordView = (a: Uint8Array): Int32Array | null =>
  (a.byteOffset & 3) === 0 ? new Int32Array(a.buffer, a.byteOffset, a.length >> 2) : null;
/** assembly/layout.ts: HEADER + H_MAX_BYTES. */
const HEADER_MAX_BYTES = 1024 + 8;

export interface SegmentOptions {
  /** Initial size in bytes (rounded up to 64 KiB pages). Default 1 MiB. */
  size?: number;
  /** Maximum size in bytes the segment may grow to (rounded up to pages). Default max(size, 64 MiB). */
  maxSize?: number;
}

/** What crosses postMessage to let another thread attach a segment. */
export interface SegmentData {
  name: string;
  memory: WebAssembly.Memory;
  /** A thread id registered by the parent for the receiving thread, if any. */
  tid?: number;
}

export interface SegmentStats {
  name: string;
  /** Current byte size of the memory. */
  size: number;
  maxSize: number;
  /** Bytes held by live blocks, their headers included. */
  bytesInUse: number;
  blocksInUse: number;
  /** High-water mark of the heap. */
  top: number;
  threads: number;
  objects: number;
}

/** One ipcs row. */
export interface ObjectInfo {
  segment: string;
  /** null for an unnamed object (one created as a handle). */
  name: string | null;
  kind: string;
  /** Bytes of the object in the segment. */
  size: number;
  refs: number;
  offset: number;
  serial: number;
  /** Kind-specific state words: see each kind's `describe`. */
  state: Record<string, number>;
}

export interface ThreadInfo { segment: string; tid: number; hostId: number; self: boolean }


/** Resolve a size option to whole pages, with a RangeError naming the option. */
function pages(value: unknown, name: string): number {
  checkInt(value, name, 1, MAX_SEGMENT);
  return Math.ceil((value as number) / PAGE);
}

export class Segment {
  readonly name: string;
  readonly memory: WebAssembly.Memory;
  readonly core: Core;
  /** This thread's id in the segment's thread table. */
  readonly tid: number;
  #u8: Uint8Array;
  #i32: Int32Array;
  #dv: DataView;
  #detached = false;
  #staging = 0;
  /** Bytes the current views cover (a plain field: a shared typed array's byteLength is slow). */
  #size = 0;
  // Word views of the last small array copied in / out: a hot loop that sends or receives
  // through one reused array copies it 4 bytes at a time (several times faster than set()
  // or a byte loop for short messages), with one view made for the array, not one per call.
  #src: Uint8Array | null = null;
  #src32: Int32Array | null = null;
  #dst: Uint8Array | null = null;
  #dst32: Int32Array | null = null;

  private constructor(name: string, memory: WebAssembly.Memory, core: Core, tid: number) {
    this.name = name;
    this.memory = memory;
    this.core = core;
    this.tid = tid;
    this.#u8 = new Uint8Array(memory.buffer);
    this.#i32 = new Int32Array(memory.buffer);
    this.#dv = new DataView(memory.buffer);
    this.#size = this.#u8.length;
  }

  /** Make and format a new segment, and attach this thread to it. */
  static async create(name: string, options: SegmentOptions, module?: WebAssembly.Module): Promise<Segment> {
    requireSharedMemory();
    checkSegmentName(name);
    const size = options.size ?? 1 << 20;
    const initial = pages(size, 'size');
    const maximum = pages(options.maxSize ?? Math.max(size, 64 << 20), 'maxSize');
    if (maximum < initial) throw new RangeError(`maxSize (${options.maxSize}) must be >= size (${size})`);
    const memory = new WebAssembly.Memory({ initial, maximum, shared: true });
    const core = await instantiateCore(module ?? (await compileCore()), memory);
    check(core.segment_init(maximum * PAGE), `segment "${name}"`);
    return Segment.#join(name, memory, core, undefined);
  }

  /** Attach this thread to a segment another thread made. AbiMismatchError for a foreign memory. */
  static async attach(data: SegmentData, module?: WebAssembly.Module): Promise<Segment> {
    checkSegmentName(data?.name);
    if (!(data.memory instanceof WebAssembly.Memory) || !(data.memory.buffer instanceof SharedArrayBuffer)) {
      throw new TypeError(`segment "${data.name}": memory must be a shared WebAssembly.Memory, got ${describe(data.memory)}`);
    }
    const core = await instantiateCore(module ?? (await compileCore()), data.memory);
    if (core.segment_check() !== Status.OK) {
      throw new AbiMismatchError(
        `segment "${data.name}": memory is not a wasm-ipc segment of ABI version ${core.segment_abi()} (foreign or corrupted header)`,
        Status.ABI,
      );
    }
    return Segment.#join(data.name, data.memory, core, data.tid);
  }

  static #join(name: string, memory: WebAssembly.Memory, core: Core, tid: number | undefined): Segment {
    const hostId = hostThreadId();
    if (tid === undefined || core.thread_adopt(tid, hostId) < 0) {
      tid = check(core.thread_register(hostId), `segment "${name}"`);
      check(core.thread_adopt(tid, hostId), `segment "${name}"`);
    }
    const seg = new Segment(name, memory, core, tid);
    Segment.attached.add(seg);
    return seg;
  }

  /** The segments this thread is attached to (its interrupts are looked for in each). */
  static readonly attached = new Set<Segment>();

  /** Plain data another thread attaches with; `tid` pre-registers a thread for it. */
  data(tid?: number): SegmentData {
    return tid === undefined ? { name: this.name, memory: this.memory } : { name: this.name, memory: this.memory, tid };
  }

  // ---- views, kept current across growth (by any thread) ----

  /** A view of the whole memory, re-made if the memory has grown since. */
  get u8(): Uint8Array {
    if (this.#u8.byteLength !== this.memory.buffer.byteLength) this.#refresh();
    return this.#u8;
  }
  get i32(): Int32Array {
    if (this.#i32.byteLength !== this.memory.buffer.byteLength) this.#refresh();
    return this.#i32;
  }
  get dv(): DataView {
    if (this.#dv.byteLength !== this.memory.buffer.byteLength) this.#refresh();
    return this.#dv;
  }

  /** A view of [offset, offset + length): cheap when the region lies within the current view. */
  view(offset: number, length: number): Uint8Array {
    if (offset + length > this.#size) this.#refresh();
    return this.#u8.subarray(offset, offset + length);
  }

  /**
   * This thread's staging block in the segment (STAGING bytes, made on first use, freed when
   * the thread exits or detaches): where channels stage bytes so that the core copies them in
   * one call. 0 when the segment has no room for it (callers then take the two-call path).
   */
  staging(): number {
    if (this.#staging === 0) this.#staging = Math.max(this.core.thread_staging(), 0);
    return this.#staging;
  }

  /** Copy bytes into the memory at offset (the hot path of sends: no view is made). */
  write(offset: number, bytes: Uint8Array): void {
    const n = bytes.length;
    if (offset + n > this.#size) this.#refresh();
    if (n <= SMALL && (offset & 3) === 0) {
      // a view only for an array seen twice in a row: fresh arrays (a codec's output) make none
      if (bytes !== this.#src) { this.#src = bytes; this.#src32 = null; } else if (this.#src32 === null) this.#src32 = wordView(bytes);
      const src32 = this.#src32;
      if (src32 !== null && src32.length === n >> 2) {
        const i32 = this.#i32, u8 = this.#u8, w = offset >> 2, words = n >> 2;
        for (let i = 0; i < words; i++) i32[w + i] = src32[i]!;
        for (let i = words << 2; i < n; i++) u8[offset + i] = bytes[i]!;
        return;
      }
    }
    this.#u8.set(bytes, offset);
  }

  /** A private (non-shared) copy of [offset, offset + length). */
  read(offset: number, length: number): Uint8Array {
    if (offset + length > this.#size) this.#refresh();
    return this.#u8.slice(offset, offset + length);
  }

  /** Copy [offset, offset + length) into target (from at): no allocation. */
  copyOut(offset: number, length: number, target: Uint8Array, at = 0): void {
    if (offset + length > this.#size) this.#refresh();
    const u8 = this.#u8;
    if (length > SMALL) { target.set(u8.subarray(offset, offset + length), at); return; }
    if (at === 0 && (offset & 3) === 0) {
      if (target !== this.#dst) { this.#dst = target; this.#dst32 = null; } else if (this.#dst32 === null) this.#dst32 = wordView(target);
      const dst32 = this.#dst32;
      if (dst32 !== null && dst32.length === target.length >> 2) {
        const i32 = this.#i32, w = offset >> 2, words = length >> 2;
        for (let i = 0; i < words; i++) dst32[i] = i32[w + i]!;
        for (let i = words << 2; i < length; i++) target[i] = u8[offset + i]!;
        return;
      }
    }
    for (let i = 0; i < length; i++) target[at + i] = u8[offset + i]!;
  }

  /** Store a 32-bit little-endian word at offset (into a region the core handed this thread). */
  setWord(offset: number, value: number): void {
    if (offset + 4 > this.#size) this.#refresh();
    this.#dv.setUint32(offset, value, true);
  }

  /** A 32-bit little-endian word at offset (a header the core wrote for this thread). */
  word(offset: number): number {
    if (offset + 4 > this.#size) this.#refresh();
    return this.#dv.getUint32(offset, true);
  }

  /** Int32 array over [offset, offset + 4 * length), offset 4-aligned. */
  i32At(offset: number, length: number): Int32Array {
    if (offset + 4 * length > this.#size) this.#refresh();
    return this.#i32.subarray(offset >> 2, (offset >> 2) + length);
  }

  #refresh(): void {
    const buffer = this.memory.buffer;
    this.#u8 = new Uint8Array(buffer);
    this.#i32 = new Int32Array(buffer);
    this.#dv = new DataView(buffer);
    this.#size = this.#u8.length;
  }

  // ---- the allocator ----

  /** Allocate `size` bytes (zeroed), 8-byte aligned; OutOfMemoryError when the segment is full at its maximum. */
  alloc(size: number): number {
    this.#live();
    checkInt(size, 'size', 1, MAX_SEGMENT);
    return check(this.core.alloc(size, 1), `alloc(${size}) in segment "${this.name}"`);
  }

  /** Free a block from alloc(). A pointer that is not a live block is refused with an error, and nothing changes. */
  free(offset: number): void {
    this.#live();
    checkInt(offset, 'offset', 0, MAX_SEGMENT);
    const rc = this.core.free(offset);
    if (rc < 0) throw new RangeError(`free(${offset}) in segment "${this.name}": not a live block (double free or bad offset)`);
  }

  /** Usable bytes of a live block. */
  usable(offset: number): number {
    checkInt(offset, 'offset', 0, MAX_SEGMENT);
    const n = this.core.alloc_usable(offset);
    if (n < 0) throw new RangeError(`offset ${offset} in segment "${this.name}" is not a live block`);
    return n;
  }

  stats(): SegmentStats {
    const c = this.core;
    return {
      name: this.name,
      size: this.memory.buffer.byteLength,
      maxSize: this.dv.getUint32(HEADER_MAX_BYTES, true),
      bytesInUse: c.alloc_bytes_in_use() >>> 0,
      blocksInUse: c.alloc_blocks_in_use() >>> 0,
      top: c.alloc_top() >>> 0,
      threads: c.thread_count(),
      objects: c.reg_count(),
    };
  }

  // ---- names and the registry ----

  /** Copy a name into this thread's scratch block; returns its byte length. */
  #putName(name: unknown): [number, number] {
    const bytes = encodeName(name);
    const scratch = this.core.thread_scratch(this.tid);
    if (scratch === 0) throw errorFor(Status.CLOSED, `segment "${this.name}": this thread is detached`);
    this.view(scratch, bytes.length).set(bytes);
    return [scratch, bytes.length];
  }

  /**
   * Create-or-open the object `name` of `kind` (kind-specific creation parameters a).
   * Returns its offset, serial, and whether this call created it.
   */
  open(name: string, kind: number, flags: number, a: readonly number[] = []): { obj: number; serial: number; created: boolean } {
    this.#live();
    const [p, n] = this.#putName(name);
    const obj = this.core.reg_open(p, n, kind, flags, a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0);
    if (obj < 0) throw errorFor(obj, `${kindName(kind)} "${name}" in segment "${this.name}"`);
    return { obj, serial: this.dv.getUint32(obj + 4, true), created: this.core.reg_last_created() === 1 };
  }

  /** Create an unnamed object, alive while some thread holds a reference. */
  createAnonymous(kind: number, a: readonly number[] = []): { obj: number; serial: number } {
    this.#live();
    const obj = this.core.reg_create_anon(kind, a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0);
    if (obj < 0) throw errorFor(obj, `new ${kindName(kind)} in segment "${this.name}"`);
    return { obj, serial: this.dv.getUint32(obj + 4, true) };
  }

  /** ipcrm: remove a named object of any kind; it is freed once its last handle closes. */
  remove(name: string): void {
    this.#live();
    const [p, n] = this.#putName(name);
    check(this.core.reg_remove(p, n), `remove "${name}" in segment "${this.name}"`);
  }

  /** ipcs: every named and unnamed object in the segment. */
  list(): ObjectInfo[] {
    this.#live();
    const c = this.core;
    const row = c.reg_row_size();
    for (;;) {
      const cap = c.reg_count() + 8;
      // rows go to a block this thread already has when they fit (ipcs works on a full segment
      // too): its scratch block (always there, 13 rows), or its staging block if made (221 rows)
      const bytes = cap * row;
      const staging = bytes <= SCRATCH ? this.core.thread_scratch(this.tid) : bytes <= STAGING ? this.#staging : 0;
      const buf = staging || check(c.alloc(bytes, 0), `list segment "${this.name}"`);
      try {
        const count = c.reg_list(buf, cap);
        if (count === cap) continue; // it grew meanwhile: again, larger
        const out: ObjectInfo[] = [];
        const dv = this.dv;
        for (let i = 0; i < count; i++) {
          const r = buf + i * row;
          const kind = dv.getUint32(r, true);
          const nameLen = dv.getUint32(r + 20, true);
          const words = [0, 1, 2, 3].map((k) => dv.getInt32(r + 24 + 4 * k, true));
          out.push({
            segment: this.name,
            name: nameLen === 0 ? null : utf8.decode(this.u8.slice(r + 40, r + 40 + nameLen)),
            kind: kindName(kind),
            size: dv.getUint32(r + 8, true),
            refs: dv.getUint32(r + 12, true),
            offset: dv.getUint32(r + 4, true),
            serial: dv.getUint32(r + 16, true),
            state: describeState(kind, words),
          });
        }
        return out;
      } finally {
        if (buf !== staging) c.free(buf);
      }
    }
  }

  /** The living threads attached to this segment. */
  threads(): ThreadInfo[] {
    const out: ThreadInfo[] = [];
    const max = this.core.thread_max();
    for (let i = 1; i < max; i++) {
      const tid = this.core.thread_at(i);
      if (tid !== 0) out.push({ segment: this.name, tid, hostId: this.core.thread_host_id(tid), self: tid === this.tid });
    }
    return out;
  }

  isAlive(tid: number): boolean { return this.core.thread_alive(tid) === 1; }

  /** Mark a thread dead (it exited or was terminated); objects release what it held. */
  threadExited(tid: number): void { this.core.thread_exit(tid); }

  /** Leave the segment: this thread is marked gone, and this Segment object can no longer be used. */
  detach(): void {
    if (this.#detached) return;
    this.core.thread_exit(this.tid);
    this.#detached = true;
    Segment.attached.delete(this);
  }

  get detached(): boolean { return this.#detached; }

  #live(): void {
    if (this.#detached) throw errorFor(Status.CLOSED, `segment "${this.name}" is detached in this thread`);
  }
}

export function checkSegmentName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new TypeError(`segment name must be a string, got ${describe(name)}`);
  if (name.length === 0 || name.length > 64) throw new RangeError(`segment name must be 1 to 64 characters, got ${name.length}`);
}

/** UTF-8 bytes of an object name: a non-empty string of at most 255 bytes. */
export function encodeName(name: unknown): Uint8Array {
  if (typeof name !== 'string') throw new TypeError(`name must be a string, got ${describe(name)}`);
  if (name.length === 0) throw new RangeError('name must not be empty');
  const bytes = utf8.encode(name);
  if (bytes.length > NAME_MAX) throw new RangeError(`name must be at most ${NAME_MAX} UTF-8 bytes, got ${bytes.length}`);
  return bytes;
}

