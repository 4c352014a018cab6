// A Web Worker (it may block) driving the synchronization primitives against the page,
// which may only use their async forms.
import { Runtime } from '/dist/browser/index.js';

const rt = await Runtime.attach();
const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const step = rt.latch('step');

// 1. hold the mutex a while: the page's lockAsync must wait for it
const m = rt.mutex('m');
const g = m.lock();
step.countDown();
nap(30);
g.release();
// 2. give the page a semaphore permit after a while
nap(20);
rt.semaphore('s').release();
// 3. change the monitor's condition and notify
const mon = rt.monitor('mon');
const flag = rt.atomic('flag');
nap(20);
mon.synchronized(() => { flag.store(1); mon.notifyAll(); });
// 4. meet the page at the barrier (blocking here, async there)
const leader = rt.barrier('b').wait();
// 5. hold the write lock while the page waits to read
const wg = rt.rwLock('rw').write();
rt.latch('rw-held').countDown();
nap(20);
wg.release();
// 6. publish a snapshot the page waits for
nap(10);
rt.snapshot('snap').publish({ from: 'worker' });
postMessage({ leader });
