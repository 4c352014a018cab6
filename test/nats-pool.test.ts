// A bridged WorkerPool (wasm-ipc/nats): tasks run by the worker threads of other processes,
// through a real nats-server -js; a serving process killed (kill -9) with tasks running.
import { describe, it, expect, beforeAll } from 'vitest';
import type { BridgedPool } from '../dist/node/nats.js';
import { forkChild, kill9, until, type Child, natsSuite } from './nats/setup';

const w = natsSuite('nats-pool-test');
let pool: BridgedPool;
const serve = (): Child => { const c = forkChild('poolserver', w.server.url, { pool: 'p1' }); w.children.push(c); return c; };

beforeAll(async () => {
  pool = await w.bridge.workerPool('p1', { ackWait: 1000 });   // a client only: no workers here
});

describe('bridged worker pool', () => {
  it("tasks are taken by the workers of two other processes; results and errors come back", async () => {
    const a = serve(); const b = serve();
    await until(() => [a, b].every((c) => c.messages.some((m) => m.serving)), 'the serving processes');
    expect(await pool.run('add', [2, 3])).toBe(5);
    const out = await Promise.all(Array.from({ length: 40 }, (_, k) => pool.run<{ tag: number; pid: number }>('slow', [20, k])));
    expect(out.map((r) => r.tag)).toEqual(Array.from({ length: 40 }, (_, k) => k));
    expect(new Set(out.map((r) => r.pid))).toEqual(new Set([a.proc.pid, b.proc.pid]));
    await expect(pool.run('fail')).rejects.toThrow(/no such thing/);
    await expect(pool.run('add', [() => 1])).rejects.toBeInstanceOf(TypeError);
    await kill9(a); await kill9(b);
  });

  it("local fast path: a serving handle's own runs go straight to its free workers; the rest by the stream", async () => {
    const here = await w.bridge.workerPool('p-here', { filename: new URL('./nats/tasks.mjs', import.meta.url), size: 2 });
    try {
      const stored = async (): Promise<number> => (await w.bridge.jsm.streams.info('wipc_channel_pool-p-here')).state.last_seq;
      for (let k = 0; k < 20; k++) expect(await here.run('add', [k, 1])).toBe(k + 1);
      expect(await stored(), 'nothing through the stream').toBe(0);
      // two workers free: two runs go straight to them, the other eight by the stream (and its serve loops)
      const out = await Promise.all(Array.from({ length: 10 }, (_, k) => here.run<{ tag: number; pid: number }>('slow', [30, k])));
      expect(out).toEqual(Array.from({ length: 10 }, (_, k) => ({ tag: k, pid: process.pid })));
      expect(await stored()).toBe(8);
      await expect(here.run('fail')).rejects.toThrow(/no such thing/);
    } finally {
      await here.close();
    }
    await expect(here.run('add', [1, 1])).rejects.toThrow(/closed/);
  });

  it('a serving process killed with tasks running: its tasks are redelivered and done by another, each result once', async () => {
    const a = serve(); const b = serve();
    await until(() => [a, b].every((c) => c.messages.some((m) => m.serving)), 'the serving processes');
    const runs = Array.from({ length: 12 }, (_, k) => pool.run<{ tag: number; pid: number }>('slow', [300, k]));
    await new Promise((r) => setTimeout(r, 150));
    await kill9(a);
    const out = await Promise.all(runs);
    expect(out.map((r) => r.tag)).toEqual(Array.from({ length: 12 }, (_, k) => k));
    expect(out.some((r) => r.pid === b.proc.pid)).toBe(true);
    await kill9(b);
  });
});
