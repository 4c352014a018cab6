import { describe, it, expect } from 'vitest';
import { WorkerPool, Runtime, ClosedError, LimitError, TimeoutError, DeadPeerError } from '../dist/node/index.js';

const tasks = new URL('./workers/pool-tasks.mjs', import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const heard = (): { seen: string[]; close(): void } => {
  const ch = new BroadcastChannel('pool-test');
  const seen: string[] = [];
  ch.onmessage = (e) => seen.push(e.data);
  return { seen, close: () => ch.close() };
};

describe('WorkerPool', () => {
  it('10^6 tiny tasks through 2 workers: every result once', async () => {
    const pool = new WorkerPool({ filename: tasks, size: 2 });
    const n = 1_000_000, batch = 20_000;
    let sum = 0;
    for (let b = 0; b < n; b += batch) {
      const out = await Promise.all(Array.from({ length: batch }, (_, i) => pool.run<number>('add', [b + i, 1])));
      out.forEach((v, i) => { if (v !== b + i + 1) throw new Error(`task ${b + i} gave ${v}`); sum += v; });
    }
    expect(sum).toBe((n * (n + 1)) / 2);
    const st = pool.stats();
    expect(st.completed).toBe(n);
    expect(st.failed).toBe(0);
    expect(st.utilization).toBeGreaterThan(0);
    expect(st.utilization).toBeLessThanOrEqual(1);
    expect(st.runMs.p99).toBeGreaterThanOrEqual(st.runMs.p50);
    await pool.close();
  }, 120_000);

  it('workers killed at random during a run: only their running tasks fail, clearly; the pool keeps serving', async () => {
    const pool = new WorkerPool({ filename: tasks, size: 4 });
    await pool.ready();
    const runs = Array.from({ length: 3000 }, (_, i) => pool.run<number>('spin', [0.2]).then(() => 'ok', (e) => e));
    let kills = 0;
    const killer = (async () => {
      for (let k = 0; k < 8; k++) {
        await sleep(40);
        const ws = pool.workers;
        await ws[Math.floor(Math.random() * ws.length)]!.terminate();
        kills++;
      }
    })();
    const out = await Promise.all(runs);
    await killer;
    const failed = out.filter((o) => o !== 'ok');
    for (const e of failed) {
      expect(e).toBeInstanceOf(DeadPeerError);
      expect((e as Error).message).toMatch(/its worker \(thread \d+\) died while running it/);
    }
    expect(failed.length).toBeLessThanOrEqual(kills);               // at most the one task each killed worker ran
    expect(out.length - failed.length).toBeGreaterThanOrEqual(3000 - kills);
    expect(await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run('add', [i, 1])))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(pool.workers.length).toBe(4);                               // replaced
    await pool.destroy();
  });

  it('back-pressure: maxQueue, then drain (event and promise)', async () => {
    const pool = new WorkerPool({ filename: tasks, size: 1, maxQueue: 3 });
    await pool.ready();
    let drains = 0;
    pool.on('drain', () => drains++);
    const first = pool.run('spin', [80]);
    await sleep(30);                                                   // running: not queued
    const queued = [1, 2, 3].map((i) => pool.run('add', [i, 0]));
    await expect(pool.run('add', [9, 0])).rejects.toThrow(LimitError);
    expect(pool.queueDepth).toBe(3);
    await pool.drained();
    expect(pool.queueDepth).toBe(0);
    expect(await Promise.all([first, ...queued])).toEqual([80, 1, 2, 3]);
    expect(drains).toBeGreaterThanOrEqual(1);
    expect(await pool.run('add', [9, 0])).toBe(9);
    await pool.close();
  });

  it('close() finishes queued work; destroy() stops now', async () => {
    const pool = new WorkerPool({ filename: tasks, size: 1 });
    const work = [pool.run('spin', [30]), pool.run('add', [1, 2]), pool.run('add', [3, 4])];
    const closing = pool.close();
    await expect(pool.run('add', [0, 0])).rejects.toThrow(ClosedError);
    expect(await Promise.all(work)).toEqual([30, 3, 7]);
    await closing;
    const pool2 = new WorkerPool({ filename: tasks, size: 1 });
    await pool2.ready();
    const cut = [pool2.run('spin', [500]), pool2.run('add', [1, 1])].map((p) => p.catch((e) => e));
    await sleep(30);
    await pool2.destroy();
    for (const e of await Promise.all(cut)) expect(e).toBeInstanceOf(ClosedError);
    await expect(pool2.run('add', [0, 0])).rejects.toThrow(ClosedError);
  });

  it('a task timeout counts from the task\'s start; sync tasks past it lose their worker, async ones see their signal', async () => {
    const pool = new WorkerPool({ filename: tasks, size: 1 });
    const news = heard();
    const long = pool.run('spin', [150]);
    const queuedLong = pool.run('spin', [20], { timeout: 100 });          // waits 150 ms in the queue: still fine
    expect(await long).toBe(150);
    expect(await queuedLong).toBe(20);
    await expect(pool.run('spin', [2000], { timeout: 50 })).rejects.toThrow(TimeoutError);   // the watchdog replaced the worker
    await expect(pool.run('sleep', [5000], { timeout: 50 })).rejects.toThrow(TimeoutError);
    expect(await pool.run('add', [2, 2])).toBe(4);
    await sleep(50);
    expect(news.seen).toContain('aborted:TimeoutError');
    news.close();
    await pool.destroy();
  });

  it('abort: a queued task is withdrawn and never runs; a running one sees its signal', async () => {
    const pool = new WorkerPool({ filename: tasks, size: 1 });
    const news = heard();
    const busy = pool.run('spin', [100]);
    const ac = new AbortController();
    const queued = pool.run('mark', ['should not run'], { signal: ac.signal });
    await sleep(20);
    ac.abort(new Error('not needed'));
    await expect(queued).rejects.toThrow('not needed');
    await busy;
    expect(await pool.run('mark', ['ran'])).toBe('ran');
    const ac2 = new AbortController();
    const running = pool.run('sleep', [5000], { signal: ac2.signal });
    await sleep(50);
    ac2.abort(new Error('stop it'));
    await expect(running).rejects.toThrow('stop it');
    await sleep(50);
    expect(news.seen).toEqual(['ran', 'aborted:AbortError']);
    news.close();
    await pool.destroy();
  });

  it('a crashing worker: its task rejects clearly, the worker is replaced; remote errors; bad input', async () => {
    const rt = await Runtime.create();
    const pool = new WorkerPool({ filename: tasks, size: 2, runtime: rt });
    await expect(pool.run('crash')).rejects.toThrow(DeadPeerError);
    expect(await Promise.all([pool.run('add', [1, 1]), pool.run('add', [2, 2])])).toEqual([2, 4]);
    const err = await pool.run('boom').catch((e) => e);
    expect([err.name, err.message, err.detail]).toEqual(['RangeError', 'boom', 7]);
    expect(err.stack).toContain('pool-tasks.mjs');
    await expect(pool.run('nope')).rejects.toThrow('unknown task "nope"');
    await expect(pool.run('echo', [() => 1])).rejects.toThrow(TypeError);
    await expect(pool.run('fn')).rejects.toThrow('its result');
    await expect(pool.run('add', 1 as unknown as unknown[])).rejects.toThrow(TypeError);
    await expect(pool.run('add', [1, 2], { timeout: -1 })).rejects.toThrow(RangeError);
    expect(() => new WorkerPool({ filename: tasks, size: -1 })).toThrow(RangeError);
    expect(() => new WorkerPool({ filename: 42 as unknown as string })).toThrow(TypeError);
    const broken = new WorkerPool({ filename: new URL('./workers/no-such-tasks.mjs', import.meta.url), size: 1 });
    await expect(broken.ready()).rejects.toThrow('could not start');
    await expect(broken.run('add', [1, 2])).rejects.toThrow('could not start');
    await broken.destroy();
    await pool.close();
    await expect(pool.run('add', [1, 2])).rejects.toThrow(ClosedError);
  });
});
