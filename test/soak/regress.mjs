// Workers for the regression tests in test/soak.test.ts, of the bugs the soak found.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
if (d.role === 'call') {
  // call a port whose owner does not answer yet, and be terminated while waiting
  const port = rt.port(d.name);
  parentPort.postMessage('calling');
  port.call(new Uint8Array(40));
} else if (d.role === 'publish') {
  // publish as fast as possible: the versions publish() returns
  const snap = rt.snapshot(d.name, { codec: 'bytes' });
  const value = new Uint8Array(16);
  const versions = new Int32Array(d.count);
  for (let i = 0; i < d.count; i++) versions[i] = snap.publish(value);
  parentPort.postMessage(versions);
} else if (d.role === 'fair') {
  // take all the permits of a strong semaphore: none may read as free while they are held
  const sem = rt.semaphore(d.name);
  let seen = 0;
  for (let i = 0; i < d.count; i++) {
    const g = sem.acquire(sem.max);
    if (sem.value !== 0) seen++;
    g.release();
  }
  parentPort.postMessage(seen);
}
