// Ports and direct messages on a browser main thread: the async forms work against a Web
// Worker that blocks; the blocking forms say WouldBlockError.
import { describe, it, expect } from 'vitest';
import { useChromium } from './browser/harness';

const chromium = useChromium();

describe('in Chromium, ports', () => {
  it('callAsync, receiveAnyAsync and deliverAsync from the page to a Web Worker', async () => {
    const page = await chromium.open();
    const out = await page.evaluate(async () => {
      const { Runtime } = (window as any).ipc;
      const rt = await Runtime.create();
      rt.messageCodec = 'json';
      const worker = rt.spawn('/test/browser/port-worker.js', { data: { page: rt.threadId } });
      const hello = await rt.receiveAnyAsync({ timeout: 10_000 });
      const port = rt.port('adder', { codec: 'json' });
      const sums = [];
      for (let i = 0; i < 50; i++) sums.push(await port.callAsync({ a: i, b: 1 }));
      let blocking = '';
      try { port.call({ a: 1, b: 1 }); } catch (e: any) { blocking = e.name; }
      let receiving = '';
      try { rt.receiveAny(); } catch (e: any) { receiving = e.name; }
      const done = await port.deliverAsync('stop', { confirm: 'processed', timeout: 10_000 });
      worker.terminate();
      return { hello: hello.value, from: hello.sender === done.receiver, sums, blocking, receiving, confirm: done.confirm };
    });
    expect(out.hello).toEqual({ ready: true });
    expect(out.from).toBe(true);
    expect(out.sums).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(out.blocking).toBe('WouldBlockError');
    expect(out.receiving).toBe('WouldBlockError');
    expect(out.confirm).toBe('processed');
    await page.close();
  });

  it('RPC: the page calls a Web Worker through wrap(); wrapSync() on the page says WouldBlockError', async () => {
    const page = await chromium.open();
    const out = await page.evaluate(async () => {
      const { Runtime, wrap, wrapSync } = (window as any).ipc;
      const rt = await Runtime.create();
      rt.messageCodec = 'json';
      const worker = rt.spawn('/test/browser/rpc-worker.js', { data: { page: rt.threadId } });
      await rt.receiveAnyAsync({ timeout: 10_000 });
      const api = wrap(rt.port('calc'));
      const products = await Promise.all(Array.from({ length: 100 }, (_, i) => api.mul(i, 3)));
      const err = await api.fail().catch((e: Error) => `${e.name}: ${e.message}`);
      let blocking = '';
      try { wrapSync(rt.port('calc')).mul(2, 2); } catch (e: any) { blocking = e.name; }
      worker.terminate();
      return { ok: products.every((v: number, i: number) => v === i * 3), err, blocking };
    });
    expect(out).toEqual({ ok: true, err: 'SyntaxError: nope', blocking: 'WouldBlockError' });
    await page.close();
  });
});
