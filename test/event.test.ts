import { describe, it, expect } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { Runtime, TimeoutError, ClosedError, DeadPeerError, InterruptedError } from '../dist/node/index.js';
import { runWorker } from './helpers';

const next = <T = any>(w: Worker): Promise<T> => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** n workers blocked in ev.wait(); resolves with their 'done' promises once all are ready. */
async function waiters(rt: Runtime, name: string, n: number) {
  const runs = Array.from({ length: n }, () => runWorker(rt, 'event-roles', { role: 'ev-wait', name, timeout: 20_000 }));
  await Promise.all(runs.map((r) => r.result));
  let done = 0;
  const finished = runs.map((r) => next(r.worker).then((m) => { done++; return m; }));
  await sleep(100);   // let them park
  return { runs, finished, done: () => done };
}

describe('Event', () => {
  it('auto-reset: each set() wakes exactly one waiter', async () => {
    const rt = await Runtime.create();
    const ev = rt.event('auto');
    expect(ev.manual).toBe(false);
    const w = await waiters(rt, 'auto', 3);
    expect(w.done()).toBe(0);
    for (let i = 1; i <= 3; i++) {
      ev.set();
      await sleep(200);
      expect(w.done()).toBe(i);
    }
    expect(await Promise.all(w.finished)).toEqual(Array(3).fill({ done: true }));
    expect(ev.isSet).toBe(false);        // each set was consumed
    await Promise.all(w.runs.map((r) => r.worker.terminate()));
  });

  it('manual-reset: set() wakes all and stays set until reset()', async () => {
    const rt = await Runtime.create();
    const ev = rt.event('manual', { manual: true });
    const w = await waiters(rt, 'manual', 3);
    ev.set();
    expect(await Promise.all(w.finished)).toEqual(Array(3).fill({ done: true }));
    expect(ev.isSet).toBe(true);
    ev.wait(0);                          // still set
    ev.reset();
    expect(() => ev.wait(10)).toThrow(TimeoutError);
    await Promise.all(w.runs.map((r) => r.worker.terminate()));
  });

  it('try and async forms, initial state, removal, bad input', async () => {
    const rt = await Runtime.create();
    const ev = rt.event(undefined, { initial: true });
    expect(ev.tryWait()).toBe(true);     // auto-reset: taken
    expect(ev.tryWait()).toBe(false);
    const later = ev.waitAsync();
    ev.set();
    await later;
    await expect(ev.waitAsync({ timeout: 10 })).rejects.toThrow(TimeoutError);
    const ac = new AbortController();
    const aborted = ev.waitAsync({ signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    const named = rt.event('gone', { manual: true });
    const blocked = named.waitAsync();
    rt.remove('gone');
    await expect(blocked).rejects.toThrow(ClosedError);
    expect(() => rt.event('x', { manual: 1 as unknown as boolean })).toThrow(TypeError);
    rt.event('x', { manual: true });
    expect(() => rt.event('x', { manual: false })).toThrow(RangeError);
    expect(() => ev.wait(-5)).toThrow(RangeError);
  });
});

describe('interrupt', () => {
  for (const op of ['recv', 'lock', 'wait', 'receive', 'condwait', 'sem'] as const) {
    it(`ends a blocked ${op} in another thread with InterruptedError and leaves the object usable`, async () => {
      const rt = await Runtime.create();
      const ch = rt.channel('c');
      const m = rt.mutex('m');
      const ev = rt.event('e');
      const mon = rt.monitor('mon');
      const sem = rt.semaphore('s');
      rt.messageCodec = 'json';
      const name = { recv: 'c', lock: 'm', wait: 'e', receive: '', condwait: 'mon', sem: 's' }[op];
      if (op === 'lock') m.lock();
      const { worker, result } = runWorker<{ tid: number }>(rt, 'event-roles', { role: 'interruptible', op, name, timeout: 20_000 });
      const { tid } = await result;
      await sleep(100);
      const t0 = Date.now();
      rt.interrupt(tid);
      expect(await next(worker)).toEqual({ error: 'InterruptedError' });
      expect(Date.now() - t0).toBeLessThan(5000);
      // make the operation succeed, and ask the worker to do it again
      if (op === 'recv') ch.send(new Uint8Array([1]));
      if (op === 'lock') m.unlock();
      if (op === 'wait') ev.set();
      if (op === 'receive') rt.send(tid, 'hi');
      if (op === 'sem') sem.release();
      const again = next(worker);
      worker.postMessage('again');
      if (op === 'condwait') { await sleep(100); mon.synchronized(() => mon.notifyAll()); }
      expect(await again).toEqual({ after: 'ok' });
      await worker.terminate();
    });
  }

  it('an interrupt with no wait under way ends the next one; a dead thread cannot be interrupted', async () => {
    const rt = await Runtime.create();
    rt.interrupt(rt.threadId);
    expect(() => rt.event().wait(5000)).toThrow(InterruptedError);
    expect(() => rt.event().wait(10)).toThrow(TimeoutError);   // consumed
    expect(() => rt.interrupt(1023)).toThrow(DeadPeerError);
    expect(() => rt.interrupt(0)).toThrow(RangeError);
  });
});
