// An engine without Atomics.waitAsync (Firefox before 145): the polling fallback must work.
import { parentPort } from 'node:worker_threads';
delete Atomics.waitAsync;
const { Runtime, hasWaitAsync } = await import('../../dist/node/index.js?fallback');
const rt = await Runtime.attach();
const r = rt.shm(rt.data.name);
const timedOut = await r.waitAsync(0, 0, 30);
parentPort.postMessage({ hasWaitAsync, timedOut });
const res = await r.waitAsync(1, 0, 10_000);
parentPort.postMessage({ res, value: Atomics.load(r.int32, 1) });
