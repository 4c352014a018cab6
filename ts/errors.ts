// The error hierarchy. Every failure of the core arrives as a negative status
// (assembly/status.ts); check() turns it into one of these, naming the object involved.

export class IpcError extends Error {
  /** The core's status code, when the error came from the core. */
  readonly code: number;
  constructor(message: string, code = 0) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}
/** A timed operation ran out of time. Nothing was done. */
export class TimeoutError extends IpcError {}
/** The object was closed or removed (ipcrm), or this handle was closed. */
export class ClosedError extends IpcError {}
/** A lock's holder died while holding it (EOWNERDEAD): the lock is yours, the data may not be consistent. */
export class OwnerDiedError extends IpcError {}
/** A lock whose owner died was unlocked without consistent() (ENOTRECOVERABLE). */
export class NotRecoverableError extends IpcError {}
/** The segment is full at its maximum size. Nothing was allocated. */
export class OutOfMemoryError extends IpcError {}
/** A message is larger than the object's maximum. Nothing was sent. */
export class MessageTooLargeError extends IpcError {}
/** No object by that name (or that segment is not attached in this thread). */
export class NotFoundError extends IpcError {}
/** The name exists as another kind of object. */
export class KindMismatchError extends IpcError {}
/** The memory is not a segment of this ABI (other magic or version, or a corrupted header). */
export class AbiMismatchError extends IpcError {}
/** This thread may not block (a browser main thread or a worklet): use the async or try form. */
export class WouldBlockError extends IpcError {}
/** The object exists and the caller asked for a new one (exclusive create). */
export class AlreadyExistsError extends IpcError {}
/** The caller does not hold what it tried to release. */
export class NotOwnerError extends IpcError {}
/** A fixed-size table is full (the segment's thread table). */
export class LimitError extends IpcError {}
/** A blocking wait was interrupted (rt.interrupt). */
export class InterruptedError extends IpcError {}
/** The peer thread this operation depends on has died. */
export class DeadPeerError extends IpcError {
  /** A confirmed send or a call: whether its receiver had taken the message (false: nobody has it, sending it again cannot double it). */
  declare readonly received?: boolean;
}
/** A blocking lock by the thread that already holds it would wait forever (EDEADLK). */
export class DeadlockError extends IpcError {}
/**
 * The object's fields fail validation: a thread wrote over them. The operation did nothing
 * (no write outside the object); other objects are unaffected. Remove and re-create it.
 */
export class CorruptedError extends IpcError {}

/** Status codes of assembly/status.ts. */
export const Status = {
  OK: 0, AGAIN: -1, TIMEOUT: -2, CLOSED: -3, NOMEM: -4, TOO_LARGE: -5, NOT_FOUND: -6, KIND: -7,
  ABI: -8, INVAL: -9, EXISTS: -10, OWNER_DEAD: -11, NOT_RECOVERABLE: -12, PERM: -13, LIMIT: -14,
  INTERRUPTED: -15, DEAD_PEER: -16, DEADLOCK: -17, CORRUPT: -18,
} as const;

const byCode: Record<number, [new (m: string, c: number) => IpcError, string]> = {
  [Status.AGAIN]: [WouldBlockError, 'would block'],
  [Status.TIMEOUT]: [TimeoutError, 'timed out'],
  [Status.CLOSED]: [ClosedError, 'is closed or removed'],
  [Status.NOMEM]: [OutOfMemoryError, 'segment is full (out of memory)'],
  [Status.TOO_LARGE]: [MessageTooLargeError, 'message too large'],
  [Status.NOT_FOUND]: [NotFoundError, 'not found'],
  [Status.KIND]: [KindMismatchError, 'exists as another kind'],
  [Status.ABI]: [AbiMismatchError, 'is not a wasm-ipc segment of this ABI version'],
  [Status.INVAL]: [IpcError, 'invalid argument or corrupted object'],
  [Status.EXISTS]: [AlreadyExistsError, 'already exists'],
  [Status.OWNER_DEAD]: [OwnerDiedError, 'owner died'],
  [Status.NOT_RECOVERABLE]: [NotRecoverableError, 'is not recoverable'],
  [Status.PERM]: [NotOwnerError, 'is not held by this thread'],
  [Status.LIMIT]: [LimitError, 'thread table is full'],
  [Status.INTERRUPTED]: [InterruptedError, 'interrupted'],
  [Status.DEAD_PEER]: [DeadPeerError, 'peer thread died'],
  [Status.DEADLOCK]: [DeadlockError, 'is already held by this thread (a blocking relock would never return)'],
  [Status.CORRUPT]: [CorruptedError, 'is corrupted (its fields fail validation: something wrote over it); nothing was done'],
};

/** The error for a negative status; `what` names the object or operation. */
export function errorFor(code: number, what: string): IpcError {
  const [Cls, text] = byCode[code] ?? [IpcError, `failed with status ${code}`];
  return new Cls(`${what}: ${text}`, code);
}

/** Return a non-negative result, or throw the error for a negative status. */
export function check(result: number, what: string): number {
  if (result < 0) throw errorFor(result, what);
  return result;
}

// ---- argument checks, the one place every public count, size, priority and timeout goes
// through: a non-number is a TypeError; a number outside the parameter's domain (NaN, a
// fraction, a negative, Infinity where not allowed) a RangeError; both name the parameter.

export function checkInt(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

/** A timeout in ms: undefined or Infinity for none, else a number >= 0 (fractions allowed). */
export function checkTimeout(value: unknown, name = 'timeout'): number {
  if (value === undefined || value === Infinity) return -1;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number of ms, got ${describe(value)}`);
  if (!(value >= 0)) throw new RangeError(`${name} must be >= 0 ms (or Infinity), got ${value}`);   // (NaN too)
  return value;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}
