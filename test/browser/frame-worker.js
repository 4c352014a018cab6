// A Web Worker producing frames (blocking forms: a worker may block) for the page.
import { Runtime } from '/dist/browser/index.js';

const rt = await Runtime.attach();
const pool = rt.framePool('frames');
for (let i = 0; i < 20; i++) {
  const f = pool.acquire(10_000);
  f.as(Float32Array).fill(i);          // an audio block, written in place
  pool.publish(f, { i });
}
