// The foundation in real Chromium: a cross-origin-isolated page and a Web Worker share a
// segment; the page may not block; async waits, growth and names work on both sides.
import { describe, it, expect } from 'vitest';
import { useChromium } from './browser/harness';

const { open } = useChromium();

describe('in Chromium', () => {
  it('the page cannot block, waits asynchronously, and shares growth with a worker', async () => {
    const page = await open('/test/browser/basic.html');
    const out = await page.evaluate(async () => {
      const { Runtime, WouldBlockError, canBlock } = (window as any).ipc;
      const rt = await Runtime.create({ size: 1 << 20, maxSize: 64 << 20 });
      const region = rt.shm('page', { size: 64 });
      let blockError = '';
      try { region.wait(0, 0); } catch (e: any) { blockError = `${e.name}: ${e.message} ${e instanceof WouldBlockError}`; }
      const woken = region.waitAsync(0, 0, 20_000);
      const worker = rt.spawn('/test/browser/basic-worker.js');
      const finished = new Promise<any>((r) => { worker.onmessage = (e: MessageEvent) => r(e.data); });
      const wokenResult = await woken;
      const workerTid = Atomics.load(region.int32, 1);
      while (Atomics.load(region.int32, 2) === 0) await region.waitAsync(2, 0, 100);
      const seg = rt.segment();
      const p = Atomics.load(region.int32, 2);
      const seenWorkerMark = seg.view(p + (8 << 20) - 1, 1)[0];
      const q = seg.alloc(16 << 20);
      seg.view(q + (16 << 20) - 1, 1)[0] = 45;
      Atomics.store(region.int32, 3, q);
      region.wake(3);
      while (Atomics.load(region.int32, 4) === 0) await region.waitAsync(4, 0, 100);
      const done = await finished;
      const threadsWhileAlive = rt.threads().length;
      worker.terminate();
      return {
        canBlock, blockError, wokenResult, workerTid, seenWorkerMark, pageMarkSeenByWorker: Atomics.load(region.int32, 4),
        workerPages: Atomics.load(region.int32, 5), pagePages: seg.memory.buffer.byteLength >>> 16, done,
        threadsWhileAlive, threadsAfter: rt.threads().length, isolated: crossOriginIsolated,
      };
    });
    expect(out.isolated).toBe(true);
    expect(out.canBlock).toBe(false);
    expect(out.blockError).toMatch(/^WouldBlockError: shm "page": wait\(\) would block a browser main thread; use waitAsync\(\) true$/);
    expect(out.wokenResult).toBe('ok');
    expect(out.workerTid).toBeGreaterThan(0);
    expect(out.seenWorkerMark).toBe(123);
    expect(out.pageMarkSeenByWorker).toBe(45);
    expect(out.workerPages).toBeGreaterThanOrEqual(out.pagePages - 1);
    expect(out.done).toEqual({ done: true, names: ['page'], blocked: true });
    expect(out.threadsWhileAlive).toBe(2);
    expect(out.threadsAfter).toBe(1);
    await page.close();
  });

  it('a page without cross-origin isolation gets a plain error saying so', async () => {
    const page = await open('/test/browser/basic.html?isolated=0');
    const message = await page.evaluate(async () => {
      try { await (window as any).ipc.Runtime.create(); return 'no error'; } catch (e: any) { return `${e.name}: ${e.message}`; }
    });
    expect(message).toMatch(/cross-origin isolat/i);
    expect(message).toMatch(/Cross-Origin-Opener-Policy/);
    await page.close();
  });

  it('loads the core from a URL: the slim build fetches its sibling wasm, or the URL given', async () => {
    const page = await open('/test/browser/basic.html');
    const out = await page.evaluate(async () => {
      const slim = await new Function('return import("/dist/browser/slim.js")')(); // (not vite's import)
      const rt = await slim.Runtime.create();                           // ./wasm-ipc.wasm next to slim.js
      const ch = rt.channel('slim', { codec: 'string' });
      const worker = rt.spawn('/test/browser/slim-worker.js');
      const got = await ch.recvAsync({ timeout: 20_000 });
      worker.terminate();
      const full = (window as any).ipc;
      const byUrl = await full.Runtime.create({ module: new URL('/build/wasm-ipc.wasm', location.href) });
      const byString = await full.Runtime.create({ module: '/dist/browser/wasm-ipc.wasm' });
      let missing = '';
      try { await slim.Runtime.create({ module: '/nowhere/wasm-ipc.wasm' }); } catch (e: any) { missing = e.message; }
      return { got, byUrl: byUrl.threadId > 0, byString: byString.list().length, missing };
    });
    expect(out.got).toMatch(/^hello from thread \d+$/);
    expect(out.byUrl).toBe(true);
    expect(out.byString).toBe(0);
    expect(out.missing).toMatch(/cannot fetch the wasm-ipc core from \/nowhere\/wasm-ipc.wasm: HTTP 404/);
    await page.close();
  });
});
