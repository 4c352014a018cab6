// The synchronization primitives on a thread that cannot block (a browser main thread in
// real Chromium): async forms work against a Web Worker, blocking forms say WouldBlockError.
import { describe, it, expect } from 'vitest';
import { useChromium } from './browser/harness';

const chromium = useChromium();

describe('in Chromium, the page uses the async forms', () => {
  it('lockAsync, acquireAsync, waitAsync, readAsync and friends against a blocking worker', async () => {
    const page = await chromium.open();
    const out = await page.evaluate(async () => {
      const { Runtime } = (window as any).ipc;
      const rt = await Runtime.create();
      const m = rt.mutex('m'), s = rt.semaphore('s'), mon = rt.monitor('mon'), flag = rt.atomic('flag');
      const b = rt.barrier('b', { parties: 2 }), rw = rt.rwLock('rw'), snap = rt.snapshot('snap');
      const step = rt.latch('step', { count: 1 }), rwHeld = rt.latch('rw-held', { count: 1 });
      const blocking: Record<string, string> = {};
      const tryBlock = (name: string, f: () => unknown) => { try { f(); blocking[name] = 'no error'; } catch (e: any) { blocking[name] = e.name; } };
      tryBlock('mutex.lock', () => m.lock());
      tryBlock('semaphore.acquire', () => s.acquire());
      tryBlock('barrier.wait', () => b.wait());
      tryBlock('rwlock.read', () => rw.read(1));
      tryBlock('latch.wait', () => step.wait());
      tryBlock('monitor.wait', () => mon.wait());
      tryBlock('snapshot.waitForChange', () => snap.waitForChange(0));
      const worker = rt.spawn('/test/browser/sync-worker.js');
      const done = new Promise<any>((r) => { worker.onmessage = (e: MessageEvent) => r(e.data); });
      const log: string[] = [];
      await step.waitAsync();
      const g = await m.lockAsync();
      log.push(`mutex ${m.owner === rt.threadId}`);
      g.release();
      await s.acquireAsync();
      log.push('semaphore');
      await mon.synchronizedAsync(() => mon.waitUntilAsync(() => flag.load() === 1));
      log.push('monitor');
      const pageLeader = await b.waitAsync();
      await rwHeld.waitAsync();
      const tryRead = rw.tryRead();
      const rg = await rw.readAsync();
      rg.release();
      log.push(`rwlock ${tryRead === null}`);
      await snap.waitForChangeAsync(0);
      log.push(`snapshot ${JSON.stringify(snap.read().value)}`);
      const { leader } = await done;
      worker.terminate();
      return { blocking, log, leaders: [pageLeader, leader].filter(Boolean).length };
    });
    expect(out.blocking).toEqual({
      'mutex.lock': 'WouldBlockError', 'semaphore.acquire': 'WouldBlockError', 'barrier.wait': 'WouldBlockError',
      'rwlock.read': 'WouldBlockError', 'latch.wait': 'WouldBlockError', 'monitor.wait': 'WouldBlockError',
      'snapshot.waitForChange': 'WouldBlockError',
    });
    expect(out.log).toEqual(['mutex true', 'semaphore', 'monitor', 'rwlock true', 'snapshot {"from":"worker"}']);
    expect(out.leaders).toBe(1);
    await page.close();
  });
});
