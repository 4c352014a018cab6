// Load for view.test.ts until the atomic "stop" is set: a producer sending bursts to the
// channel "jobs", a slower consumer, and lockers holding the mutex "hot" a few ms each.
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const { role } = rt.data;
const stop = rt.atomic('stop');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };

if (role === 'producer') {
  const jobs = rt.channel('jobs');
  for (let burst = 1; stop.load() === 0; burst = (burst % 60) + 1) {
    for (let i = 0; i < burst; i++) jobs.trySend(new Uint8Array([i]));
    sleep(40);
  }
} else if (role === 'consumer') {
  const jobs = rt.channel('jobs');
  while (stop.load() === 0) { jobs.tryRecv(); sleep(3); }
} else if (role === 'locker') {
  const hot = rt.mutex('hot');
  while (stop.load() === 0) {
    let g;
    try { g = hot.lock(1000); } catch (e) { if (e.name === 'TimeoutError') continue; throw e; }   // (a loaded machine)
    busy(4);
    g.release();
  }
}
