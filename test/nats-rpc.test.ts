// RPC over bridged ports (wasm-ipc/nats): expose() in forked processes, wrap() here, through a
// real nats-server -js. Results and remote errors, a queue group of two callees, no responders
// (DeadPeerError), timeouts (TimeoutError) and AbortSignals reaching the callee's
// currentCall().signal, bad arguments, and the server stopped while calls are pending.
import { describe, it, expect, beforeAll } from 'vitest';
import { Runtime, DeadPeerError, TimeoutError, WouldBlockError, callOptions } from '../dist/node/index.js';
import { Bridge, wrap, expose } from '../dist/node/nats.js';
import { startServer, forkChild, kill9, until, type NatsServer, natsSuite } from './nats/setup';

interface Api { add(a: number, b: number): number; whoami(): number; fail(): never; slow(ms: number): string }

const w = natsSuite('nats-rpc-test');

beforeAll(async () => {
  for (let i = 0; i < 2; i++) w.children.push(forkChild('rpc', w.server.url, { port: 'calc' }));
  await until(() => w.children.every((c) => c.messages.some((m) => m.serving)), 'the callees to serve');
});

describe('bridged RPC', () => {
  it('calls an api exposed in other processes; each call runs in one of them', async () => {
    const api = wrap<Api>(w.bridge.port('calc'));
    expect(await api.add(2, 3)).toBe(5);
    const pids = new Set<number>();
    for (let i = 0; i < 40; i++) pids.add(await api.whoami());
    expect(pids).toEqual(new Set(w.children.map((c) => c.proc.pid)));
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => api.add(i, i)));
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => 2 * i));
  });

  it('a remote error comes back with its class name, message and properties', async () => {
    const api = wrap<Api>(w.bridge.port('calc'));
    const e = await api.fail().catch((x: unknown) => x) as Error & { detail?: number };
    expect(e.name).toBe('RangeError');
    expect(e.message).toBe('bad value');
    expect(e.detail).toBe(7);
  });

  it('nobody serving the port: DeadPeerError at once', async () => {
    const api = wrap<Api>(w.bridge.port('nobody-here'));
    await expect(api.add(1, 2)).rejects.toBeInstanceOf(DeadPeerError);
    await expect(w.bridge.port('nobody-here').callAsync(new Uint8Array(1))).rejects.toBeInstanceOf(DeadPeerError);
  });

  it('no reply in time: TimeoutError, and the callee sees its signal abort', async () => {
    const api = wrap<Api>(w.bridge.port('calc'));
    const before = w.children.flatMap((c) => c.messages).filter((m) => m.aborted).length;
    await expect(api.slow(10_000, callOptions({ timeout: 200 }))).rejects.toBeInstanceOf(TimeoutError);
    await until(() => w.children.flatMap((c) => c.messages).filter((m) => m.aborted).length === before + 1, "the callee's abort");
  });

  it("an AbortSignal rejects with its reason and aborts the callee's signal", async () => {
    const api = wrap<Api>(w.bridge.port('calc'));
    const before = w.children.flatMap((c) => c.messages).filter((m) => m.aborted).length;
    const ac = new AbortController();
    const p = api.slow(10_000, callOptions({ signal: ac.signal }));
    setTimeout(() => ac.abort(new Error('changed my mind')), 100);
    await expect(p).rejects.toThrow('changed my mind');
    await until(() => w.children.flatMap((c) => c.messages).filter((m) => m.aborted).length === before + 1, "the callee's abort");
    expect(await api.slow(10)).toBe('finished');
  });

  it('bad input: functions as arguments, bad port names, blocking forms', async () => {
    const api = wrap<{ add(a: unknown, b: number): number }>(w.bridge.port('calc'));
    await expect(api.add(() => 1, 2)).rejects.toBeInstanceOf(TypeError);
    expect(() => w.bridge.port('calc.*')).toThrow(TypeError);
    expect(() => w.bridge.port('calc').call()).toThrow(WouldBlockError);
  });

  it('ports without RPC: callAsync / receiveAsync / reply in one process', async () => {
    const port = w.bridge.port<string>('echo', { codec: 'string' });
    void (async () => { const m = await port.receiveAsync(); m.reply(`echo ${m.value}`); })();
    const caller = w.bridge.port<string>('echo', { codec: 'string' });
    // the receiver subscribes at its first receiveAsync(): retry until it is there
    let answer: string | undefined;
    while (answer === undefined) answer = await caller.callAsync('hi').catch((e) => { if (e instanceof DeadPeerError) return undefined; throw e; });
    expect(answer).toBe('echo hi');
  });
});

describe('bridged RPC, the server stopped under traffic', () => {
  it('pending calls fail with DeadPeerError; after the restart calls work again', async () => {
    const s = await startServer();
    const rt2 = await Runtime.create({ size: 1 << 20 });
    const b = await Bridge.connect(rt2, { servers: s.url, name: 'rpc-restart' });
    const callee = forkChild('rpc', s.url, { port: 'calc' });
    w.children.push(callee);
    let s2: NatsServer | undefined;
    try {
      await until(() => callee.messages.some((m) => m.serving), 'the callee');
      const api = wrap<Api>(b.port('calc'));
      expect(await api.add(1, 1)).toBe(2);
      const pending = Array.from({ length: 5 }, () => api.slow(30_000).then(() => 'resolved', (e: Error) => e));
      await new Promise((r) => setTimeout(r, 200));
      await s.stop({ removeStore: false });
      const outcomes = await Promise.all(pending);
      expect(outcomes.every((e) => e instanceof DeadPeerError)).toBe(true);
      s2 = await startServer({ port: s.port, storeDir: s.storeDir });
      let sum: number | undefined;
      for (let t = Date.now(); sum === undefined && Date.now() - t < 20_000;) {
        sum = await api.add(20, 22, callOptions({ timeout: 1000 })).catch(() => undefined);
      }
      expect(sum).toBe(42);
    } finally {
      await kill9(callee);
      await b.close();
      rt2.close();
      await s2?.stop();
      await s.stop();
    }
  });
});

describe('bridged RPC and ports, the local fast path', () => {
  it('a caller and an exposer of one process talk through shared memory: with the NATS server gone too', async () => {
    const s = await startServer();
    const rtL = await Runtime.create({ size: 1 << 20 });
    const serving = await Bridge.connect(rtL, { servers: s.url, name: 'local-exposer' });    // one thread of this process
    const calling = await Bridge.connect(rtL, { servers: s.url, name: 'local-caller' });     // another bridge of the same segment
    const rtFar = await Runtime.create({ size: 1 << 20 });
    const far = await Bridge.connect(rtFar, { servers: s.url, name: 'far-caller' });         // another process's
    let stopped = false;
    try {
      const api = { add: (a: number, b: number) => a + b, fail: () => { throw new RangeError('nope'); } };
      const exposed = expose(api, serving.port('svc'));
      const echo = serving.port<string>('echo', { codec: 'string' });
      void (async () => { for await (const m of echo) if (m.owed) m.reply(`echo ${m.value}`); })();
      await serving.nc.flush();
      const near = wrap<typeof api>(calling.port('svc'));
      const far1 = wrap<typeof api>(far.port('svc'));
      expect(await near.add(1, 2)).toBe(3);
      expect(await far1.add(3, 4)).toBe(7);                               // the far one by NATS
      await s.stop();
      stopped = true;
      // NATS is gone: the far caller cannot reach the exposer, this process's caller still does
      await expect(far1.add(1, 1, callOptions({ timeout: 300 }))).rejects.toBeInstanceOf(Error);
      const sums = await Promise.all(Array.from({ length: 200 }, (_, i) => near.add(i, 1)));
      expect(sums).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      await expect(near.fail()).rejects.toThrow('nope');                  // remote errors as ever
      const port = calling.port<string>('echo', { codec: 'string' });
      expect(await port.callAsync('hi', { timeout: 5000 })).toBe('echo hi');
      // the exposer stops: its local port goes, and calls go by NATS again (down: they fail)
      exposed.stop();
      await expect(near.add(1, 1, callOptions({ timeout: 300 }))).rejects.toBeInstanceOf(Error);
    } finally {
      for (const b of [serving, calling, far]) await Promise.race([b.close(), new Promise((r) => setTimeout(r, 2000))]);
      rtL.close();
      rtFar.close();
      if (!stopped) await s.stop();
    }
  });
});
