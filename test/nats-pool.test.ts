// A bridged WorkerPool (wasm-ipc/nats): tasks run by the worker threads of other processes,
// through a real nats-server -js; a serving process killed (kill -9) with tasks running.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Runtime } from '../dist/node/index.js';
import { Bridge, type BridgedPool } from '../dist/node/nats.js';
import { startServer, forkChild, kill9, until, type NatsServer, type Child } from './nats/setup';

let server: NatsServer;
let rt: Runtime;
let bridge: Bridge;
let pool: BridgedPool;
const children: Child[] = [];
const serve = (): Child => { const c = forkChild('poolserver', server.url, { pool: 'p1' }); children.push(c); return c; };

beforeAll(async () => {
  server = await startServer();
  rt = await Runtime.create({ size: 1 << 20 });
  bridge = await Bridge.connect(rt, { servers: server.url, name: 'nats-pool-test' });
  pool = await bridge.workerPool('p1', { ackWait: 1000 });   // a client only: no workers here
});
afterAll(async () => {
  for (const c of children) await kill9(c);
  await bridge?.close();
  rt?.close();
  await server?.stop();
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
