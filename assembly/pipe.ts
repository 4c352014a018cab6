// Pipe: a byte stream (a named pipe, mkfifo) built on the channel's ring: each write of up
// to PIPE_BUF (4096) bytes is one message, so it is atomic even with several writers; a
// longer write is split into PIPE_BUF chunks, which other writers may interleave with (as
// in POSIX). Readers read up to n bytes at a time, keeping the rest of a chunk.
//
// The pipe adds ends to the channel: counts of open write and read ends.
//   open(writer) ──▶ writers + 1              open(reader) ──▶ readers + 1
//   close(writer): writers - 1; the last one closes the ring: readers drain, then EOF
//   close(reader): readers - 1; the last one breaks the pipe: writes fail (EPIPE, E_CLOSED)
// Fields after the channel's: +OBJ_HEADER+264 writers, +268 readers, +272 broken (the
// channel's ch_reserve refuses sends once it is set). A fresh
// pipe with no writer yet just waits (as a FIFO does); once its last writer has closed, the
// stream has ended for good.
// Containment (guard.ts): the ends are counts in the object's own fields (a garbage count
// makes a close E_INVAL, or ends the stream early: nothing outside the object moves); the
// ring behind them is the channel's, checked by channel.ts at every operation.
import { OK, E_CLOSED, E_INVAL } from './status';
import { OBJ_HEADER, objRemoved } from './object';
import { ch_close, ch_depth, channelWakeAll, channelValid } from './channel';

const P_WRITERS: usize = OBJ_HEADER + 264;
const P_READERS: usize = OBJ_HEADER + 268;
const P_BROKEN: usize = OBJ_HEADER + 272;
export const PIPE_BUF: u32 = 4096;

/** Open an end: writer = 1 for a write end, 0 for a read end. */
export function pipe_open(obj: usize, writer: i32): i32 {
  if (objRemoved(obj)) return E_CLOSED;
  if (writer) {
    if (atomic.load<u32>(obj, P_BROKEN) != 0) return E_CLOSED;
    atomic.add<u32>(obj + P_WRITERS, 1);
  } else {
    atomic.add<u32>(obj + P_READERS, 1);
  }
  return OK;
}

/** Close an end. The last writer ends the stream; the last reader breaks the pipe. */
export function pipe_close(obj: usize, writer: i32): i32 {
  const field = writer ? P_WRITERS : P_READERS;
  let n = atomic.load<u32>(obj + field);
  while (true) {
    if (n == 0) return E_INVAL;
    const seen = atomic.cmpxchg<u32>(obj + field, n, n - 1);
    if (seen == n) break;
    n = seen;
  }
  if (n == 1) {
    if (writer) ch_close(obj);
    else { atomic.store<u32>(obj, 1, P_BROKEN); channelWakeAll(obj); }
  }
  return OK;
}

export function pipe_broken(obj: usize): i32 { return atomic.load<u32>(obj, P_BROKEN) != 0 ? 1 : 0; }

/** ipcs: [chunks queued, writers, readers, broken]; -1 in every word when the ring is corrupted. */
export function pipeSummary(obj: usize, out: usize): void {
  if (!channelValid(obj)) { memory.fill(out, 0xff, 16); return; }
  store<u32>(out, <u32>ch_depth(obj));
  store<u32>(out, atomic.load<u32>(obj, P_WRITERS), 4);
  store<u32>(out, atomic.load<u32>(obj, P_READERS), 8);
  store<u32>(out, atomic.load<u32>(obj, P_BROKEN), 12);
}
