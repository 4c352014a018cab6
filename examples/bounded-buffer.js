// node examples/bounded-buffer.js — a bounded buffer as a monitor (Hoare/Mesa style): put()
// waits while full, take() waits while empty, each inside the monitor, notifyAll() after.
import { isMainThread } from 'node:worker_threads';
import { Runtime } from 'wasm-ipc';

const SIZE = 4, ITEMS = 3000;

if (isMainThread) {
  const rt = await Runtime.create();
  rt.monitor('buffer');
  rt.shm('state', { size: 4 * (3 + SIZE) });    // [count][in][out][items...]
  const producer = rt.spawn(new URL(import.meta.url), { data: { role: 'put' } });
  const consumer = rt.spawn(new URL(import.meta.url), { data: { role: 'take' } });
  const [, got] = await Promise.all([producer, consumer].map((w) => new Promise((r) => w.once('message', r))));
  console.log(`took ${got.count} items in order: ${got.inOrder}`);
} else {
  const { parentPort } = await import('node:worker_threads');
  const rt = await Runtime.attach();
  const m = rt.monitor('buffer');
  const s = rt.shm('state').int32;
  if (rt.data.role === 'put') {
    for (let i = 1; i <= ITEMS; i++) {
      m.synchronized(() => {
        m.waitUntil(() => s[0] < SIZE);           // wait while full (re-checked after every wake-up)
        s[3 + s[1]] = i; s[1] = (s[1] + 1) % SIZE; s[0]++;
        m.notifyAll();
      });
    }
    parentPort.postMessage('done');
  } else {
    let last = 0, inOrder = true;
    for (let i = 1; i <= ITEMS; i++) {
      const item = m.synchronized(() => {
        m.waitUntil(() => s[0] > 0);              // wait while empty
        const v = s[3 + s[2]]; s[2] = (s[2] + 1) % SIZE; s[0]--;
        m.notifyAll();
        return v;
      });
      if (item !== last + 1) inOrder = false;
      last = item;
    }
    parentPort.postMessage({ count: last, inOrder });
  }
}
