// Segment header: formatting a fresh memory, and recognising one formatted by this ABI.
//
//   fresh (all zero) ──segment_init──▶ formatted (magic written last)
//
// The creating thread formats the memory before it hands it to anyone, so no other thread
// can observe a half-written header; attach checks magic, ABI and the roots' sanity.
import { OK, E_ABI, E_NOMEM } from './status';
import {
  HEADER, H_MAGIC, H_ABI, H_MAX_BYTES, H_HEAP_START, H_TOP, MAGIC, ABI_VERSION, HEAP_START, PAGE,
} from './layout';

/** Format a zeroed memory as a segment whose memory may grow to maxBytes. */
export function segment_init(maxBytes: u32): i32 {
  if (<usize>memory.size() * PAGE < HEAP_START) {
    if (memory.grow(<i32>((HEAP_START + PAGE - 1) / PAGE) - memory.size()) < 0) return E_NOMEM;
  }
  store<u32>(HEADER, ABI_VERSION, H_ABI);
  store<u32>(HEADER, maxBytes, H_MAX_BYTES);
  store<u32>(HEADER, <u32>HEAP_START, H_HEAP_START);
  store<u32>(HEADER, <u32>HEAP_START, H_TOP);
  atomic.store<u32>(HEADER, MAGIC, H_MAGIC);
  return OK;
}

/** OK if this memory holds a segment of this ABI with a sane header, else E_ABI. */
export function segment_check(): i32 {
  const size = <usize>memory.size() * PAGE;
  if (size < HEAP_START) return E_ABI;
  if (atomic.load<u32>(HEADER, H_MAGIC) != MAGIC) return E_ABI;
  if (load<u32>(HEADER, H_ABI) != ABI_VERSION) return E_ABI;
  if (load<u32>(HEADER, H_HEAP_START) != <u32>HEAP_START) return E_ABI;
  const top = atomic.load<u32>(HEADER, H_TOP);
  if (top < <u32>HEAP_START || <usize>top > size) return E_ABI;
  return OK;
}

export function segment_abi(): u32 { return ABI_VERSION; }
export function segment_static_end(): usize { return __heap_base; }
