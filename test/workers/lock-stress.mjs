// Hammer one lock: `ops` times lock, bump a plain (non-atomic) counter, unlock.
// A lost update means mutual exclusion failed.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const { kind, name, ops, counter, side } = rt.data;
const c = rt.open(counter).int32; // a plain Int32Array: c[0]++ is a non-atomic read-modify-write
const open = {
  mutex: () => rt.mutex(name), spinlock: () => rt.spinLock(name), ticketlock: () => rt.ticketLock(name),
  rwlock: () => rt.rwLock(name), monitor: () => rt.monitor(name), peterson: () => rt.petersonLock(name),
  semaphore: () => rt.semaphore(name), 'semaphore-fair': () => rt.semaphore(name),
}[kind];
const lock = open();
const enter = {
  rwlock: () => lock.write(),
  peterson: () => lock.lock(side),
  semaphore: () => lock.acquire(1),
  'semaphore-fair': () => lock.acquire(1),
}[kind] ?? (() => lock.lock());
const t0 = performance.now();
for (let i = 0; i < ops; i++) {
  const g = enter();
  c[0] = c[0] + 1;
  g.release();
}
parentPort.postMessage({ ms: performance.now() - t0 });
