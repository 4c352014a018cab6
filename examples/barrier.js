// node examples/barrier.js — a barrier-stepped parallel computation: 4 workers smooth a 1-D
// heat profile, each updating its quarter per step; a barrier separates the steps so that
// no worker reads a neighbour's cells while they are being written (double buffering).
import { isMainThread } from 'node:worker_threads';
import { Runtime } from 'wasm-ipc';

const N = 64, WORKERS = 4, STEPS = 200;

if (isMainThread) {
  const rt = await Runtime.create();
  const grid = rt.shm('grid', { size: 8 * 2 * N });   // two Float64 buffers
  const a = new Float64Array(grid.bytes.buffer, grid.bytes.byteOffset, 2 * N);
  a[0] = a[N] = 100;                                   // a hot left edge, held fixed
  rt.barrier('step', { parties: WORKERS });
  const workers = Array.from({ length: WORKERS }, (_, id) => rt.spawn(new URL(import.meta.url), { data: { id } }));
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  const cur = STEPS % 2 === 0 ? 0 : N;
  console.log('after', STEPS, 'steps:', Array.from(a.subarray(cur, cur + 8), (x) => x.toFixed(1)).join(' '), '...');
} else {
  const rt = await Runtime.attach();
  const grid = rt.shm('grid');
  const a = new Float64Array(grid.bytes.buffer, grid.bytes.byteOffset, 2 * N);
  const step = rt.barrier('step');
  const { id } = rt.data;
  const lo = Math.max(1, id * (N / WORKERS)), hi = Math.min(N - 1, (id + 1) * (N / WORKERS));
  for (let s = 0; s < STEPS; s++) {
    const from = s % 2 === 0 ? 0 : N, to = N - from;
    for (let i = lo; i < hi; i++) a[to + i] = (a[from + i - 1] + a[from + i] + a[from + i + 1]) / 3;
    if (id === 0) a[to] = 100;
    step.wait();                                         // everyone finished step s
  }
}
