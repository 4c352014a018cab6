// Loading the wasm core and instantiating it over a segment's memory. The module is compiled
// once per thread (or received compiled, in a handle) and instantiated once per segment:
// each instance is this thread's private window onto one shared memory.
import wasmBytes from '../build/wasm-ipc.wasm';
import { canBlock, now } from './platform';

/** The core's exports: flat functions of offsets and integers (assembly/index.ts). */
export interface Core {
  local_set_can_block(b: number): void;
  segment_init(maxBytes: number): number;
  segment_check(): number;
  segment_abi(): number;
  segment_static_end(): number;
  alloc(size: number, zero: number): number;
  free(p: number): number;
  alloc_usable(p: number): number;
  alloc_bytes_in_use(): number;
  alloc_blocks_in_use(): number;
  alloc_top(): number;
  thread_register(hostId: number): number;
  thread_adopt(tid: number, hostId: number): number;
  thread_alive(tid: number): number;
  thread_count(): number;
  thread_scratch(tid: number): number;
  thread_host_id(tid: number): number;
  thread_at(i: number): number;
  thread_max(): number;
  thread_exit(tid: number): number;
  reg_open(p: number, n: number, kind: number, flags: number, a0: number, a1: number, a2: number, a3: number): number;
  reg_last_created(): number;
  reg_create_anon(kind: number, a0: number, a1: number, a2: number, a3: number): number;
  reg_retain(obj: number, serial: number): number;
  reg_release(obj: number, serial: number): number;
  reg_remove(p: number, n: number): number;
  reg_remove_obj(obj: number, serial: number): number;
  obj_check(obj: number, kind: number, serial: number): number;
  reg_count(): number;
  reg_list(buf: number, cap: number): number;
  reg_row_size(): number;
  futex_wait(addr: number, expected: number, timeoutMs: number): number;
  futex_wake(addr: number, count: number): number;
  futex_spin(addr: number, expected: number): number;
  ec_seq(addr: number): number;
  ec_signal(addr: number): void;
  ec_prepare(addr: number, seen: number): bigint;
  ec_wait(addr: number, seen: number, timeoutMs: number): number;
  ec_spin(addr: number, seen: number): number;
  shm_data(obj: number): number;
  shm_size(obj: number): number;
}

/** Where the compiled core comes from: a compiled module, its bytes, or a URL to fetch. */
export type ModuleSource = WebAssembly.Module | BufferSource | URL | string;

let inlined: Promise<WebAssembly.Module> | undefined;

/** Compile the core: the inlined bytes by default (asynchronously: browsers refuse sync compiles on the main thread). */
export async function compileCore(source?: ModuleSource): Promise<WebAssembly.Module> {
  if (source === undefined) return (inlined ??= WebAssembly.compile(wasmBytes as Uint8Array<ArrayBuffer>));
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === 'string' || source instanceof URL) {
    const res = await fetch(source);
    if (!res.ok) throw new Error(`cannot fetch the wasm-ipc core from ${String(source)}: HTTP ${res.status}`);
    return WebAssembly.compile(await res.arrayBuffer());
  }
  return WebAssembly.compile(source);
}

/** Instantiate the core over one segment's memory, for this thread. */
export async function instantiateCore(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Core> {
  const instance = await WebAssembly.instantiate(module, { env: { memory, now } });
  const core = instance.exports as unknown as Core;
  core.local_set_can_block(canBlock ? 1 : 0);
  return core;
}
