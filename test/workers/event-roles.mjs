// Event and interrupt roles for event.test.ts.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
const report = (m) => parentPort.postMessage(m);

if (d.role === 'ev-wait') {
  const ev = rt.event(d.name);
  report({ ready: true });
  try { ev.wait(d.timeout); report({ done: true }); } catch (e) { report({ error: e.name }); }
} else if (d.role === 'interruptible') {
  // block in d.op; rt.interrupt from the parent ends it; then the same object still works
  const op = {
    recv: () => rt.channel(d.name).recv(d.timeout),
    lock: () => rt.mutex(d.name).lock(d.timeout),
    wait: () => rt.event(d.name).wait(d.timeout),
    receive: () => rt.receiveAny(d.timeout),
    condwait: () => { const m = rt.monitor(d.name); m.lock(); try { m.wait(d.timeout); } finally { m.unlock(); } },
    sem: () => rt.semaphore(d.name).acquire(1, d.timeout),
  }[d.op];
  report({ ready: true, tid: rt.threadId });
  let error = null;
  try { op(); } catch (e) { error = e.name; }
  report({ error });
  // usable afterwards: the parent makes the operation succeed now
  parentPort.once('message', () => {
    try { op(); report({ after: 'ok' }); } catch (e) { report({ after: e.name }); }
  });
}
