// Per-thread state. Every thread instantiates the core over the same memory, and wasm
// globals belong to the instance: these are thread-local by construction and never shared.

/** This thread's id in the segment's thread table (0 until attached). */
export let selfTid: u32 = 0;
/** Whether this thread may park in memory.atomic.wait32 (not a browser main thread or worklet). */
export let canBlock: bool = true;

export function setSelf(tid: u32): void { selfTid = tid; }

/** Called once by the host after instantiation. */
export function local_set_can_block(b: i32): void { canBlock = b != 0; }

/** The host's clock in ms (performance.now): deadlines of timed waits. */
@external("env", "now")
export declare function now(): f64;
