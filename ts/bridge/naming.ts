// Names, subjects and errors shared by the bridged kinds.
//
// A bridged object's name becomes one token of a NATS subject and part of a JetStream stream
// name, so it is checked here once: letters, digits, '_' and '-' (a '.', '*', '>' or a space
// would change what a subject matches, and stream names refuse them), else TypeError. Every
// failure of the NATS client is turned into the library's own errors (errorFrom), so callers
// catch the same classes as with local objects.
import {
  ClosedError, DeadPeerError, IpcError, MessageTooLargeError, TimeoutError,
  bytesCodec, stringCodec, jsonCodec, msgpackCodec, type Codec, type CodecName,
} from '../index';
import * as lib from '../index';
import type { JetStreamManager, StreamInfo } from '@nats-io/jetstream';

const NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** Check a bridged object's name: TypeError naming the first character NATS would misread. */
export function checkName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string') throw new TypeError(`${what} must be a string, got ${typeof name}`);
  if (NAME.test(name)) return name;
  if (name.length === 0 || name.length > 128) throw new RangeError(`${what} must be 1 to 128 characters, got ${name.length}`);
  const bad = [...name].find((c) => !/[A-Za-z0-9_-]/.test(c))!;
  throw new TypeError(`${what} ${JSON.stringify(name)} holds ${JSON.stringify(bad)}: a bridged name is one NATS subject token (letters, digits, '_' and '-' only)`);
}

/** Subjects and stream names of one object: `<prefix>.<kind>.<name>` and `<prefix>_<kind>_<name>`. */
export function names(prefix: string, kind: string, name: string): { subject: string; stream: string } {
  return { subject: `${prefix}.${kind}.${name}`, stream: `${prefix}_${kind}_${name}` };
}

const codecs: Record<CodecName, Codec<any>> = { bytes: bytesCodec, string: stringCodec, json: jsonCodec, msgpack: msgpackCodec };
export function codecOf<T>(codec: CodecName | Codec<T> | undefined): Codec<T> {
  if (codec === undefined) return bytesCodec as unknown as Codec<T>;
  if (typeof codec === 'string') {
    const c = codecs[codec];
    if (!c) throw new TypeError(`codec must be one of ${Object.keys(codecs).join(', ')} or a { encode, decode } object, got ${JSON.stringify(codec)}`);
    return c;
  }
  if (codec && typeof codec.encode === 'function' && typeof codec.decode === 'function') return codec;
  throw new TypeError('codec must be a name or a { encode, decode } object');
}

/**
 * The size check of every send: above the object's own maxMessageSize, MessageTooLargeError
 * (as locally); above what the server accepts at all (its max_payload, less room for the
 * subject and headers), RangeError naming it: that limit is the deployment's, not the object's.
 */
export function checkSize(bytes: Uint8Array, max: number, serverMax: number, label: string): void {
  if (bytes.length > serverMax) throw new RangeError(`${label}: a message of ${bytes.length} bytes exceeds the NATS server's max_payload (${serverMax} bytes usable)`);
  if (bytes.length > max) throw new MessageTooLargeError(`${label}: message of ${bytes.length} bytes exceeds maxMessageSize ${max}`, -5);
}

/** Bytes of max_payload kept for the headers a JetStream publish adds (Nats-Msg-Id, ...). */
export const HEADROOM = 512;

/** The blocking and try forms cannot wait here: the NATS client lives on this thread's event loop. */
export function wouldBlock(label: string, form: string, asyncForm: string): never {
  throw new lib.WouldBlockError(`${label}: ${form} would stall the event loop the NATS connection runs on; use ${asyncForm}`, -1);
}

const codeOf = (e: any): number | undefined => e?.code ?? e?.api_error?.err_code;

/** The library's error for a failure of the NATS client (`what` names the operation). */
export function errorFrom(e: unknown, what: string): Error {
  if (e instanceof IpcError || e instanceof TypeError || e instanceof RangeError) return e;
  const err = e as any;
  const name: string = err?.constructor?.name ?? '';
  const message: string = err?.message ?? String(e);
  if (name === 'RequestError' && typeof err.isNoResponders === 'function' && err.isNoResponders()) {
    return new DeadPeerError(`${what}: nobody serves it (no responders)`, -16);
  }
  if (name === 'NoRespondersError') return new DeadPeerError(`${what}: nobody serves it (no responders)`, -16);
  if (name === 'TimeoutError' || (name === 'RequestError' && err.cause?.constructor?.name === 'TimeoutError')) return new TimeoutError(`${what}: timed out`, -2);
  if (name === 'ClosedConnectionError' || name === 'DrainingConnectionError') return new ClosedError(`${what}: the NATS connection is closed`, -3);
  if (name === 'StreamNotFoundError' || codeOf(e) === 10059 || name === 'ConsumerNotFoundError' || codeOf(e) === 10014) {
    return new ClosedError(`${what}: removed (its JetStream stream or consumer is gone)`, -3);
  }
  if (name === 'InvalidSubjectError') return new TypeError(`${what}: ${message}`);
  if (name === 'InvalidArgumentError' && /max_payload/.test(message)) return new RangeError(`${what}: ${message}`);
  const out = new IpcError(`${what}: ${message}`);
  (out as any).cause = e;
  return out;
}

/** A JetStream API failure that says the stream or consumer asked about does not exist. */
export const isMissing = (e: unknown): boolean => {
  const err = e as { code?: number; api_error?: { err_code?: number }; name?: string; constructor?: { name?: string } };
  const code = err?.api_error?.err_code ?? err?.code;
  const n = err?.constructor?.name ?? '';
  return code === 10059 || code === 10014 || n === 'StreamNotFoundError' || n === 'ConsumerNotFoundError';
};

/** A JetStream API answer, or undefined when the stream or consumer asked about does not exist. */
export const orMissing = <T>(p: Promise<T>): Promise<T | undefined> => p.catch((e) => { if (isMissing(e)) return undefined; throw e; });

/** Whether the stream or consumer `p` asks about exists (any other failure counts as yes: it is asked again later). */
export const exists = (p: Promise<unknown>): Promise<boolean> => p.then(() => true, (e) => !isMissing(e));

/** The stream `config.name` as it is, or made with `config` (one another process made meanwhile is returned as it is). */
export async function openStream(jsm: JetStreamManager, config: Parameters<JetStreamManager['streams']['add']>[0]): Promise<StreamInfo> {
  return await orMissing(jsm.streams.info(config.name))
    ?? await jsm.streams.add(config).catch(async (e) => { if (/already in use/.test(String(e?.message))) return jsm.streams.info(config.name); throw e; });
}

/** The ClosedError of an object whose stream was removed (unlinked); undefined while it exists. */
export const removed = async (jsm: { streams: { info(stream: string): Promise<unknown> } }, stream: string, label: string): Promise<ClosedError | undefined> =>
  (await exists(jsm.streams.info(stream)) ? undefined : new ClosedError(`${label}: removed (unlinked)`, -3));

/** A publish refused by a full stream (10077 is every store failure: the message says which). */
export const isFull = (e: unknown): boolean => /maximum (messages|bytes|messages per subject) exceeded/.test((e as Error)?.message ?? '');

/** Sleep `ms`, or less when `signal` aborts (then its reason is thrown). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason ?? new Error('aborted')); return; }
    const onAbort = (): void => { clearTimeout(t); reject(signal!.reason ?? new Error('aborted')); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A timeout option in ms: undefined / Infinity for none (-1), else >= 0. */
export function msOf(timeout: unknown, name = 'timeout'): number {
  if (timeout === undefined || timeout === Infinity) return -1;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) throw new TypeError(`${name} must be a number of ms, got ${String(timeout)}`);
  if (timeout < 0) throw new RangeError(`${name} must be >= 0 ms, got ${timeout}`);
  return timeout;
}

/** An integer option in [min, max]. */
export function intOf(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name} must be an integer, got ${String(value)}`);
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
  return value;
}

/** Options of the waiting forms, as locally. */
export interface WaitOptions { timeout?: number; signal?: AbortSignal }

export function waitOptions(options: WaitOptions | undefined): { deadline: number; signal?: AbortSignal } {
  if (options === undefined) return { deadline: -1 };
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const ms = msOf(options.timeout);
  return { deadline: ms < 0 ? -1 : Date.now() + ms, signal: options.signal };
}

/** Time left before `deadline` (-1: none), at least 0. */
export const left = (deadline: number): number => (deadline < 0 ? Infinity : Math.max(0, deadline - Date.now()));

/** Rebuild a remote error as the library's class of that name (TimeoutError, DeadPeerError, ...), when it is one. */
export function asLibraryError(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof IpcError) return e;
  const Cls = (lib as unknown as Record<string, unknown>)[e.name];
  if (typeof Cls !== 'function' || !(Cls.prototype instanceof IpcError)) return e;
  const out = new (Cls as new (m: string) => IpcError)(e.message);
  out.stack = e.stack;
  for (const k of Object.keys(e)) (out as any)[k] ??= (e as any)[k];
  return out;
}

/** A receiver waiting in a handle's queue of waiters; the handle resolves the first one. */
export interface Waiter<V> { resolve(v: V): void; reject(e: unknown): void }

/** Wait in `waiters` for the next value, until the deadline (TimeoutError) or the signal (its reason). */
export function waitIn<V>(waiters: Waiter<V>[], deadline: number, signal: AbortSignal | undefined, what: string): Promise<V> {
  // the common case, no timeout and no signal: nothing to clean up
  if (deadline < 0 && signal === undefined) return new Promise<V>((resolve, reject) => { waiters.push({ resolve, reject }); });
  return new Promise<V>((resolve, reject) => {
    const w: Waiter<V> = { resolve: (v) => { cleanup(); resolve(v); }, reject: (e) => { cleanup(); reject(e); } };
    const give = (e: unknown): void => { const i = waiters.indexOf(w); if (i >= 0) { waiters.splice(i, 1); w.reject(e); } };
    const timer = deadline >= 0 ? setTimeout(() => give(new TimeoutError(`${what} timed out`, -2)), Math.max(0, deadline - Date.now())) : undefined;
    const onAbort = (): void => give(signal!.reason);
    const cleanup = (): void => { if (timer) clearTimeout(timer); signal?.removeEventListener('abort', onAbort); };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiters.push(w);
  });
}
