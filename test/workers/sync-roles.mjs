// Roles for the synchronization tests: each reads rt.data and reports through postMessage.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
const post = (m) => parentPort.postMessage(m);
const hang = () => rt.shm('hang').wait(0, 0);

const roles = {
  // take the mutex, say so, and stay (to be terminated holding it)
  holdMutex() { rt.mutex(d.name).lock(); post('locked'); hang(); },
  // block on the mutex and report what happened
  lockMutex() {
    const m = rt.mutex(d.name);
    post('waiting');
    // report only once the lock is released again, so the test may read the owner at once
    try { m.lock(d.timeout); m.unlock(); post({ ok: true }); } catch (e) {
      const held = m.owner === rt.threadId;
      if (held && d.consistent) m.consistent();
      if (held) m.unlock();
      post({ error: e.name, held });
    }
  },
  // join a queue (ticket lock or fair semaphore) and record the order of service
  queue() {
    const order = rt.open(d.order);
    const lock = d.kind === 'ticket' ? rt.ticketLock(d.name) : rt.semaphore(d.name);
    const g = d.kind === 'ticket' ? lock.lock() : lock.acquire(d.n ?? 1);
    const at = Atomics.add(order.int32, 0, 1);
    Atomics.store(order.int32, 1 + at, d.id);
    g.release();
    post('done');
  },
  barrier() {
    const b = rt.barrier(d.name);
    const log = rt.open(d.log);
    let leaders = 0;
    for (let g = 0; g < d.generations; g++) {
      Atomics.add(log.int32, g, 1);           // arrivals in generation g
      if (b.wait()) leaders++;
      // everyone in generation g must have arrived before anyone passes
      if (Atomics.load(log.int32, g) !== d.parties) { post({ error: `generation ${g} released early` }); return; }
    }
    post({ leaders });
  },
  // monitor-based bounded buffer: produce or consume d.count items
  // wait once per turn, no predicate: [0] = in wait, [1] = woken (both under the lock), [2] = stop
  async waitOnce() {
    const c = rt.open(d.counts).int32;
    const mon = d.monitor ? rt.monitor(d.name) : undefined;
    const m = mon ?? rt.mutex(d.mutex), cv = mon ?? rt.condVar(d.name);
    let turns = 0;
    for (;;) {
      const g = d.async ? await m.lockAsync() : m.lock();
      if (Atomics.load(c, 2)) { g.release(); break; }
      Atomics.add(c, 0, 1);
      const notified = mon ? (d.async ? await mon.waitAsync() : mon.wait()) : (d.async ? await cv.waitAsync(m) : cv.waitFor(m, undefined));
      if (!notified) throw new Error('a wait without a timeout returned false');
      Atomics.sub(c, 0, 1);
      Atomics.add(c, 1, 1);
      turns++;
      m.unlock();
    }
    post({ turns });
  },
  buffer() {
    const mon = rt.monitor(d.name);
    const buf = rt.open(d.buf).int32; // [count, head, tail, sum, items…]
    const CAP = 4;
    let sum = 0;
    for (let i = 0; i < d.count; i++) {
      const g = mon.lock();
      if (d.produce) {
        mon.waitUntil(() => buf[0] < CAP);
        buf[4 + (buf[2] % CAP)] = i + 1; buf[2]++; buf[0]++;
      } else {
        mon.waitUntil(() => buf[0] > 0);
        sum += buf[4 + (buf[1] % CAP)]; buf[1]++; buf[0]--;
      }
      mon.notifyAll();
      g.release();
    }
    post({ sum });
  },
  once() {
    const o = rt.once(d.name);
    const counter = rt.atomic(d.counter);
    const ran = o.run(() => { counter.add(1); if (d.slow) { const t = Date.now(); while (Date.now() - t < 50); } });
    post({ ran, done: o.done });
  },
  // start running the Once initializer and hang inside it (to be terminated mid-run)
  onceHang() { rt.once(d.name).run(() => { post('running'); hang(); }); },
  latch() { const l = rt.latch(d.name); l.countDown(); l.wait(); post('passed'); },
  rwReaders() {
    const rw = rt.rwLock(d.name);
    const inside = rt.atomic(d.inside);
    let maxTogether = 0;
    let writerSeen = 0;
    for (let i = 0; i < d.rounds; i++) {
      if (d.writer) {
        const g = rw.write();
        const n = inside.add(1000);
        if (n !== 0) writerSeen++;
        inside.sub(1000);
        g.release();
      } else {
        const g = rw.read();
        const n = inside.add(1) + 1;
        if (n >= 1000) writerSeen++;
        maxTogether = Math.max(maxTogether, n);
        inside.sub(1);
        g.release();
      }
    }
    post({ maxTogether, writerSeen });
  },
  rwReadTimed() {
    // sharing, deterministically: the main thread holds a read guard while this one reads
    try { rt.rwLock(d.name).read(d.timeout).release(); post({ ok: true }); } catch (e) { post({ ok: false, error: e.name }); }
  },
  snapshotReader() {
    const s = rt.snapshot(d.name, { codec: 'bytes' });
    let reads = 0, bad = 0, last = 0, backwards = 0;
    const deadline = Date.now() + d.ms;
    while (Date.now() < deadline) {
      const r = s.read();
      if (!r) continue;
      reads++;
      const v = r.value;
      const tag = v[0];
      // a version's bytes are all (version & 255); poisoned (freed) blocks read 0xdd
      for (let i = 0; i < v.length; i++) if (v[i] !== tag) { bad++; break; }
      if ((r.version & 255) !== tag || v.length !== 64 + (r.version % 512)) bad++;
      if (r.version < last) backwards++;
      last = r.version;
    }
    post({ reads, bad, backwards });
  },
};
roles[d.role]();
