// The profile mode of bench/breakdown.mjs: the time of each step of a call, a task or a
// message, measured on the real code path. The library's builds define __PROFILE__ as
// false, so every `if (profiling)` is dead code there; the breakdown's own build defines it
// true.
//
// mark(step) books the time since the previous mark (of this thread) to `step`: a
// sequence opens with begin() and each step ends with its mark. Each thread keeps its own
// books, on globalThis so that every bundle loaded in the thread (a pool worker's bootstrap
// and its task module) shares them.
declare const __PROFILE__: boolean | undefined;
export const profiling: boolean = typeof __PROFILE__ === 'boolean' && __PROFILE__;

/** The steps, in path order. */
export const Step = {
  request: 0, encode: 1, receipt: 2, alloc: 3, send: 4, wait: 5, recv: 6, read: 7, decode: 8, run: 9,
  replyEncode: 10, replyAlloc: 11, settle: 12, take: 13, replyDecode: 14, submit: 15, settleTask: 16, idle: 17,
} as const;
const NAMES = Object.keys(Step);

interface Books {
  total: Float64Array; count: Float64Array; last: number;
  /** The first bundle's `profile` below, for code outside the library (the breakdown's pool tasks). */
  profile?: typeof profile;
  /** One-thread mode: run by sendAndWait between queueing a call and waiting for its reply, so that the same thread serves it first. */
  beforeWait?: () => void;
}
const KEY = Symbol.for('wasm-ipc.profile');
const g = globalThis as unknown as Record<symbol, Books | undefined>;
const books: Books = profiling
  ? (g[KEY] ??= { total: new Float64Array(NAMES.length), count: new Float64Array(NAMES.length), last: 0 })
  : { total: new Float64Array(0), count: new Float64Array(0), last: 0 };

export function begin(): void { books.last = performance.now(); }

export function mark(step: number): void {
  const t = performance.now();
  books.total[step]! += t - books.last;
  books.count[step]!++;
  books.last = t;
}

export function beforeWait(): void { books.beforeWait?.(); }

/** For the breakdown: set the one-thread hook, clear the books, read them. */
export const profile = {
  begin,
  set beforeWait(f: (() => void) | undefined) { books.beforeWait = f; },
  reset(): void { books.total.fill(0); books.count.fill(0); },
  /** The ns booked to each step since reset() and its marks, and what one mark costs (to subtract). */
  report(): { steps: Record<string, { ns: number; marks: number }>; markNs: number } {
    const steps: Record<string, { ns: number; marks: number }> = {};
    NAMES.forEach((name, i) => { if (books.count[i]! > 0) steps[name] = { ns: books.total[i]! * 1e6, marks: books.count[i]! }; });
    const n = 100_000, sink = new Float64Array(1), t0 = performance.now();
    let prev = t0;
    for (let i = 0; i < n; i++) { const t = performance.now(); sink[0]! += t - prev; prev = t; }
    return { steps, markNs: ((performance.now() - t0) * 1e6) / n };
  },
};
if (profiling) books.profile ??= profile;
