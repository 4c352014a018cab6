// RPC over ports: expose(api, port) in the callee thread; wrap(port) (promises, Comlink's
// shape) or wrapSync(port) (blocking, synckit's use case) in callers. A call is a port
// message { i: id, m: method, a: args } sent with call(): its one-shot reply port is a
// receipt (assembly/receipt.ts), so a late reply after a timeout has nobody to reach and is
// dropped with the receipt, and the callee's death fails every pending call at once.
// Arguments and results go through shared memory with a codec (rpc-codec.ts: a compact frame
// for small scalars, msgpack with structured clone for the rest); nothing goes through postMessage.
import type { Port, PortMessage } from './port';
import { ClosedError, TimeoutError, checkInt, describe } from './errors';
import type { Codec } from './codec';
import { rpcCodec } from './rpc-codec';
import { abortReason, mayBlock } from './wait';
import { now } from './platform';
import { profiling, begin, mark, Step } from './profile';

/** A request, a cancellation, or a reply. */
type Request = { i: string; m: string; a: unknown[] } | { cancel: string };
export type Reply = { ok: unknown } | { err: { name: string; message: string; stack?: string; props?: Record<string, unknown> } } | { thrown: unknown };

/** Per-call options: pass `callOptions({ timeout, signal })` as a call's last argument. */
export class CallOptions {
  constructor(readonly timeout?: number, readonly signal?: AbortSignal) {}
}
export const callOptions = (o: { timeout?: number; signal?: AbortSignal }): CallOptions => new CallOptions(o.timeout, o.signal);

/** What the callee can learn about the call it is running (read it before the first await). */
export interface CallContext { readonly id: string; readonly caller: number; readonly signal: AbortSignal }

/** A call's context; its AbortController is made only when asked for (most calls never are). */
class Context implements CallContext {
  #controller: AbortController | undefined;
  constructor(readonly id: string, readonly caller: number) {}
  controller(): AbortController { return (this.#controller ??= new AbortController()); }
  get signal(): AbortSignal { return this.controller().signal; }
}
let current: CallContext | undefined;
/** The call being run by an exposed function: its caller and its AbortSignal (cancellation by the caller). */
export function currentCall(): CallContext {
  if (!current) throw new TypeError('currentCall() is only meaningful inside an exposed function, before its first await');
  return current;
}

/** Methods of T, each returning a promise of its result. */
export type Remote<T> = { [K in keyof T]: T[K] extends (...a: infer A) => infer R ? (...a: [...A, CallOptions?] | A) => Promise<Awaited<R>> : never };
/** Methods of T, each blocking until its result. */
export type RemoteSync<T> = { [K in keyof T]: T[K] extends (...a: infer A) => infer R ? (...a: A) => Awaited<R> : never };

export interface ExposeOptions {
  codec?: Codec<unknown>;
  /** Calls remembered for duplicate detection (default 4096). */
  remember?: number;
  /**
   * Wait for calls with a blocking receive while no async call is running: the fastest wake-up,
   * for a thread that only serves (its event loop waits with it). Default false.
   */
  block?: boolean;
}

/** How long the serving loop keeps looking for the next call before it waits. */
const SPIN_MS = 0.05;

/**
 * The calls a serving loop has seen, by id: each runs at most once (a retried id gets the
 * first one's reply), the last `remember` are kept, and a running async call can be
 * cancelled by its id. Shared by expose() here and over NATS (bridge/rpc.ts).
 */
export class Calls {
  readonly #results = new Map<string, Reply | Promise<Reply>>();   // by call id, oldest first
  readonly #running = new Map<string, AbortController>();
  readonly #order: (string | undefined)[];   // a ring of the remembered ids: the oldest is overwritten
  #next = 0;
  constructor(remember: number) { this.#order = new Array(remember); }

  /** True while an async call runs. */
  get busy(): boolean { return this.#running.size > 0; }

  /** The reply to req (from the thread sender, 0 if remote): remembered, or run now. */
  replyTo(api: object, req: { i: string; m: string; a: unknown[] }, sender: number): Reply | Promise<Reply> {
    let reply = this.#results.get(req.i);
    if (reply) return reply;
    const ctx = new Context(req.i, sender);
    reply = invoke(api, req, ctx);
    if (reply instanceof Promise) {
      this.#running.set(req.i, ctx.controller());
      reply = reply.finally(() => this.#running.delete(req.i));
    }
    const old = this.#order[this.#next];
    if (old !== undefined) this.#results.delete(old);
    this.#results.set(req.i, reply);
    this.#order[this.#next] = req.i;
    this.#next = (this.#next + 1) % this.#order.length;
    return reply;
  }

  /** The caller gave up on call id: abort its signal (an AbortError). */
  cancel(id: string): void { this.#running.get(id)?.abort(cancelled()); }
}

/**
 * Serve `api`'s methods on `port` (owned by this thread) until stop() or the port's removal.
 * Calls run concurrently; a duplicated request (same id) is executed at most once and gets
 * the first one's reply.
 */
export function expose(api: object, port: Port<any>, options: ExposeOptions = {}): { stop(): void; done: Promise<void> } {
  if (api === null || typeof api !== 'object' && typeof api !== 'function') throw new TypeError(`api must be an object of functions, got ${describe(api)}`);
  port.codec = options.codec ?? rpcCodec;
  const remember = checkInt(options.remember ?? 4096, 'remember', 1, 1 << 24);
  const block = options.block ?? false;
  if (block) mayBlock(() => 'expose({ block: true })', 'expose() without block');
  const calls = new Calls(remember);
  const stopper = new AbortController();

  const run = (m: PortMessage<any>): void => serve(api, calls, m);

  const done = (async () => {
    await null;   // expose() returns before the loop starts (a blocking loop would never yield)
    try {
      for (;;) {
        // Take what is queued without awaiting between calls, and keep looking for SPIN_MS
        // (a caller's next call comes within microseconds; an async wake-up costs tens).
        // Then wait: blocking (options.block, while no async call is running) or async.
        for (let t = now(), m = port.tryReceive(); ; m = port.tryReceive()) {
          if (m !== undefined) { run(m); t = now(); } else if (now() - t > SPIN_MS || stopper.signal.aborted) break;
        }
        if (stopper.signal.aborted) return;
        run(block && !calls.busy ? port.receive() : await port.receiveAsync({ signal: stopper.signal }));
      }
    } catch (e) {
      if (!(e instanceof ClosedError) && !stopper.signal.aborted) throw e;
    }
  })();
  return { stop: () => stopper.abort(), done };
}

/** Answer one received request (or cancel) of the api: now, or when its promise settles. */
export function serve(api: object, calls: Calls, m: PortMessage<any>): void {
  const req = m.value as Request;
  if ('cancel' in req) { calls.cancel(req.cancel); return; }
  const reply = calls.replyTo(api, req, m.sender);
  if (profiling) mark(Step.run);
  if (reply instanceof Promise) void reply.then((r) => answer(m, r)); else answer(m, reply);
}

function answer(m: PortMessage<any>, r: Reply): void {
  try { m.reply(r); } catch (e) {
    // a reply the codec refused: say so rather than leave the caller waiting
    try { m.reply({ err: { name: 'TypeError', message: `the reply cannot be sent: ${(e as Error).message}` } }); } catch { /* the caller is gone */ }
  }
}

/**
 * Run one call: its reply, at once for a function that returns a value, later for a promise.
 * (wasm-ipc/nats runs its calls through Calls too, so `currentCall()` works in either.)
 */
function invoke(api: object, req: { i: string; m: string; a: unknown[] }, ctx: CallContext): Reply | Promise<Reply> {
  const fn = (api as Record<string, unknown>)[req.m];
  if (typeof fn !== 'function') return { err: { name: 'TypeError', message: `no method "${req.m}" is exposed` } };
  let result: unknown;
  current = ctx;
  try { result = fn.apply(api, req.a); } catch (e) { return failure(e); } finally { current = undefined; }
  if (result instanceof Promise) return result.then((v) => success(req.m, v), failure);
  return success(req.m, result);
}

function success(method: string, value: unknown): Reply {
  if (!scalar(value)) try { checkSerializable(value, () => `${method}(): its result`); } catch (e) { return failure(e); }
  return { ok: value };
}

export function failure(e: unknown): Reply {
  if (e instanceof Error) {
    const props: Record<string, unknown> = {};
    for (const k of Object.keys(e)) {
      const v = (e as unknown as Record<string, unknown>)[k];
      try { checkSerializable(v, () => k); props[k] = v; } catch { /* a property that cannot travel stays behind */ }
    }
    return { err: { name: e.name, message: e.message, stack: e.stack, props } };
  }
  try { checkSerializable(e, () => 'the thrown value'); return { thrown: e }; } catch { return { thrown: String(e) }; }
}

/** Rebuild what the callee threw: an Error with its name, message and stack, or the value itself. */
export function unpack(r: Reply): unknown {
  if ('ok' in r) return r.ok;
  if ('thrown' in r) throw r.thrown;
  const e = new Error(r.err.message);
  Object.assign(e, r.err.props ?? {});
  e.name = r.err.name;
  e.stack = r.err.stack ?? `${r.err.name}: ${r.err.message}`;
  throw e;
}

/** The reason a callee's signal gives when its caller cancels (abort or timeout). */
function cancelled(): Error {
  const e = new Error('the caller cancelled the call');
  e.name = 'AbortError';
  return e;
}

let calls = 0;
const nextId = (port: Port<any>): string => `${port.segment.tid}:${++calls}`;

/** A number, string, boolean, bigint, undefined: nothing to check (and no closure to make for the check). */
export const scalar = (v: unknown): boolean => { const t = typeof v; return t !== 'object' && t !== 'function' && t !== 'symbol'; };

/**
 * Throw TypeError for what the codec would silently drop or cannot carry (functions, symbols,
 * ...). `where` names the value in the message; it is built only on failure.
 */
export function checkSerializable(value: unknown, where: () => string, seen?: Set<object>): void {
  const t = typeof value;
  if (t === 'function' || t === 'symbol') throw new TypeError(`${where()} cannot be sent: a ${t}`);
  if (value === null || t !== 'object') return;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return;
  if (value instanceof WeakMap || value instanceof WeakSet || value instanceof Promise) throw new TypeError(`${where()} cannot be sent: a ${value.constructor.name}`);
  seen ??= new Set();
  if (seen.has(value as object)) return;
  seen.add(value as object);
  if (value instanceof Map) {
    for (const [k, v] of value) { checkSerializable(k, () => `${where()} (a Map key)`, seen); checkSerializable(v, () => `${where()}.get(${String(k)})`, seen); }
    return;
  }
  if (value instanceof Set) { for (const v of value) checkSerializable(v, () => `${where()} (a Set member)`, seen); return; }
  for (const k of Object.keys(value as object)) checkSerializable((value as Record<string, unknown>)[k], () => `${where()}.${k}`, seen);
}

function request(port: Port<any>, method: string, args: unknown[]): { i: string; m: string; a: unknown[] } {
  for (let k = 0; k < args.length; k++) if (!scalar(args[k])) checkSerializable(args[k], () => `${method}(): argument ${k}`);
  return { i: nextId(port), m: method, a: args };
}

/** A proxy whose methods call the exposed api on `port` and return promises. */
export function wrap<T>(port: Port<any>, defaults: { timeout?: number } = {}): Remote<T> {
  port.codec = rpcCodec;
  return methods((method) => async (...args: unknown[]) => {
    if (profiling) begin();
    const opts = args[args.length - 1] instanceof CallOptions ? args.pop() as CallOptions : undefined;
    const req = request(port, method, args);
    if (profiling) mark(Step.request);
    const signal = opts?.signal;
    if (signal?.aborted) throw abortReason(signal);
    try {
      return unpack(await port.callAsync<Reply>(req, { timeout: opts?.timeout ?? defaults.timeout, signal }));
    } catch (e) {
      // timed out or aborted: tell the callee (it sees its signal abort); its reply is dropped
      if (e instanceof TimeoutError || signal?.aborted) port.trySend({ cancel: req.i });
      throw e;
    }
  }) as Remote<T>;
}

/** A proxy whose method `name` is make(name), made once per name. Not a thenable. (wasm-ipc/nats's wrap() too.) */
export function methods(make: (name: string) => (...args: unknown[]) => unknown): object {
  const made = new Map<string, (...args: unknown[]) => unknown>();
  return new Proxy({}, {
    get: (_, name) => {
      if (typeof name !== 'string' || name === 'then') return undefined;
      let fn = made.get(name);
      if (!fn) made.set(name, fn = make(name));
      return fn;
    },
  });
}

/** A proxy whose methods block until the result (WouldBlockError where the thread may not block). */
export function wrapSync<T>(port: Port<any>, defaults: { timeout?: number } = {}): RemoteSync<T> {
  port.codec = rpcCodec;
  return methods((method) => (...args: unknown[]) => {
    if (profiling) begin();
    const req = request(port, method, args);
    if (profiling) mark(Step.request);
    try {
      return unpack(port.call<Reply>(req, defaults.timeout));
    } catch (e) {
      if (e instanceof TimeoutError) port.trySend({ cancel: req.i });
      throw e;
    }
  }) as RemoteSync<T>;
}
