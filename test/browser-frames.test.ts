// Frame pools on a thread that may not block (the page, like an AudioWorklet): the try forms
// work and never wait; the blocking forms say WouldBlockError.
import { describe, it, expect } from 'vitest';
import { useChromium } from './browser/harness';

const chromium = useChromium();

describe('in Chromium, frame pools', () => {
  it('the page takes frames from a Web Worker with tryNext / release only', async () => {
    const page = await chromium.open();
    const out = await page.evaluate(async () => {
      const { Runtime } = (window as any).ipc;
      const rt = await Runtime.create();
      const pool = rt.framePool('frames', { slots: 3, frameSize: 128 * 2 * 4 });
      let blocking = '';
      try { pool.next(); } catch (e: any) { blocking = e.name; }
      const worker = rt.spawn('/test/browser/frame-worker.js');
      const got: number[] = [];
      let bad = 0;
      const t0 = performance.now();
      while (got.length < 20 && performance.now() - t0 < 10_000) {
        const f = pool.tryNext();             // one attempt, never waits
        if (!f) { await new Promise((r) => setTimeout(r, 1)); continue; }
        const samples = f.as(Float32Array);
        if (samples.some((x: number) => x !== f.meta.i)) bad++;
        got.push(f.meta.i);
        pool.release(f);
      }
      worker.terminate();
      return { got, bad, blocking };
    });
    expect(out.blocking).toBe('WouldBlockError');
    expect(out.bad).toBe(0);
    expect(out.got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await page.close();
  });
});
