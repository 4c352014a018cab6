import { describe, it, expect } from 'vitest';
import { Runtime, hasWaitAsync } from '../dist/node/index.js';
import { runWorker } from './helpers';

describe('futex wait and wake', () => {
  it('a blocked worker is woken by the main thread', async () => {
    const rt = await Runtime.create();
    const r = rt.shm('f', { size: 16 });
    const { worker, result } = runWorker(rt, 'futex', { name: 'f', op: 'wait' });
    const { ready: tid } = (await result) as { ready: number };
    const done = new Promise<{ res: string; value: number }>((res) => worker.once('message', res));
    // until the worker really sleeps on the word (a fixed pause lost the race on a loaded CI machine)
    while (rt.segment().core.thread_parked(tid) !== r.dataOffset) await new Promise((res) => setTimeout(res, 1));
    Atomics.store(r.int32, 0, 5);
    r.wake(0);
    expect(await done).toEqual({ res: 'ok', value: 5 });
    await worker.terminate();
  });

  it('times out, returns not-equal, and validates its arguments', async () => {
    const rt = await Runtime.create();
    const r = rt.shm('f', { size: 16 });
    const t0 = performance.now();
    expect(r.wait(0, 0, 30)).toBe('timed-out');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    expect(r.wait(0, 1)).toBe('not-equal');
    expect(await r.waitAsync(0, 0, 20)).toBe('timed-out');
    expect(await r.waitAsync(0, 1)).toBe('not-equal');
    expect(() => r.wait(4, 0)).toThrow(/index/);
    expect(() => r.wait(-1, 0)).toThrow(RangeError);
    expect(() => r.wait(0, 0, -1)).toThrow(/timeout/);
    expect(() => r.wait(0, 0, NaN)).toThrow(RangeError);
    expect(() => r.wake(0, -2)).toThrow(/count/);
    expect(r.wake(0)).toBe(0);
  });

  it('waitAsync is woken by a wasm notify from another thread, and keeps Node alive while pending', async () => {
    expect(hasWaitAsync).toBe(true);
    const rt = await Runtime.create();
    const r = rt.shm('f', { size: 16 });
    const pending = r.waitAsync(0, 0);
    const { worker, result } = runWorker<{ woke: number }>(rt, 'futex', { name: 'f', op: 'wake', value: 3 });
    expect(await pending).toBe('ok');
    expect((await result).woke).toBeGreaterThanOrEqual(0);
    expect(Atomics.load(r.int32, 0)).toBe(3);
    await worker.terminate();
  });

  it('many async waiters on one word are all woken', async () => {
    const rt = await Runtime.create();
    const r = rt.shm('f', { size: 16 });
    const waits = Array.from({ length: 20 }, () => r.waitAsync(1, 0, 10_000));
    await new Promise((res) => setTimeout(res, 20));
    Atomics.store(r.int32, 1, 1);
    expect(r.wake(1)).toBe(20);
    expect(await Promise.all(waits)).toEqual(Array(20).fill('ok'));
  });

  it('falls back to polling where the engine lacks Atomics.waitAsync', async () => {
    const rt = await Runtime.create();
    const r = rt.shm('fb', { size: 16 });
    const { worker, result } = runWorker<{ hasWaitAsync: boolean; timedOut: string }>(rt, 'no-waitasync', { name: 'fb' });
    expect(await result).toEqual({ hasWaitAsync: false, timedOut: 'timed-out' });
    const second = new Promise<{ res: string; value: number }>((res) => worker.once('message', res));
    await new Promise((res) => setTimeout(res, 30));
    Atomics.store(r.int32, 1, 9);
    r.wake(1);
    expect(await second).toEqual({ res: 'ok', value: 9 });
    await worker.terminate();
  });
});
