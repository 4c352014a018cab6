// Bridged message queues (wasm-ipc/nats): priorities across processes, FIFO within one,
// persistence, back-pressure, unlink, bad input; a real nats-server -js started here.
import { describe, it, expect } from 'vitest';
import { Runtime, ClosedError, TimeoutError, WouldBlockError } from '../dist/node/index.js';
import { Bridge } from '../dist/node/nats.js';
import { forkChild, natsSuite, sleep } from './nats/setup';

const w = natsSuite('nats-mq-test');

describe('bridged message queue', () => {
  it('a receiver in another process gets the highest priority first, FIFO within a priority', async () => {
    const mq = await w.bridge.messageQueue<string>('prio', { codec: 'json' });
    const sent: [string, number][] = [['a', 0], ['b', 5], ['c', 31], ['d', 5], ['e', 0], ['f', 31], ['g', 1]];
    for (const [v, p] of sent) await mq.sendAsync(v, p);
    expect((await mq.attributes()).curMessages).toBe(7);
    const r = forkChild('mqreceiver', w.server.url, { mq: 'prio', count: 7 });
    w.children.push(r);
    expect(await r.exited).toBe(0);
    expect(r.messages.find((m) => m.got).got).toEqual([['c', 31], ['f', 31], ['b', 5], ['d', 5], ['g', 1], ['a', 0], ['e', 0]]);
    expect((await mq.attributes()).curMessages).toBe(0);
    await mq.unlink();
  });

  it('persisted: a queue outlives the handle and bridge that filled it', async () => {
    const rt2 = await Runtime.create({ size: 1 << 20 });
    const b2 = await Bridge.connect(rt2, { servers: w.server.url });
    const mq2 = await b2.messageQueue<number>('kept', { codec: 'json' });
    await mq2.sendAsync(1, 3);
    await b2.close();
    rt2.close();
    const mq = await w.bridge.messageQueue<number>('kept', { codec: 'json' });
    expect(await mq.receiveAsync({ timeout: 5000 })).toEqual({ value: 1, priority: 3 });
    await mq.unlink();
  });

  it('full at maxMessages: trySendAsync false, sendAsync times out; a waiting receive wakes on a send; unlink ends receivers', async () => {
    const mq = await w.bridge.messageQueue<number>('small', { codec: 'json', maxMessages: 2 });
    expect(await mq.trySendAsync(1)).toBe(true);
    expect(await mq.trySendAsync(2, 4)).toBe(true);
    expect(await mq.trySendAsync(3)).toBe(false);
    await expect(mq.sendAsync(3, 0, { timeout: 200 })).rejects.toBeInstanceOf(TimeoutError);
    expect(await mq.receiveAsync()).toEqual({ value: 2, priority: 4 });
    expect(await mq.receiveAsync()).toEqual({ value: 1, priority: 0 });
    await expect(mq.receiveAsync({ timeout: 300 })).rejects.toBeInstanceOf(TimeoutError);
    const waiting = mq.receiveAsync({ timeout: 10_000 });
    await mq.sendAsync(9, 2);
    expect(await waiting).toEqual({ value: 9, priority: 2 });
    const other = await w.bridge.messageQueue<number>('small', { codec: 'json' });
    await mq.unlink();
    await expect(other.receiveAsync({ timeout: 2000 })).rejects.toBeInstanceOf(ClosedError);
  });

  it('local fast path: a send to a receiver of this process that waits is handed over with its priority, never stored; unlink ends it', async () => {
    const other = await Bridge.connect(w.rt, { servers: w.server.url, name: 'mq-local-sender' });   // another bridge of this segment
    try {
      const rx = await w.bridge.messageQueue<number>('local', { codec: 'json' });
      const tx = await other.messageQueue<number>('local', { codec: 'json' });
      const lastSeq = async (): Promise<number> => (await w.bridge.jsm.streams.info('wipc_mq_local')).state.last_seq;
      const got = [];
      for (let i = 0; i < 20; i++) {
        const r = rx.receiveAsync({ timeout: 20_000 });
        await sleep(100);                          // it looked at the stream (empty) and waits
        await tx.sendAsync(i, i % 32);
        got.push(await r);
      }
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => ({ value: i, priority: i % 32 })));
      // (a receive slower than 100 ms to start would have taken a few from the stream: allowed)
      expect(await lastSeq(), 'handed over in shared memory').toBeLessThanOrEqual(3);
      // nobody waits: the stream keeps them, in priority order
      const before = await lastSeq();
      for (const [v, p] of [[1, 0], [2, 7], [3, 3]]) await tx.sendAsync(v!, p);
      expect(await lastSeq()).toBe(before + 3);
      expect([await rx.receiveAsync(), await rx.receiveAsync(), await rx.receiveAsync()].map((m) => m.value)).toEqual([2, 3, 1]);
      await rx.unlink();
      await expect(tx.sendAsync(4)).rejects.toBeInstanceOf(ClosedError);
    } finally {
      await other.close();
    }
  });

  it('bad input: priorities, names, blocking forms', async () => {
    const mq = await w.bridge.messageQueue('bad');
    await expect(mq.sendAsync(new Uint8Array(1), 32)).rejects.toBeInstanceOf(RangeError);
    await expect(mq.sendAsync(new Uint8Array(1), 1.5)).rejects.toBeInstanceOf(TypeError);
    await expect(w.bridge.messageQueue('q.1')).rejects.toBeInstanceOf(TypeError);
    expect(() => mq.receive()).toThrow(WouldBlockError);
    await mq.unlink();
  });
});
