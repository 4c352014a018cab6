// The live IPC view: serveView() on a runtime under load (a channel filled in bursts and
// drained slowly, a mutex two workers fight over), opened in Chromium. The table names each
// object with its live figures, and a screenshot of the chart shows the channel's depth line.
import { describe, it, expect, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, serveView, mountView } from '../dist/node/index.js';
import { launch } from './browser/chromium.mjs';
import { decodePng } from './browser/png.mjs';
import { workerUrl } from './helpers';
import type { Worker } from 'node:worker_threads';

describe('live IPC view', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterAll(async () => { for (const c of cleanup.reverse()) await c(); });

  it('shows depths over time, waiters, owners and contention, in a real browser', async () => {
    const rt = await Runtime.create();
    const stop = rt.atomic('stop', { initial: 0 });
    rt.channel('jobs', { capacity: 64 });
    rt.mutex('hot');
    rt.semaphore('idle', { initial: 3 });
    const workers = ['producer', 'consumer', 'locker', 'locker'].map((role) => rt.spawn(workerUrl('view-load'), { data: { role } }) as Worker);
    cleanup.push(async () => { stop.store(1); await Promise.all(workers.map((w) => w.terminate())); });
    const view = await serveView(rt, { interval: 50 });
    cleanup.push(() => view.close());
    expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const browser = await launch();
    cleanup.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(view.url);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="meta"]')?.getAttribute('data-samples')) >= 60, null, { timeout: 30_000 });
    const rows = await page.$$eval('tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const byName = Object.fromEntries(rows.map((r) => [r[0], r]));
    expect(byName.jobs?.[1]).toBe('channel');
    expect(byName.hot?.[1]).toBe('mutex');
    expect(byName.idle?.[1]).toBe('semaphore');
    expect(byName.stop?.[1]).toBe('atomic');
    expect(parseInt(byName.hot![5]!)).toBeGreaterThan(0);              // contention seen
    expect(await page.textContent('[data-testid="meta"]')).toMatch(/^4 objects, 5 threads/);   // main + 4 workers
    const depths = await page.$$eval('[data-testid="depths"] polyline', (ls) => ls.map((l) => l.getAttribute('points')!.split(' ').map((p) => Number(p.split(',')[1]))));
    expect(depths).toHaveLength(1);                                      // one queue: jobs
    expect(new Set(depths[0]!.slice(-60)).size).toBeGreaterThan(3);      // its depth moved

    const png = await page.locator('[data-testid="depths"]').screenshot();
    const file = join(tmpdir(), 'wasm-ipc-view.png');
    writeFileSync(file, png);
    const { width, height, rgba } = decodePng(png);
    let blue = 0;
    for (let i = 0; i < width * height; i++) {
      const [r, g, b] = [rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!];
      if (b > 180 && r < 120 && g < 160) blue++;                         // the line, #2563eb
    }
    expect(width).toBeGreaterThan(600);
    expect(blue).toBeGreaterThan(200);
    expect(errors).toEqual([]);
    console.log(`view screenshot (${width}x${height}, ${blue} line pixels): ${file}`);
  });

  it('refuses bad options, and mountView needs a page', async () => {
    const rt = await Runtime.create();
    await expect(async () => serveView(rt, { interval: 5 })).rejects.toThrow(RangeError);
    await expect(async () => serveView(rt, { port: 70000 })).rejects.toThrow(/port must be an integer/);
    expect(() => mountView(rt, {} as HTMLElement)).toThrow(TypeError);
  });
});
