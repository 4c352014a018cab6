// Test helpers: spawn attached workers (built JS in test/workers) and collect what they report.
import { Runtime, type SpawnOptions } from '../dist/node/index.js';
import type { Worker } from 'node:worker_threads';

/** Bytes a thread-table slot keeps after its thread died: the scratch block (4 KiB) and the default port's block. */
export const KEPT_PER_THREAD = 4096 + 64;

export const workerUrl = (name: string): URL => new URL(`./workers/${name}.mjs`, import.meta.url);

/** Spawn a worker attached to rt; resolves with its first 'message' (rejects on error or early exit). */
export function runWorker<T = unknown>(rt: Runtime, name: string, data?: unknown, options: SpawnOptions = {}): { worker: Worker; result: Promise<T> } {
  const worker = rt.spawn(workerUrl(name), { ...options, data }) as Worker;
  const result = new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before reporting`)));
  });
  return { worker, result };
}

/** Run n workers and wait for all their reports. */
export async function runWorkers<T = unknown>(rt: Runtime, name: string, n: number, data: (i: number) => unknown): Promise<T[]> {
  const runs = Array.from({ length: n }, (_, i) => runWorker<T>(rt, name, data(i)));
  try {
    return await Promise.all(runs.map((r) => r.result));
  } finally {
    await Promise.all(runs.map((r) => r.worker.terminate()));
  }
}

/** Resolves when the worker has exited. */
export const exited = (w: Worker): Promise<number> => new Promise((r) => w.once('exit', r));
