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

// Where a failed try-or-arm step wants its caller to park: the host's async path reads
// these after E_AGAIN and awaits Atomics.waitAsync on them (thread-local like the rest).
let waitAddr: usize = 0;
let waitValue: i32 = 0;

/** Name the word and value to park on, and return E_AGAIN (-1). */
export function armWait(addr: usize, value: i32): i32 {
  waitAddr = addr;
  waitValue = value;
  return -1;
}
export function wait_addr(): usize { return waitAddr; }
export function wait_value(): i32 { return waitValue; }
