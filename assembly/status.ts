// Status codes shared by every export of the core. A call returns either a value >= 0
// (a count, an offset, a thread id) or one of these negative codes; ts/errors.ts maps
// each to its exception class. Keep the two files in step.
export const OK: i32 = 0;
export const E_AGAIN: i32 = -1;         // a try form found nothing to do (full, empty, held)
export const E_TIMEOUT: i32 = -2;
export const E_CLOSED: i32 = -3;        // closed or removed object
export const E_NOMEM: i32 = -4;         // segment full at its maximum size
export const E_TOO_LARGE: i32 = -5;
export const E_NOT_FOUND: i32 = -6;
export const E_KIND: i32 = -7;          // a name opened as the wrong kind
export const E_ABI: i32 = -8;           // foreign or corrupted segment header, other ABI
export const E_INVAL: i32 = -9;         // bad argument or corrupted object
export const E_EXISTS: i32 = -10;
export const E_OWNER_DEAD: i32 = -11;
export const E_NOT_RECOVERABLE: i32 = -12;
export const E_PERM: i32 = -13;         // not the owner (unlock of a lock not held)
export const E_LIMIT: i32 = -14;        // a fixed table is full (thread table)
export const E_INTERRUPTED: i32 = -15;
export const E_DEAD_PEER: i32 = -16;
export const E_DEADLOCK: i32 = -17;       // a blocking relock by the thread that holds it
export const E_CORRUPT: i32 = -18;        // the object's fields fail validation (guard.ts): someone wrote over it
