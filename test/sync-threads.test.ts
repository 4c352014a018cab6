// The synchronization primitives across real threads: owner death, FIFO order, barriers,
// monitors, once, latches, read-write locks and snapshots.
import { describe, it, expect } from 'vitest';
import { Runtime, OwnerDiedError, NotRecoverableError, TimeoutError } from '../dist/node/index.js';
import { runWorker, runWorkers, exited } from './helpers';
import type { Worker } from 'node:worker_threads';

const next = (w: Worker) => new Promise<any>((r) => w.once('message', r));
const role = (rt: Runtime, name: string, data: object) => runWorker<any>(rt, 'sync-roles', { role: name, ...data });
const until = async (cond: () => boolean) => { while (!cond()) await new Promise((r) => setTimeout(r, 2)); };

describe('robust mutex', () => {
  it('a holder killed while holding: the blocked waiter wakes with OwnerDiedError and holds the lock', async () => {
    const rt = await Runtime.create();
    rt.shm('hang', { size: 16 });
    const m = rt.mutex('m');
    const holder = role(rt, 'holdMutex', { name: 'm' });
    expect(await holder.result).toBe('locked');
    const waiters = [role(rt, 'lockMutex', { name: 'm', consistent: true }), role(rt, 'lockMutex', { name: 'm', consistent: true })];
    await Promise.all(waiters.map((w) => w.result));
    const outcomes = waiters.map((w) => next(w.worker));
    await new Promise((r) => setTimeout(r, 50));
    await holder.worker.terminate();
    const res = await Promise.all(outcomes);
    // exactly one inherits the dead owner's lock; it repairs and unlocks; the other then locks normally
    expect(res.filter((r) => r.error === 'OwnerDiedError' && r.held).length).toBe(1);
    expect(res.filter((r) => r.ok).length).toBe(1);
    expect(m.owner).toBe(0);
    const g = m.lock(); // consistent() was called: usable again
    g.release();
  });

  it('unlocking without consistent() makes it not recoverable', async () => {
    const rt = await Runtime.create();
    rt.shm('hang', { size: 16 });
    const m = rt.mutex('m');
    const holder = role(rt, 'holdMutex', { name: 'm' });
    await holder.result;
    await holder.worker.terminate();
    let err: any;
    try { m.lock(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(OwnerDiedError);
    expect(m.owner).toBe(rt.threadId);
    err.guard.release(); // no consistent()
    expect(() => m.lock()).toThrow(NotRecoverableError);
    expect(() => m.tryLock()).toThrow(NotRecoverableError);
    await expect(m.lockAsync()).rejects.toThrow(NotRecoverableError);
  });

  it('lockAsync on a dead owner also reports it, and consistent() repairs', async () => {
    const rt = await Runtime.create();
    rt.shm('hang', { size: 16 });
    const m = rt.mutex('m');
    const holder = role(rt, 'holdMutex', { name: 'm' });
    await holder.result;
    const pending = m.lockAsync().catch((e) => e);
    await new Promise((r) => setTimeout(r, 30));
    await holder.worker.terminate();
    const err = await pending;
    expect(err).toBeInstanceOf(OwnerDiedError);
    m.consistent();
    m.unlock();
    expect(m.tryLock()).not.toBeNull();
    m.unlock();
  });
});

describe('FIFO order', () => {
  async function queueOrder(kind: 'ticket' | 'fair') {
    const rt = await Runtime.create();
    const lock = kind === 'ticket' ? rt.ticketLock('q') : rt.semaphore('q', { initial: 1, max: 1, fair: true });
    const order = rt.shm('order', { size: 64 });
    const held = kind === 'ticket' ? (lock as any).lock() : (lock as any).acquire();
    const waitingCount = () => rt.list().find((o) => o.name === 'q')!.state[kind === 'ticket' ? 'waiting' : 'waiters']!;
    const runs = [];
    for (let id = 1; id <= 5; id++) {
      runs.push(role(rt, 'queue', { kind, name: 'q', order: order.toData(), id }));
      await until(() => waitingCount() === id); // each is queued before the next starts
    }
    held.release();
    await Promise.all(runs.map((r) => r.result));
    await Promise.all(runs.map((r) => r.worker.terminate()));
    return Array.from(order.int32.subarray(1, 6));
  }
  it('TicketLock serves in arrival order', async () => {
    expect(await queueOrder('ticket')).toEqual([1, 2, 3, 4, 5]);
  });
  it('a strong Semaphore grants in request order', async () => {
    expect(await queueOrder('fair')).toEqual([1, 2, 3, 4, 5]);
  });
  it('a large request at the head of a strong Semaphore holds back later small ones', async () => {
    const rt = await Runtime.create();
    const s = rt.semaphore('s', { initial: 3, max: 3, fair: true });
    const order = rt.shm('order', { size: 64 });
    const all = s.acquire(3);
    const big = role(rt, 'queue', { kind: 'fair', name: 's', order: order.toData(), id: 3, n: 3 });
    await until(() => rt.list().find((o) => o.name === 's')!.state.waiters === 1);
    const small = role(rt, 'queue', { kind: 'fair', name: 's', order: order.toData(), id: 1, n: 1 });
    await until(() => rt.list().find((o) => o.name === 's')!.state.waiters === 2);
    s.release(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(order.int32[0]).toBe(0); // the small one did not barge past the big head
    expect(s.tryAcquire(1)).toBeNull(); // nor may anyone else
    all.release = () => {}; s.release(2);
    await Promise.all([big.result, small.result]);
    expect(Array.from(order.int32.subarray(1, 3))).toEqual([3, 1]);
    await Promise.all([big.worker.terminate(), small.worker.terminate()]);
    expect(s.value).toBe(3);
  });
  it('a weak Semaphore lets a small request through while a large one waits', async () => {
    const rt = await Runtime.create();
    const s = rt.semaphore('s', { initial: 0, max: 3 });
    const big = s.acquireAsync(3);
    s.release(1);
    expect(s.tryAcquire(1)).not.toBeNull();
    s.release(3);
    await big;
  });
});

describe('Barrier', () => {
  it('releases each generation only when all parties arrived; one leader each', async () => {
    const rt = await Runtime.create();
    const parties = 4, generations = 50;
    rt.barrier('b', { parties });
    const log = rt.shm('log', { size: 4 * generations });
    const out = await runWorkers<any>(rt, 'sync-roles', parties, () => ({ role: 'barrier', name: 'b', log: log.toData(), parties, generations }));
    expect(out.every((o) => o.error === undefined)).toBe(true);
    expect(out.reduce((s, o) => s + o.leaders, 0)).toBe(generations);
  });
  it('a timeout withdraws the arrival and leaves the barrier usable', async () => {
    const rt = await Runtime.create();
    const b = rt.barrier('b', { parties: 2 });
    expect(() => b.wait(20)).toThrow(TimeoutError);
    expect(rt.list()[0]!.state.arrived).toBe(0);
    await expect(b.waitAsync({ timeout: 20 })).rejects.toThrow(TimeoutError);
    expect(rt.list()[0]!.state.arrived).toBe(0);
    const other = b.waitAsync();
    expect(b.wait()).toBe(true); // the second arrival leads
    expect(await other).toBe(false);
  });
});

describe('Monitor and CondVar', () => {
  it('a bounded buffer: 2 producers and 2 consumers through a monitor lose nothing', async () => {
    const rt = await Runtime.create();
    rt.monitor('mon');
    const buf = rt.shm('buf', { size: 64 });
    const n = 2000;
    const out = await runWorkers<any>(rt, 'sync-roles', 4, (i) => ({ role: 'buffer', name: 'mon', buf: buf.toData(), count: n, produce: i < 2 }));
    const consumed = out.slice(2).reduce((s, o) => s + o.sum, 0);
    expect(consumed).toBe(2 * (n * (n + 1)) / 2);
    expect(buf.int32[0]).toBe(0);
  });
  for (const kind of ['CondVar', 'Monitor'] as const) {
    it(`${kind}: notify() wakes exactly one of 5 waiters (3 blocking, 2 async), 300 rounds; notifyAll() wakes all`, async () => {
      const rt = await Runtime.create();
      const monitor = kind === 'Monitor';
      const mon = monitor ? rt.monitor('cv') : undefined;
      const m = mon ?? rt.mutex('m');
      const cv = mon ?? rt.condVar('cv');
      const counts = rt.shm('counts', { size: 16 });
      const c = counts.int32;          // [in wait, woken, stop, (a word to sleep on)]
      const waiters = Array.from({ length: 5 }, (_, i) => role(rt, 'waitOnce', { name: 'cv', mutex: 'm', monitor, async: i >= 3, counts: counts.toData() }));
      const rounds = 300;
      // even rounds notify the moment all 5 are in wait (most still spinning, not yet parked),
      // odd rounds once they have had time to park
      const soon = (cond: () => boolean) => { while (!cond()) Atomics.wait(c, 3, 0, 0.02); };
      for (let k = 0; k < rounds; k++) {
        if (k % 2 === 0) soon(() => Atomics.load(c, 0) === 5);
        else await until(() => Atomics.load(c, 0) === 5);
        expect(Atomics.load(c, 1)).toBe(k);            // one wake per notify so far, not more
        const g = m.lock();
        cv.notify();
        g.release();
        await until(() => Atomics.load(c, 1) > k);
      }
      await until(() => Atomics.load(c, 0) === 5);
      expect(Atomics.load(c, 1)).toBe(rounds);
      const g = m.lock();
      Atomics.store(c, 2, 1);
      cv.notifyAll();
      g.release();
      const turns = await Promise.all(waiters.map((w) => w.result));
      expect(Atomics.load(c, 1)).toBe(rounds + 5);     // every waiter woke for the notifyAll
      expect(turns.reduce((n, t) => n + t.turns, 0)).toBe(rounds + 5);
      expect(rt.list().find((o) => o.name === 'cv')!.state).toMatchObject({ waiters: 0 });
      await Promise.all(waiters.map((w) => w.worker.terminate()));
    }, 60_000);
  }

  it('CondVar wait / waitAsync with notify, timeouts, and the mutex held again after', async () => {
    const rt = await Runtime.create();
    const m = rt.mutex('m');
    const cv = rt.condVar('cv');
    let g = m.lock();
    expect(cv.waitFor(m, 10)).toBe(false);
    expect(m.owner).toBe(rt.threadId);
    g.release();
    g = await m.lockAsync();
    const woken = cv.waitAsync(m);
    await new Promise((r) => setTimeout(r, 10));
    expect(m.owner).toBe(0); // released while waiting
    const g2 = m.lock();
    cv.notify();
    g2.release();
    expect(await woken).toBe(true);
    expect(m.owner).toBe(rt.threadId);
    const ac = new AbortController();
    const aborted = cv.waitAsync(m, { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(m.owner).toBe(rt.threadId); // re-taken before the rejection
    m.unlock();
    expect(() => cv.wait(m)).toThrow(/must be held|not held/);
  });
});

describe('Once and Latch', () => {
  it('8 workers race: the initializer runs exactly once, and every caller sees it done', async () => {
    const rt = await Runtime.create();
    const counter = rt.atomic('runs');
    const out = await runWorkers<any>(rt, 'sync-roles', 8, () => ({ role: 'once', name: 'o', counter: 'runs', slow: true }));
    expect(counter.load()).toBe(1);
    expect(out.filter((o) => o.ran).length).toBe(1);
    expect(out.every((o) => o.done)).toBe(true);
  });
  it('a runner that dies mid-initializer lets another run it', async () => {
    const rt = await Runtime.create();
    rt.shm('hang', { size: 16 });
    const o = rt.once('o');
    const w = role(rt, 'onceHang', { name: 'o' });
    expect(await w.result).toBe('running');
    const mine = o.runAsync(async () => {});
    await w.worker.terminate();
    expect(await mine).toBe(true);
    expect(o.done).toBe(true);
  });
  it('a thrown initializer can be retried', async () => {
    const rt = await Runtime.create();
    const o = rt.once('o');
    expect(() => o.run(() => { throw new Error('boom'); })).toThrow('boom');
    expect(o.done).toBe(false);
    expect(o.run(() => {})).toBe(true);
    expect(o.run(() => { throw new Error('never'); })).toBe(false);
  });
  it('a latch lets everyone through once all counted down', async () => {
    const rt = await Runtime.create();
    const l = rt.latch('l', { count: 5 });
    const passed = l.waitAsync();
    const workers = runWorkers<any>(rt, 'sync-roles', 4, () => ({ role: 'latch', name: 'l' }));
    await until(() => l.count === 1); // the four workers counted down and wait for the fifth
    expect(l.countDown()).toBe(0);
    expect(await workers).toEqual(Array(4).fill('passed'));
    await passed;
    expect(l.count).toBe(0);
    expect(() => l.countDown()).toThrow(RangeError);
  });
});

describe('RwLock', () => {
  it('readers share, writers exclude everyone', async () => {
    const rt = await Runtime.create();
    rt.rwLock('rw');
    rt.atomic('inside');
    const out = await runWorkers<any>(rt, 'sync-roles', 6, (i) => ({ role: 'rwReaders', name: 'rw', inside: 'inside', rounds: 20_000, writer: i < 2 }));
    expect(out.every((o) => o.writerSeen === 0)).toBe(true);
    // (whether readers overlapped under that mix is up to the scheduler: shown directly below)
    const rw = rt.rwLock('rw');
    const held = rw.read();
    const [shared] = await runWorkers<any>(rt, 'sync-roles', 1, () => ({ role: 'rwReadTimed', name: 'rw', timeout: 5000 }));
    expect(shared).toEqual({ ok: true });
    held.release();
  });
  it('a waiting writer holds back new readers (writer-preferring), and timeouts clean up', async () => {
    const rt = await Runtime.create();
    const rw = rt.rwLock('rw');
    const r1 = rw.read();
    const w = rw.writeAsync();
    await new Promise((r) => setTimeout(r, 10));
    expect(rw.tryRead()).toBeNull();
    r1.release();
    const wg = await w;
    expect(rw.tryRead()).toBeNull();
    await expect(rw.readAsync({ timeout: 10 })).rejects.toThrow(TimeoutError);
    wg.release();
    const r2 = rw.tryRead();
    expect(r2).not.toBeNull(); // the timed-out reader left no waiting bit behind
    r2!.release();
    expect(() => rw.readUnlock()).toThrow(/not held/);
  });
});

describe('Snapshot', () => {
  it('readers never see torn or freed data while a writer publishes', async () => {
    const rt = await Runtime.create({ size: 4 << 20 });
    const s = rt.snapshot<Uint8Array>('snap', { codec: 'bytes' });
    const base = rt.segment().stats().bytesInUse;
    const readers = Array.from({ length: 4 }, () => role(rt, 'snapshotReader', { name: 'snap', ms: 1500 }));
    const t0 = Date.now();
    let v = 0;
    while (Date.now() - t0 < 1500) {
      const next = s.version + 1;
      v = s.publish(new Uint8Array(64 + (next % 512)).fill(next & 255));
      if (v % 64 === 0) await new Promise((r) => setImmediate(r));
    }
    const out = await Promise.all(readers.map((r) => r.result));
    await Promise.all(readers.map((r) => r.worker.terminate()));
    expect(v).toBeGreaterThan(1000);
    expect(out.every((o) => o.bad === 0 && o.backwards === 0)).toBe(true);
    expect(out.every((o) => o.reads > 100)).toBe(true);
    // after the readers are gone, one more publish reclaims everything retired
    s.publish(new Uint8Array(1));
    const st = rt.list().find((o) => o.name === 'snap')!.state;
    expect(st.retired).toBe(0);
    // what remains: the current value and the dead readers' scratch blocks (kept with their slots)
    expect(rt.segment().stats().bytesInUse - base).toBeLessThan(4096 + 4 * 4096);
    s.remove();
  });
  it('waits for a change, and values round-trip through each codec', async () => {
    const rt = await Runtime.create();
    const s = rt.snapshot<{ a: number }>('s');
    expect(s.read()).toBeUndefined();
    const changed = s.waitForChangeAsync(0);
    s.publish({ a: 1 });
    await changed;
    expect(s.read()).toEqual({ version: 1, value: { a: 1 } });
    expect(s.waitForChange(1, 10)).toBe(false);
    const str = rt.snapshot<string>('str', { codec: 'string' });
    str.publish('héllo');
    expect(str.read()!.value).toBe('héllo');
    expect(() => str.publish(5 as never)).toThrow(TypeError);
    expect(() => s.publish(undefined as never)).toThrow(TypeError);
  });
});
