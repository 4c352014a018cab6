// npm start: a first look at wasm-ipc. Three workers share one segment with the main thread;
// each writes a greeting into a named shared memory region and wakes the main thread, which
// waits on a futex word, prints what arrived, and shows the segment like `ipcs`.
import { isMainThread } from 'node:worker_threads';
import { Runtime } from 'wasm-ipc';

const WORKERS = 3;
const SLOT = 64;

if (isMainThread) {
  const rt = await Runtime.create({ size: 1 << 20, maxSize: 16 << 20 });
  // word 0 counts arrivals, word 1 says "done"; each worker's greeting has its own 64-byte slot
  const board = rt.shm('board', { size: 16 + WORKERS * SLOT });
  const workers = Array.from({ length: WORKERS }, (_, i) => rt.spawn(new URL(import.meta.url), { data: { slot: i } }));

  for (let arrived = 0; arrived < WORKERS; arrived = Atomics.load(board.int32, 0)) {
    await board.waitAsync(0, arrived, 5000); // the main thread may also block: board.wait(0, arrived)
  }
  const text = new TextDecoder();
  for (let i = 0; i < WORKERS; i++) {
    const bytes = board.bytes.slice(16 + i * SLOT, 16 + (i + 1) * SLOT);
    console.log(`slot ${i}: ${text.decode(bytes.subarray(0, bytes.indexOf(0)))}`);
  }
  console.log('\nipcs:');
  console.table(rt.list().map(({ name, kind, size, refs, state }) => ({ name, kind, size, refs, ...state })));
  console.log('threads:', rt.threads().map((t) => `${t.tid}${t.self ? ' (main)' : ''}`).join(', '));
  console.log('segment:', rt.segment().stats());
  Atomics.store(board.int32, 1, 1);
  board.wake(1);
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  rt.remove('board');
  console.log('after the workers exited:', rt.threads().length, 'thread(s),', rt.list().length, 'object(s)');
} else {
  const rt = await Runtime.attach();
  const board = rt.shm('board');
  const { slot } = rt.data;
  new TextEncoder().encodeInto(`hello from thread ${rt.threadId}`, board.bytes.subarray(16 + slot * SLOT, 16 + (slot + 1) * SLOT - 1));
  // the counter is the example's own protocol on its own region: user code may use Atomics freely
  Atomics.add(board.int32, 0, 1);
  board.wake(0);
  board.wait(1, 0); // workers may block: stay until the main thread is done
}
