// futex ops from a worker: wait (blocking) for the word to change, or wake the others.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const r = rt.shm(rt.data.name);
if (rt.data.op === 'wait') {
  parentPort.postMessage({ ready: rt.threadId });
  const res = r.wait(0, 0, rt.data.timeout);
  parentPort.postMessage({ res, value: Atomics.load(r.int32, 0) });
} else {
  Atomics.store(r.int32, 0, rt.data.value);
  parentPort.postMessage({ woke: r.wake(0) });
}
