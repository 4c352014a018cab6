import { describe, it, expect } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { Runtime, TimeoutError, NotOwnerError, ClosedError, MessageTooLargeError } from '../dist/node/index.js';
import { runWorker } from './helpers';

const next = <T = any>(w: Worker): Promise<T> => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });

describe('FramePool', () => {
  it('8 MB frames hand over with no copy: the consumer reads the producer\'s bytes at the same offset', async () => {
    const rt = await Runtime.create({ size: 1 << 20, maxSize: 256 << 20 });
    const pool = rt.framePool('video', { slots: 4, frameSize: 8 << 20 });
    const stop = () => { const f = pool.acquire(20_000); pool.publish(f, 'stop'); };
    const consumer = runWorker<any>(rt, 'frame-roles', { role: 'consume', name: 'video', fill: true });
    const producer = runWorker<any>(rt, 'frame-roles', { role: 'produce', name: 'video', id: 1, count: 24, fill: true });
    await producer.result;
    stop();
    const r = await consumer.result;
    expect(r.bad).toBe(0);
    expect(r.seen).toEqual(Array.from({ length: 24 }, (_, seq) => [1, seq]));
    expect(rt.list().find((o) => o.name === 'video')!.state).toMatchObject({ slots: 4, frameSize: 8 << 20, free: 4, ready: 0 });
    await Promise.all([producer.worker.terminate(), consumer.worker.terminate()]);
  });

  it('2 producers × 2 consumers: every frame once, no slot handed out twice', async () => {
    const rt = await Runtime.create({ size: 4 << 20, maxSize: 64 << 20 });
    const pool = rt.framePool('frames', { slots: 3, frameSize: 64 << 10 });
    const count = 2000;
    const consumers = [0, 1].map(() => runWorker<any>(rt, 'frame-roles', { role: 'consume', name: 'frames', fill: true }));
    const producers = [1, 2].map((id) => runWorker<any>(rt, 'frame-roles', { role: 'produce', name: 'frames', id, count, fill: true }));
    await Promise.all(producers.map((p) => p.result));
    for (let i = 0; i < 2; i++) { const f = pool.acquire(20_000); pool.publish(f, 'stop'); }
    const got = await Promise.all(consumers.map((c) => c.result));
    expect(got.reduce((s, g) => s + g.bad, 0)).toBe(0);
    const all = got.flatMap((g) => g.seen.map(([id, seq]: number[]) => id * 1e6 + seq)).sort((a: number, b: number) => a - b);
    expect(all).toEqual([...Array.from({ length: count }, (_, s) => 1e6 + s), ...Array.from({ length: count }, (_, s) => 2e6 + s)]);
    await Promise.all([...producers, ...consumers].map((w) => w.worker.terminate()));
  });

  it('try forms never wait; blocking and async forms; meta; a dead holder\'s slots come back', async () => {
    const rt = await Runtime.create({ size: 1 << 20 });
    const pool = rt.framePool<{ t: number }>('p', { slots: 2, frameSize: 1024, metaSize: 32 });
    expect(pool.tryNext()).toBeUndefined();
    const a = pool.tryAcquire()!, b = pool.tryAcquire()!;
    expect(a.slot).not.toBe(b.slot);
    expect(pool.tryAcquire()).toBeUndefined();
    expect(() => pool.acquire(10)).toThrow(TimeoutError);
    await expect(pool.acquireAsync({ timeout: 10 })).rejects.toThrow(TimeoutError);
    a.as(Float32Array)[0] = 0.5;                        // an audio block, in place
    pool.publish(a, { t: 42 });
    expect(() => pool.publish(a)).toThrow(NotOwnerError);       // published already
    expect(() => pool.publish(b, { t: 'x'.repeat(64) } as any)).toThrow(MessageTooLargeError);
    const got = pool.next(0);
    expect(got.meta).toEqual({ t: 42 });
    expect(got.as(Float32Array)[0]).toBe(0.5);
    const waiting = pool.nextAsync();
    pool.publish(b);
    expect((await waiting).meta).toBeUndefined();
    pool.release(got);
    expect(() => pool.release(got)).toThrow(NotOwnerError);
    expect(() => pool.release(7)).toThrow(RangeError);
    expect(() => pool.release({} as any)).toThrow(TypeError);
    pool.release(b.slot);                                 // the frame received from the async next
    // a worker holding a slot it writes and a frame it reads is killed: both come back
    const f = pool.acquire(); pool.publish(f);
    const { worker, result } = runWorker<any>(rt, 'frame-roles', { role: 'hold', name: 'p' });
    await result;
    expect(pool.tryAcquire()).toBeUndefined();
    await worker.terminate();
    const again = [pool.acquire(5000), pool.acquire(5000)];
    expect(again.map((x) => x.slot).sort()).toEqual([0, 1]);
    // bad input and removal
    expect(() => rt.framePool('bad', { slots: 0, frameSize: 1 })).toThrow(RangeError);
    expect(() => rt.framePool('bad', { slots: 2, frameSize: 0 })).toThrow(RangeError);
    expect(() => rt.framePool('bad', { slots: 5000, frameSize: 8 })).toThrow(RangeError);
    expect(() => rt.framePool('p', { slots: 3, frameSize: 1024 })).toThrow(RangeError);   // exists otherwise
    expect(() => rt.framePool('nope')).toThrow();
    const blocked = pool.acquireAsync();
    pool.remove();
    await expect(blocked).rejects.toThrow(ClosedError);
  });
});
