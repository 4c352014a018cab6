import { describe, it, expect } from 'vitest';
import { Runtime } from '../dist/node/index.js';
import { runWorker, exited } from './helpers';

describe('threads', () => {
  it('every attached thread gets an id; exit and terminate mark it dead', async () => {
    const rt = await Runtime.create();
    const seg = rt.segment();
    rt.shm('hang', { size: 16 });
    const a = runWorker<{ tid: number; threads: { tid: number; self: boolean }[] }>(rt, 'report', { hang: 'hang' });
    const b = runWorker<{ tid: number }>(rt, 'report', { exitCode: 3 });
    const bExit = exited(b.worker); // listen now: it exits right after reporting
    const ra = await a.result;
    const rb = await b.result;
    expect(ra.tid).not.toBe(rt.threadId);
    expect(rb.tid).not.toBe(ra.tid);
    expect(ra.threads.find((t) => t.self)!.tid).toBe(ra.tid);
    expect(await bExit).toBe(3);
    expect(seg.isAlive(rb.tid)).toBe(false);
    expect(seg.isAlive(ra.tid)).toBe(true);
    await a.worker.terminate();
    await new Promise((r) => setImmediate(r));
    expect(seg.isAlive(ra.tid)).toBe(false);
    expect(rt.threads().map((t) => t.tid)).toEqual([rt.threadId]);
  });

  it('thread ids are not reused for a while, even when their slots are', async () => {
    const rt = await Runtime.create();
    const seen = new Set<number>([rt.threadId]);
    for (let i = 0; i < 4; i++) {
      const w = runWorker<{ tid: number }>(rt, 'report');
      const { tid } = await w.result;
      await w.worker.terminate();
      expect(seen.has(tid)).toBe(false);
      seen.add(tid);
    }
    expect(rt.segment().threads()).toHaveLength(1);
  });

  it('a worker that fails to start is marked dead too', async () => {
    const rt = await Runtime.create();
    const w = rt.spawn(new URL('./workers/does-not-exist.mjs', import.meta.url)) as import('node:worker_threads').Worker;
    w.on('error', () => {});
    await exited(w);
    expect(rt.threads()).toHaveLength(1);
    expect(() => rt.spawn(12 as never)).toThrow(TypeError);
  });

  it('closing a runtime detaches the thread', async () => {
    const rt = await Runtime.create();
    const other = await Runtime.attach(rt.handle());
    expect(rt.threads()).toHaveLength(2);
    other.close();
    expect(rt.threads()).toHaveLength(1);
    expect(() => other.shm('x', { size: 8 })).toThrow(/closed/);
    await expect(Runtime.attach({} as never)).rejects.toThrow(TypeError);
  });
});
