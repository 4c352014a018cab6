// What the current thread is and can do: whether it may block, how it waits asynchronously,
// what time it is. No protocol here: only the host's side of parking.

export const isNode: boolean =
  typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** A Node built-in module, loaded synchronously (undefined outside Node). */
export function nodeBuiltin<T>(id: string): T | undefined {
  return isNode ? (process as unknown as { getBuiltinModule(id: string): T }).getBuiltinModule(id) : undefined;
}

/** The host's own number for this thread (Node's threadId; 0 elsewhere), shown by ipcs. */
export function hostThreadId(): number {
  return nodeBuiltin<{ threadId: number }>('node:worker_threads')?.threadId ?? 0;
}

/** Whether this thread may block in Atomics.wait (false on a browser main thread and in worklets). */
export const canBlock: boolean = (() => {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
})();

/**
 * Throw a plain error when this context cannot share memory between threads: browsers
 * give SharedArrayBuffer and shared WebAssembly.Memory only to cross-origin-isolated pages.
 */
export function requireSharedMemory(): void {
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (typeof SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false) return;
  throw new Error(
    'wasm-ipc needs shared memory, and this page is not cross-origin isolated. Serve it with the headers ' +
    '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" (or "credentialless").',
  );
}

/** A human name for this kind of thread, for error messages. */
export function threadKind(): string {
  const g = globalThis as Record<string, unknown>;
  if (isNode) return 'Node thread';
  if (typeof g.AudioWorkletGlobalScope !== 'undefined') return 'AudioWorklet';
  if (typeof g.document !== 'undefined') return 'browser main thread';
  return 'worker';
}

const perf = (globalThis as { performance?: { now(): number } }).performance;
export const now: () => number = perf ? () => perf.now() : () => Date.now();

// Node does not count a pending Atomics.waitAsync as keeping the event loop alive: hold a
// timer while any async wait is pending, or the process may exit under a waiter.
let pending = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;
function hold(): void {
  if (pending++ === 0 && isNode) keepAlive = setInterval(() => {}, 1 << 30);
}
function release(): void {
  if (--pending === 0 && keepAlive !== undefined) { clearInterval(keepAlive); keepAlive = undefined; }
}

type WaitResult = 'ok' | 'not-equal' | 'timed-out';
const waitAsyncFn = (Atomics as unknown as {
  waitAsync?: (a: Int32Array, i: number, v: number, t?: number) =>
    { async: false; value: WaitResult } | { async: true; value: Promise<WaitResult> };
}).waitAsync;
export const hasWaitAsync = typeof waitAsyncFn === 'function';

/**
 * Wait without blocking the thread until the word at i32[index] is woken or differs from
 * `expected`, or timeoutMs passes (< 0: none). Atomics.waitAsync where the engine has it,
 * else polling with a growing interval (1 → 16 ms).
 */
export async function parkAsync(i32: Int32Array, index: number, expected: number, timeoutMs: number): Promise<WaitResult> {
  const timeout = timeoutMs < 0 ? Infinity : timeoutMs;
  hold();
  try {
    if (waitAsyncFn) {
      const r = waitAsyncFn(i32, index, expected, timeout);
      return r.async ? await r.value : r.value;
    }
    const end = now() + timeout;
    for (let delay = 1; ; delay = Math.min(delay * 2, 16)) {
      if (Atomics.load(i32, index) !== expected) return 'not-equal';
      if (now() >= end) return 'timed-out';
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, end - now()))));
      if (Atomics.load(i32, index) !== expected) return 'ok';
    }
  } finally {
    release();
  }
}
