import { describe, it, expect } from 'vitest';
import { Runtime, wrap, wrapSync, callOptions, rpcCodec, TimeoutError, DeadPeerError } from '../dist/node/index.js';
import { runWorker, runWorkers } from './helpers';

interface Api {
  add(a: number, b: number): number;
  echo<T>(x: T): T;
  who(): { caller: number; me: number };
  fail(): never;
  throwValue(): never;
  once(): string;
  slow(ms: number): Promise<string>;
  hang(): Promise<never>;
  fn(): () => number;
}

async function callee(rt: Runtime, name = 'api') {
  const run = runWorker<{ tid: number }>(rt, 'rpc-roles', { role: 'callee', name });
  const { tid } = await run.result;
  return { worker: run.worker, tid };
}

describe('RPC', () => {
  it('8 concurrent callers × 10^5 synchronous calls, every result matched to its call', async () => {
    const rt = await Runtime.create({ size: 16 << 20 });
    const { worker } = await callee(rt);
    const out = await runWorkers<{ ok: number }>(rt, 'rpc-roles', 8, (id) => ({ role: 'caller', name: 'api', id, count: 100_000 }));
    expect(out.map((o) => o.ok)).toEqual(Array(8).fill(100_000));
    await worker.terminate();
  });

  it('async and sync proxies: values through the codec, remote errors with name, message, stack; thrown values; bad input', async () => {
    const rt = await Runtime.create();
    const { worker, tid } = await callee(rt);
    const api = wrap<Api>(rt.port('api'));
    const sync = wrapSync<Api>(rt.port('api'));
    expect(await api.add(2, 3)).toBe(5);
    expect(sync.add(4, 5)).toBe(9);
    const when = new Date(1234);
    expect(await api.echo({ when, m: new Map([[1, 'a']]), bytes: new Uint8Array([1, 2]) })).toEqual({ when, m: new Map([[1, 'a']]), bytes: new Uint8Array([1, 2]) });
    expect(await api.who()).toEqual({ caller: rt.threadId, me: tid });
    const err = await api.fail().catch((e: any) => e);
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.message, err.code]).toEqual(['TypeError', 'bad thing', 'E_BAD']);
    expect(err.stack).toContain('bad thing');
    expect(err.stack).toContain('rpc-roles.mjs');            // the callee's stack
    expect(() => sync.fail()).toThrow('bad thing');
    await expect(api.throwValue()).rejects.toEqual({ code: 42, why: 'not an Error' });
    await expect((api as any).nope()).rejects.toThrow('no method "nope"');
    await expect(api.echo(() => 1)).rejects.toThrow(TypeError);          // a function cannot be sent
    await expect(api.echo({ deep: [Symbol('x')] })).rejects.toThrow('argument 0.deep.0');
    await expect(api.fn()).rejects.toThrow('its result');                 // nor come back
    await worker.terminate();
  });

  it('timeouts and aborts: the caller gets TimeoutError or the abort reason, the callee sees the cancellation, a late reply is dropped', async () => {
    const rt = await Runtime.create();
    const { worker } = await callee(rt);
    const api = wrap<Api>(rt.port('api'));
    const cancelled = rt.atomic('cancelled');
    await expect(api.slow(10_000, callOptions({ timeout: 30 }))).rejects.toThrow(TimeoutError);
    const ac = new AbortController();
    const aborted = api.slow(10_000, callOptions({ signal: ac.signal }));
    setTimeout(() => ac.abort(new Error('changed my mind')), 30);
    await expect(aborted).rejects.toThrow('changed my mind');
    for (let t = 0; cancelled.load() < 2 && t < 200; t++) await new Promise((r) => setTimeout(r, 10));
    expect(cancelled.load()).toBe(2);                                  // both seen by the callee
    expect(() => wrapSync<Api>(rt.port('api'), { timeout: 30 }).slow(10_000)).toThrow(TimeoutError);
    // a reply that comes after its caller timed out goes nowhere; the next call gets its own
    await expect(api.slow(60, callOptions({ timeout: 10 }))).rejects.toThrow(TimeoutError);
    await new Promise((r) => setTimeout(r, 100));
    expect(await api.add(1, 1)).toBe(2);
    await worker.terminate();
  });

  it('a duplicated request is executed at most once', async () => {
    const rt = await Runtime.create();
    const { worker } = await callee(rt);
    const port = rt.port<any>('api', { codec: rpcCodec });   // the wire format wrap() speaks
    const req = { i: 'retry-1', m: 'once', a: [] };
    const [a, b] = await Promise.all([port.callAsync(req), port.callAsync(req)]);
    expect(await port.callAsync(req)).toEqual({ ok: 'ran' });              // a late retry too
    expect([a, b]).toEqual([{ ok: 'ran' }, { ok: 'ran' }]);
    expect(rt.atomic('runs').load()).toBe(1);
    await worker.terminate();
  });

  it('callee terminated mid-call: every pending call rejects at once, later calls too', async () => {
    const rt = await Runtime.create();
    const { worker } = await callee(rt);
    const api = wrap<Api>(rt.port('api'));
    const pending = [api.hang(), api.hang(), api.slow(60_000)];
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await worker.terminate();
    for (const p of pending) await expect(p).rejects.toThrow(DeadPeerError);
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(api.add(1, 2)).rejects.toThrow(DeadPeerError);
    expect(() => wrapSync<Api>(rt.port('api')).add(1, 2)).toThrow(DeadPeerError);
  });
});
