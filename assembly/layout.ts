// The segment header: where every root of a segment lives. Offsets are bytes from 0 of the
// segment's memory. [0, STATIC_END) is left to the compiler's constant data (asconfig's
// memoryBase puts it at 16); the build checks it ends below HEADER.
//
//   HEADER + 0   magic            'WIPC'; written last by segment_init, so a reader that sees
//                                 it sees an initialised header
//          + 4   abi              ABI_VERSION of the core that formatted the segment
//          + 8   max_bytes        the configured maximum (memory.grow fails past it)
//          + 12  heap_start       first byte of the allocator's heap
//          + 16  top              bump pointer: [heap_start, top) has been handed out
//          + 20  bytes_in_use     sum of live block sizes (headers included)
//          + 24  blocks_in_use    number of live blocks
//          + 28  large_lock       internal lock of the large-block free list
//          + 32  large_free       address-ordered list of free large extents
//          + 36  reg_lock         internal lock of the registry
//          + 40  reg_serial       generation counter: every object gets a fresh serial
//          + 44  reg_count        live named + anonymous objects
//          + 48  thread_count     attached, living threads
//          + 64  class_heads      NCLASSES x u64 Treiber-stack heads (tag << 32 | block)
//   REG_BUCKETS                   NBUCKETS x u32 heads of the registry's hash chains
//   THREADS                       MAX_THREADS x THREAD_SLOT bytes: the thread table
//   HEAP_START                    the heap
export const MAGIC: u32 = 0x43504957; // "WIPC" little-endian
export const ABI_VERSION: u32 = 2;

export const STATIC_END: usize = 1024;
export const HEADER: usize = 1024;

export const H_MAGIC: usize = 0;
export const H_ABI: usize = 4;
export const H_MAX_BYTES: usize = 8;
export const H_HEAP_START: usize = 12;
export const H_TOP: usize = 16;
export const H_BYTES_IN_USE: usize = 20;
export const H_BLOCKS_IN_USE: usize = 24;
export const H_LARGE_LOCK: usize = 28;
export const H_LARGE_FREE: usize = 32;
export const H_REG_LOCK: usize = 36;
export const H_REG_SERIAL: usize = 40;
export const H_REG_COUNT: usize = 44;
export const H_THREAD_COUNT: usize = 48;
export const H_CLASS_HEADS: usize = 64;

export const NCLASSES: usize = 40;
export const NBUCKETS: usize = 256;
export const REG_BUCKETS: usize = HEADER + H_CLASS_HEADS + NCLASSES * 8;

export const MAX_THREADS: u32 = 1024;   // slot 0 is never used, so a thread id is never 0
export const THREAD_SLOT: usize = 64;
export const THREADS: usize = REG_BUCKETS + NBUCKETS * 4;
export const HEAP_START: usize = (THREADS + <usize>MAX_THREADS * THREAD_SLOT + 4095) & ~4095;

export const PAGE: usize = 65536;
