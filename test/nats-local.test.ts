// The local fast path of a bridged channel (ts/bridge/channel.ts, handoff.ts, local.ts) between
// REAL threads of one process: a receiver in a worker thread gets this thread's sends through
// shared memory (nothing reaches the JetStream stream), and a receiver thread terminated in the
// middle of a stream of sends makes no send hang, doubles nothing, and the sends go on to the
// next receiver (by the stream, or by the local port once that receiver claims it).
// Against a real nats-server -js started here; nothing is mocked.
import { describe, it, expect } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { TimeoutError } from '../dist/node/index.js';
import { Bridge } from '../dist/node/nats.js';
import { sleep, until, natsSuite } from './nats/setup';

const w = natsSuite('nats-local-test');
let seq = 0;
const fresh = (what: string): string => `${what}-${process.pid}-${++seq}`;

const localPort = (name: string): string => `wipc.nats.channel.${name}`;
/** Whether some thread of w.rt's segment owns the channel's local port (it exists). */
const portExists = (name: string): boolean => {
  try { w.rt.port(localPort(name), { create: false }).dispose(); return true; } catch { return false; }
};
const lastSeq = async (name: string): Promise<number> => (await w.bridge.jsm.streams.info(`wipc_channel_${name}`)).state.last_seq;

// The receiving worker: attaches to the spawner's segment, opens the bridged channel on its own
// bridge, and posts { got } for each of `n` values recvAsync() returns, then { done }.
const WORKER = `
  import { Runtime } from ${JSON.stringify(new URL('../dist/node/index.js', import.meta.url).href)};
  import { Bridge } from ${JSON.stringify(new URL('../dist/node/nats.js', import.meta.url).href)};
  import { parentPort } from 'node:worker_threads';
  const rt = await Runtime.attach();
  const { servers, name, n } = rt.data;
  const bridge = await Bridge.connect(rt, { servers, name: 'nats-local-worker' });
  const ch = await bridge.channel(name, { codec: 'json' });
  parentPort.postMessage({ ready: true });
  try {
    for (let i = 0; i < n; i++) parentPort.postMessage({ got: await ch.recvAsync() });
    parentPort.postMessage({ done: true });
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.stack || e) });
  }
`;

interface Receiver { worker: Worker; got: number[]; errors: string[]; ready: Promise<void>; exited: Promise<number> }

function spawnReceiver(name: string, n: number, onValue: (v: number) => void = () => {}): Receiver {
  const worker = w.rt.spawn(new URL('data:text/javascript,' + encodeURIComponent(WORKER)), {
    name: 'nats-local-receiver', data: { servers: w.server.url, name, n },
  }) as Worker;
  const got: number[] = [];
  const errors: string[] = [];
  let ready!: () => void;
  const readyP = new Promise<void>((r) => { ready = r; });
  worker.on('message', (m: any) => {
    if (m.ready) ready();
    else if ('got' in m) { got.push(m.got); onValue(m.got); } else if (m.error) errors.push(m.error);
  });
  worker.on('error', (e) => errors.push(String(e?.stack ?? e)));
  // registered after spawn()'s own 'exit' listener: the thread is marked dead in the segment by then
  const exited = new Promise<number>((r) => worker.once('exit', (code) => { ready(); r(code); }));
  return { worker, got, errors, ready: readyP, exited };
}

/** A send that must settle: its own timeout (TimeoutError), and a guard in case even that never fires. */
async function sendOrFail(send: () => Promise<void>, what: string, ms = 20_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} hung (not settled within ${ms + 10_000} ms)`)), ms + 10_000); });
  try { await Promise.race([send(), guard]); } finally { clearTimeout(timer); }
}

describe('bridged channel, the local fast path between threads', () => {
  it("a worker thread's receiver gets every message of this thread's sender through shared memory", async () => {
    const name = fresh('thread-rx');
    const N = 500;
    const tx = await w.bridge.channel<number>(name, { codec: 'json' });   // creates the stream
    const rx = spawnReceiver(name, N);
    try {
      await rx.ready;
      await until(() => portExists(name) || rx.errors.length > 0, 'the worker to own the local port');
      expect(rx.errors).toEqual([]);
      for (let i = 0; i < N; i++) await sendOrFail(() => tx.sendAsync(i, { timeout: 20_000 }), `sendAsync(${i})`);
      await until(() => rx.got.length >= N || rx.errors.length > 0, `${N} values in the worker`, 60_000);
      expect(rx.errors).toEqual([]);
      expect(rx.got).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(await lastSeq(name), 'nothing went through the JetStream stream').toBe(0);
    } finally {
      await rx.worker.terminate();
      await tx.unlink();
    }
  }, 120_000);

  it('the owner thread terminated mid-stream: no send hangs, nothing is doubled, and sends go by the stream to the next receiver', async () => {
    const name = fresh('thread-kill');
    const N = 600;
    const KILL_AFTER = 100;
    const tx = await w.bridge.channel<number>(name, { codec: 'json' });   // creates the stream
    const other = await Bridge.connect(w.rt, { servers: w.server.url, name: 'nats-local-next' });   // another bridge of this segment
    let started = 0;                          // sends begun so far (value i's send is the (i+1)th)
    let startedAtExit = -1;                   // sends begun when the worker's exit event came
    let reportedAtExit = -1;                  // the worker's values reported by then
    let terminating = false;
    const rx = spawnReceiver(name, N, () => {
      if (!terminating && rx.got.length >= KILL_AFTER) { terminating = true; void rx.worker.terminate(); }   // while the sends go on
    });
    void rx.exited.then(() => { startedAtExit = started; reportedAtExit = rx.got.length; });
    const next = await other.channel<number>(name, { codec: 'json' });
    const main: number[] = [];
    let stop = false;
    let mainError: unknown;
    // the next receiver, in this thread, started only once the worker is gone
    const receiving = rx.exited.then(async () => {
      while (!stop) {
        try { main.push(await next.recvAsync({ timeout: 1000 })); } catch (e) {
          if (e instanceof TimeoutError) continue;
          if (!stop) mainError = e;
          return;
        }
      }
    });
    try {
      await rx.ready;
      await until(() => portExists(name) || rx.errors.length > 0, 'the worker to own the local port');
      expect(rx.errors).toEqual([]);
      for (let i = 0; i < N; i++) {
        started++;
        await sendOrFail(() => tx.sendAsync(i, { timeout: 20_000 }), `sendAsync(${i})`);
      }
      await until(() => startedAtExit >= 0, 'the worker to exit');
      expect(startedAtExit, 'the worker exited while the sends went on').toBeLessThan(N);
      // every value sent after the exit reaches the next receiver
      const afterExit = Array.from({ length: N - startedAtExit }, (_, k) => startedAtExit + k);
      await until(() => mainError !== undefined || afterExit.every((v) => main.includes(v)), 'every value sent after the exit at the next receiver', 60_000);
      expect(mainError).toBeUndefined();
      const lastReported = Math.max(-1, ...rx.got);
      const seen = new Map<number, number>();
      for (const v of [...rx.got, ...main]) seen.set(v, (seen.get(v) ?? 0) + 1);
      // what the worker may have taken and never reported: sent (begun) before its exit, after its last report
      const mayBeLost = (v: number): boolean => v > lastReported && v < startedAtExit;
      const missing = (): number[] => Array.from({ length: N }, (_, i) => i).filter((i) => !seen.has(i));
      // a message it pulled from the stream and never acknowledged comes back after the ack wait (30 s)
      await until(() => {
        seen.clear();
        for (const v of [...rx.got, ...main]) seen.set(v, (seen.get(v) ?? 0) + 1);
        return missing().every(mayBeLost);
      }, 'every value the worker cannot have taken', 60_000).catch(() => undefined);
      await sleep(500);                        // anything doubled late would show now
      stop = true;
      await receiving;
      seen.clear();
      for (const v of [...rx.got, ...main]) seen.set(v, (seen.get(v) ?? 0) + 1);
      const lost = missing();
      const duplicated = [...seen.entries()].filter(([, n]) => n > 1).map(([v]) => v);
      const stored = await lastSeq(name);
      console.log(`owner thread terminated after ${reportedAtExit} reports (${rx.got.length} in all), ${startedAtExit} sends begun by its exit; `
        + `worker ${rx.got.length}, next receiver ${main.length}, stream last_seq ${stored}; lost-at-kill ${lost.length} [${lost.join(',')}], duplicated ${duplicated.length}`);
      expect(rx.errors).toEqual([]);
      expect(duplicated, 'no value received twice').toEqual([]);
      expect(lost.filter((v) => !mayBeLost(v)), 'only values the worker took between its last report and its exit may be lost').toEqual([]);
      expect(rx.got, 'the worker got its values in send order').toEqual([...rx.got].sort((a, b) => a - b));
      expect(stored, 'not every send went by the stream').toBeLessThan(N);
    } finally {
      stop = true;
      if (!terminating) await rx.worker.terminate();
      await rx.exited;
      await receiving.catch(() => undefined);
      await tx.unlink();
      await other.close();
    }
  }, 180_000);
});
