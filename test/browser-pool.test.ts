// The worker pool with Web Workers, driven from the page (which may not block).
import { describe, it, expect } from 'vitest';
import { useChromium } from './browser/harness';

const chromium = useChromium();

describe('in Chromium, the worker pool', () => {
  it('runs tasks in Web Workers: results, remote errors, a terminated worker replaced, close', async () => {
    const page = await chromium.open();
    const out = await page.evaluate(async () => {
      const { WorkerPool } = (window as any).ipc;
      const pool = new WorkerPool({ filename: `${location.origin}/test/browser/pool-tasks.js`, size: 2 });
      await pool.ready();
      const sums = await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.run('add', [i, 1])));
      const err = await pool.run('boom').catch((e: Error) => `${e.name}: ${e.message}`);
      const victim = pool.run('spin', [2000]).catch((e: Error) => e.name);
      await new Promise((r) => setTimeout(r, 100));
      const timedOut = await pool.run('spin', [3000], { timeout: 50 }).catch((e: Error) => e.name);
      const after = await pool.run('add', [40, 2]);
      await pool.destroy();
      return { ok: sums.every((v: number, i: number) => v === i + 1), err, timedOut, victim: await victim, after, workers: pool.workers.length };
    });
    expect(out.ok).toBe(true);
    expect(out.err).toBe('RangeError: boom in a Web Worker');
    expect(out.timedOut).toBe('TimeoutError');
    expect(out.victim).toBe('ClosedError');       // still running at destroy()
    expect(out.after).toBe(42);
    await page.close();
  });
});
