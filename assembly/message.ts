// The message node: the block a port message, a direct message or a call's reply travels
// in, [next][len][sender tid][receipt][bytes]. Its layout sits below both ports (port.ts),
// which queue nodes, and receipts (receipt.ts), which hang a call's reply node on themselves.
//
// Whose a node is, by its allocator tag (alloc.ts, guard.ts): MSG_OWNER's while its sender's
// host writes it, the port's while queued there, its receiver's thread's (slots.ts heldOwner)
// once taken, and a receipt's while it is that call's reply.
import { E_NOMEM } from './status';
import { allocOwned } from './alloc';
import { selfTid } from './local';

export const N_NEXT: usize = 0;
export const N_LEN: usize = 4;
export const N_SENDER: usize = 8;
export const N_RECEIPT: usize = 12;
export const N_DATA: usize = 16;
/** The longest message (ts/port.ts MAX_MESSAGE): a length above it is corrupted, and N_DATA + len cannot wrap. */
export const MSG_MAX: u32 = 0x3FFFFFF0;
/**
 * The owner a message node is tagged with while its sender writes it (alloc.ts): no object
 * lives at this offset, and its tag differs from receipt.ts RECEIPT_OWNER's.
 */
export const MSG_OWNER: usize = 0x7FFFFFF0;

/** A message node for len bytes, tagged as owner's (MSG_OWNER; a receipt for a call's reply), or E_NOMEM. */
export function msgNode(len: u32, owner: usize): i32 {
  if (len > MSG_MAX) return E_NOMEM;
  const node = allocOwned(N_DATA + <usize>max<u32>(len, 1), false, owner);
  if (node < 0) return node;
  store<u32>(node, 0, N_NEXT);
  store<u32>(node, len, N_LEN);
  store<u32>(node, selfTid, N_SENDER);
  store<u32>(node, 0, N_RECEIPT);
  return node;
}
