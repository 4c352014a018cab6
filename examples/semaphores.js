// node examples/semaphores.js — producer–consumer with three semaphores, as in the notes:
// `mutex` (1) guards the buffer, `free` counts empty slots, `used` counts full ones.
import { isMainThread } from 'node:worker_threads';
import { Runtime } from 'wasm-ipc';

const SLOTS = 8, ITEMS = 5000, PRODUCERS = 2, CONSUMERS = 2;

if (isMainThread) {
  const rt = await Runtime.create();
  rt.shm('buffer', { size: 4 * (2 + SLOTS) });                 // [in][out][slots]
  rt.semaphore('mutex', { initial: 1, max: 1 });
  rt.semaphore('free', { initial: SLOTS });
  rt.semaphore('used', { initial: 0 });
  const sums = rt.shm('sums', { size: 8 });
  const spawn = (role, id) => rt.spawn(new URL(import.meta.url), { data: { role, id } });
  const all = [...Array.from({ length: PRODUCERS }, (_, i) => spawn('produce', i)), ...Array.from({ length: CONSUMERS }, (_, i) => spawn('consume', i))];
  await Promise.all(all.map((w) => new Promise((r) => w.once('exit', r))));
  const want = PRODUCERS * (ITEMS * (ITEMS + 1)) / 2;
  console.log(`consumed sum ${sums.int32[0]}, produced sum ${want}: ${sums.int32[0] === want ? 'every item exactly once' : 'MISMATCH'}`);
} else {
  const rt = await Runtime.attach();
  const buf = rt.shm('buffer').int32;
  const [mutex, free, used] = ['mutex', 'free', 'used'].map((n) => rt.semaphore(n));
  const sums = rt.shm("sums").int32;
  const per = (ITEMS * PRODUCERS) / CONSUMERS;
  for (let k = 0; k < (rt.data.role === 'produce' ? ITEMS : per); k++) {
    if (rt.data.role === 'produce') {
      free.acquire(); mutex.acquire();
      buf[2 + buf[0]] = k + 1; buf[0] = (buf[0] + 1) % SLOTS;
      mutex.release(); used.release();
    } else {
      used.acquire(); mutex.acquire();
      const item = buf[2 + buf[1]]; buf[1] = (buf[1] + 1) % SLOTS;
      mutex.release(); free.release();
      Atomics.add(sums, 0, item);
    }
  }
}
