// Bridged topics (wasm-ipc/nats): every subscriber of every process sees every message
// published after it subscribed, in order, through a real nats-server -js; keys; bad input.
import { describe, it, expect } from 'vitest';
import { Runtime, ClosedError, TimeoutError } from '../dist/node/index.js';
import { Bridge } from '../dist/node/nats.js';
import { forkChild, until, natsSuite } from './nats/setup';

const w = natsSuite('nats-topic-test', { maxPayload: 4096 });

describe('bridged topic', () => {
  it('three subscriber processes each see every message, in order', async () => {
    const N = 2000;
    const subs = [0, 1, 2].map(() => forkChild('subscriber', w.server.url, { topic: 'news', count: N }));
    w.children.push(...subs);
    await until(() => subs.every((s) => s.messages.some((m) => m.subscribed)), 'the subscriptions');
    const topic = w.bridge.topic<number>('news', { codec: 'json' });
    for (let i = 0; i < N; i++) topic.publish(i);
    expect(await Promise.all(subs.map((s) => s.exited))).toEqual([0, 0, 0]);
    for (const s of subs) expect(s.messages.find((m) => m.got).got).toEqual(Array.from({ length: N }, (_, i) => [i, 0]));
  });

  it('a subscription sees only what was published after it, only its key, and ends when unsubscribed', async () => {
    const topic = w.bridge.topic<string>('keys', { codec: 'string' });
    topic.publish('before');
    const all = await topic.subscribe();
    const seven = await topic.subscribe({ key: 7 });
    topic.publish('a', { key: 1 });
    await topic.publishAsync('b', { key: 7 });
    expect(await all.receiveAsync()).toEqual({ value: 'a', key: 1, lost: 0 });
    expect(await all.receiveAsync()).toEqual({ value: 'b', key: 7, lost: 0 });
    expect(await seven.receiveAsync()).toEqual({ value: 'b', key: 7, lost: 0 });
    await expect(seven.receiveAsync({ timeout: 100 })).rejects.toBeInstanceOf(TimeoutError);
    expect(seven.tryReceive()).toBeUndefined();                       // the try form: nothing here yet
    await topic.publishAsync('c', { key: 7 });
    let got = seven.tryReceive();
    for (let t = 0; t < 100 && got === undefined; t++) { await new Promise((r) => setTimeout(r, 5)); got = seven.tryReceive(); }
    expect(got).toEqual({ value: 'c', key: 7, lost: 0 });              // ... and once it came, without a wait
    expect(await all.receiveAsync()).toEqual({ value: 'c', key: 7, lost: 0 });
    const waiting = all.receiveAsync();
    all.unsubscribe();
    await expect(waiting).rejects.toBeInstanceOf(ClosedError);
    expect(() => all.tryReceive()).toThrow(ClosedError);
    seven.unsubscribe();
  });

  it('subscribers of this process take its messages from shared memory, other processes by NATS; each message once', async () => {
    const near = await Bridge.connect(w.rt, { servers: w.server.url });      // another bridge of this segment: another thread of this process
    const farRt = await Runtime.create({ size: 1 << 20 });
    const far = await Bridge.connect(farRt, { servers: w.server.url });    // another segment: another process
    try {
      const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
      const mine = await near.topic<number>('fast', { codec: 'json' }).subscribe();
      const theirs = await far.topic<number>('fast', { codec: 'json' }).subscribe();
      const topic = w.bridge.topic<number>('fast', { codec: 'json' });
      const N = 300;                                                     // more than the 256 the segment keeps unread
      for (let i = 0; i < N; i++) topic.publish(i);
      await w.bridge.nc.flush();
      const farGot: number[] = [];
      for (let i = 0; i < N; i++) farGot.push((await theirs.receiveAsync({ timeout: 5000 })).value);
      expect(farGot).toEqual(range(0, N));                                // by NATS: all of them
      // this process's subscriber had them from shared memory: the ring overwrote the oldest
      // (counted, as locally), the rest came once and in order, and the NATS copies were dropped
      expect(await mine.receiveAsync()).toEqual({ value: N - 256, key: 0, lost: N - 256 });
      const rest: number[] = [];
      for (let m = mine.tryReceive(); m !== undefined; m = mine.tryReceive()) rest.push(m.value);
      expect(rest).toEqual(range(N - 255, N));
      await new Promise((r) => setTimeout(r, 100));
      expect(mine.tryReceive()).toBeUndefined();
      // another process's message reaches this one by NATS, once
      far.topic<number>('fast', { codec: 'json' }).publish(-1);
      await far.nc.flush();
      expect(await mine.receiveAsync({ timeout: 5000 })).toEqual({ value: -1, key: 0, lost: 0 });
      // a message over the 2 KiB that shared memory carries goes by NATS, to this process too
      const words = await near.topic<string>('big', { codec: 'string' }).subscribe();
      const big = 'x'.repeat(3000);
      w.bridge.topic<string>('big', { codec: 'string' }).publish(big, { key: 3 });
      expect(await words.receiveAsync({ timeout: 5000 })).toEqual({ value: big, key: 3, lost: 0 });
      await new Promise((r) => setTimeout(r, 100));
      expect(words.tryReceive()).toBeUndefined();
      // a wait that a local message ends leaves no stray waiter behind: the next NATS message is not lost
      const waiting = mine.receiveAsync({ timeout: 5000 });
      topic.publish(7);
      expect(await waiting).toEqual({ value: 7, key: 0, lost: 0 });
      far.topic<number>('fast', { codec: 'json' }).publish(8);
      expect(await mine.receiveAsync({ timeout: 5000 })).toEqual({ value: 8, key: 0, lost: 0 });
      // a subscriber already waiting when this process's first publisher appears is woken too
      // (it waited on NATS alone: the publisher's NATS copy rings, the message comes from shared memory)
      const bell = await near.topic<number>('bell', { codec: 'json' }).subscribe();
      const ringing = bell.receiveAsync({ timeout: 5000 });
      w.bridge.topic<number>('bell', { codec: 'json' }).publish(5);
      expect(await ringing).toEqual({ value: 5, key: 0, lost: 0 });
      await new Promise((r) => setTimeout(r, 100));
      expect(bell.tryReceive()).toBeUndefined();                       // and once
    } finally {
      await near.close();
      await far.close();
      farRt.close();
    }
  });

  it("the client keeps a message's subject bytes where a subscription reads them (ts/bridge/topic.ts subjectBytes)", async () => {
    // the fast parse of `<base>.<key>[.<origin>]` reads nats-core's private _msg.subject; a
    // client upgrade that moves it would silently send every message down the slower path
    const seen = new Promise<{ raw: unknown; subject: string }>((resolve) => {
      const sub = w.bridge.nc.subscribe('wipc.probe.>', { callback: (_e, m) => { resolve({ raw: (m as any)._msg?.subject, subject: m.subject }); sub.unsubscribe(); } });
    });
    await w.bridge.nc.flush();
    w.bridge.nc.publish('wipc.probe.7.abc', new Uint8Array(1));
    const { raw, subject } = await seen;
    expect(raw).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(raw as Uint8Array)).toBe(subject);
    expect(subject).toBe('wipc.probe.7.abc');
  });

  it('bad input: names, keys, sizes over max_payload', () => {
    expect(() => w.bridge.topic('a.b')).toThrow(TypeError);
    expect(() => w.bridge.topic('news*')).toThrow(TypeError);
    const topic = w.bridge.topic('sizes');
    expect(() => topic.publish(new Uint8Array(1), { key: -1 })).toThrow(RangeError);
    expect(() => topic.publish(new Uint8Array(8192))).toThrow(/max_payload/);
  });
});
