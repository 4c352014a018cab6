// Each primitive's bad input, removal, timeouts and aborts, in one thread.
import { describe, it, expect } from 'vitest';
import {
  Runtime, ClosedError, TimeoutError, NotOwnerError, DeadlockError, KindMismatchError, NotFoundError, IpcError,
} from '../dist/node/index.js';

const make = () => Runtime.create();

describe('bad input gets a clear error and changes nothing', () => {
  it('AtomicInt and AtomicInt64', async () => {
    const rt = await make();
    const a = rt.atomic('a', { initial: -5 });
    expect(a.load()).toBe(-5);
    expect(a.add(10)).toBe(-5);
    expect(a.sub(2)).toBe(5);
    expect(a.exchange(1)).toBe(3);
    expect(a.compareExchange(9, 2)).toBe(1);
    expect(a.compareExchange(1, 2)).toBe(1);
    expect(a.load()).toBe(2);
    expect(() => a.add(1.5)).toThrow(RangeError);
    expect(() => a.store('1' as never)).toThrow(TypeError);
    expect(() => a.add(2 ** 33)).toThrow(RangeError);
    expect(a.load()).toBe(2);
    expect(() => rt.atomic('x', { initial: 0.5 })).toThrow(/initial/);
    const b = rt.atomic64('b', { initial: -(2n ** 62n) });
    expect(b.add(1n)).toBe(-(2n ** 62n));
    expect(() => b.add(1 as never)).toThrow(TypeError);
    expect(() => b.store(2n ** 64n)).toThrow(RangeError);
    expect(() => rt.mutex('a')).toThrow(KindMismatchError);
  });

  it('Mutex: unlock by a non-owner, relock by the owner, wrong kinds', async () => {
    const rt = await make();
    const m = rt.mutex('m');
    expect(() => m.unlock()).toThrow(NotOwnerError);
    const g = m.lock();
    expect(() => m.lock()).toThrow(DeadlockError);
    expect(m.tryLock()).toBeNull();
    expect(() => m.consistent()).toThrow(RangeError);
    expect(() => m.lock(-1)).toThrow(/timeout/);
    expect(() => m.lock('5' as never)).toThrow(TypeError);
    await expect(m.lockAsync({ timeout: 5 })).rejects.toThrow(TimeoutError);
    await expect(m.lockAsync({ signal: 'x' as never })).rejects.toThrow(TypeError);
    await expect(m.lockAsync(5 as never)).rejects.toThrow(TypeError);
    g.release();
    g.release(); // a guard releases once
    expect(m.owner).toBe(0);
  });

  it('Semaphore: counts, max, release past max', async () => {
    const rt = await make();
    expect(() => rt.semaphore('s', { initial: 2, max: 1 })).toThrow(/initial/);
    expect(() => rt.semaphore('s', { max: 0 })).toThrow(RangeError);
    expect(() => rt.semaphore('s', { fair: 'yes' as never })).toThrow(TypeError);
    const s = rt.semaphore('s', { initial: 1, max: 2 });
    expect(() => rt.semaphore('s', { max: 3 })).toThrow(/exists with max 2/);
    expect(() => rt.semaphore('s', { fair: true })).toThrow(/exists with fair false/);
    expect(() => s.acquire(0)).toThrow(RangeError);
    expect(() => s.acquire(3)).toThrow(RangeError);
    expect(() => s.acquire(-1)).toThrow(RangeError);
    expect(() => s.acquire(1.5)).toThrow(RangeError);
    expect(() => s.release(2)).toThrow(/exceed max 2/);
    expect(s.value).toBe(1);
    s.release(1);
    expect(() => s.release(1)).toThrow(RangeError);
    expect(s.value).toBe(2);
    expect(() => s.acquire(2, 5)).not.toThrow();
    expect(() => s.acquire(1, 5)).toThrow(TimeoutError);
    await expect(s.acquireAsync(1, { timeout: 5 })).rejects.toThrow(TimeoutError);
    const fair = rt.semaphore('f', { max: 2, fair: true });
    await expect(fair.acquireAsync(2, { timeout: 5 })).rejects.toThrow(TimeoutError);
    expect(rt.list().find((o) => o.name === 'f')!.state.waiters).toBe(0); // the timed-out request left the queue
    const ac = new AbortController();
    const p = fair.acquireAsync(1, { signal: ac.signal });
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
    fair.release(2);
    expect(fair.tryAcquire(2)).not.toBeNull();
  });

  it('Barrier, Latch, Once, RwLock, CondVar, Monitor, Snapshot, locks', async () => {
    const rt = await make();
    expect(() => rt.barrier('b', { parties: 0 })).toThrow(RangeError);
    expect(() => rt.barrier('nope')).toThrow(NotFoundError);
    expect(() => rt.latch('l', { count: -1 })).toThrow(RangeError);
    const l = rt.latch('l', { count: 1 });
    expect(() => l.countDown(2)).toThrow(/below zero/);
    expect(() => l.wait(5)).toThrow(TimeoutError);
    expect(l.count).toBe(1);
    const rw = rt.rwLock('rw');
    expect(() => rw.writeUnlock()).toThrow(NotOwnerError);
    const cv = rt.condVar('cv');
    expect(() => cv.wait({} as never)).toThrow(/must be a Mutex/);
    const m = rt.mutex('m');
    expect(() => cv.waitFor(m, 1)).toThrow(NotOwnerError);
    await expect(cv.waitAsync(m)).rejects.toThrow(NotOwnerError);
    const mon = rt.monitor('mon');
    expect(() => mon.wait(1)).toThrow(NotOwnerError);
    expect(mon.synchronized(() => mon.wait(1))).toBe(false);
    expect(() => mon.synchronized(() => mon.waitUntil(() => false, 5))).toThrow(TimeoutError);
    expect(await mon.synchronizedAsync(async () => 7)).toBe(7);
    expect(() => rt.snapshot('s', { codec: 'xml' as never })).toThrow(TypeError);
    const sp = rt.spinLock('sp');
    expect(() => sp.unlock()).toThrow(NotOwnerError);
    const g = sp.lock();
    expect(() => sp.lock()).toThrow(DeadlockError);
    await expect(sp.lockAsync({ timeout: 10 })).rejects.toThrow(TimeoutError);
    g.release();
    const t = rt.ticketLock('t');
    const tg = t.lock();
    expect(() => t.lock()).toThrow(DeadlockError);
    await expect(t.lockAsync({ timeout: 10 })).rejects.toThrow(TimeoutError);
    tg.release();
    expect(t.tryLock()).not.toBeNull(); // the abandoned ticket did not block the queue
    t.unlock();
    const p = rt.petersonLock('p');
    expect(() => p.lock(2 as never)).toThrow(RangeError);
    expect(() => p.unlock(0)).toThrow(NotOwnerError);
    const pg = p.lock(0);
    expect(p.tryLock(1)).toBeNull();
    await expect(p.lockAsync(1, { timeout: 10 })).rejects.toThrow(TimeoutError);
    pg.release();
    expect(p.tryLock(1)).not.toBeNull();
  });
});

describe('removal wakes waiters with ClosedError', () => {
  it('for each blocking primitive, async waiters in flight are told', async () => {
    const rt = await make();
    const m = rt.mutex('m');
    const held = m.lock();
    const s = rt.semaphore('s');
    const fs = rt.semaphore('fs', { fair: true });
    const b = rt.barrier('b', { parties: 3 });
    const l = rt.latch('l', { count: 1 });
    const rw = rt.rwLock('rw');
    const wg = rw.write();
    const t = rt.ticketLock('t');
    const tg = t.lock();
    const waits: Promise<unknown>[] = [
      m.lockAsync(), s.acquireAsync(), fs.acquireAsync(), b.waitAsync(), l.waitAsync(), rw.readAsync(), t.lockAsync(),
    ].map((p) => p.then(() => 'resolved', (e) => e));
    await new Promise((r) => setTimeout(r, 10));
    for (const name of ['m', 's', 'fs', 'b', 'l', 'rw', 't']) rt.remove(name);
    const out = await Promise.all(waits);
    expect(out.map((e) => (e as Error).name)).toEqual(Array(7).fill('ClosedError'));
    expect(() => m.lock()).toThrow(ClosedError);
    expect(() => s.release()).toThrow(ClosedError);
    expect(() => wg.release()).not.toThrow(); // unlocking what you held is still allowed
    held.release();
    tg.release();
  });

  it('blocking waits too, and use after close', async () => {
    const rt = await make();
    const l = rt.latch('l', { count: 1 });
    setTimeout(() => rt.remove('l'), 20);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 0));
    let err: unknown;
    try { l.wait(5000); } catch (e) { err = e; }
    // the remove() could not run while this thread blocked: it is the timeout that ended it,
    // unless another thread removes it. Either way the wait ends with a typed error.
    expect(err).toBeInstanceOf(IpcError);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const m = rt.mutex('m2');
    m.close();
    expect(() => m.lock()).toThrow(/handle is closed/);
  });
});
