// Bridged topics (wasm-ipc/nats): every subscriber of every process sees every message
// published after it subscribed, in order, through a real nats-server -js; keys; bad input;
// policy 'block': the slowest subscriber (of any process) holds publishers back, a killed one stops.
import { describe, it, expect } from 'vitest';
import { Runtime, ClosedError, TimeoutError, WouldBlockError } from '../dist/node/index.js';
import { Bridge } from '../dist/node/nats.js';
import { forkChild, kill9, until, natsSuite } from './nats/setup';

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

describe("bridged topic, policy 'block' (a JetStream stream)", () => {
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const consumers = async (stream: string): Promise<string[]> => {
    const names: string[] = [];
    for await (const c of w.bridge.jsm.consumers.list(stream)) names.push(c.name);
    return names;
  };

  it('two subscriber processes and one of this process each see every message once, in order, the publisher held to the slowest', async () => {
    const N = 400, capacity = 16;
    const subs = [0, 1].map(() => forkChild('subscriber', w.server.url, { topic: 'bt-all', count: N, policy: 'block', capacity }));
    w.children.push(...subs);
    await until(() => subs.every((s) => s.messages.some((m) => m.subscribed)), 'the subscriptions');
    const topic = w.bridge.topic<number>('bt-all', { codec: 'json', policy: 'block', capacity });
    const mine = await topic.subscribe();
    const publishing = (async () => { for (let i = 0; i < N; i++) await topic.publishAsync(i, { key: i % 3 }); })();
    // this subscriber does not read yet: the publisher stops `capacity` messages ahead of it
    let held = 0;
    for (const t = Date.now(); held < capacity && Date.now() - t < 20_000; await new Promise((r) => setTimeout(r, 20))) {
      held = (await w.bridge.jsm.streams.info('wipc_btopic_bt-all')).state.messages;
    }
    expect(held).toBe(capacity);
    expect(await mine.receiveAsync({ timeout: 1000 })).toEqual({ value: 0, key: 0, lost: 0 });
    const got: number[] = [0];
    for (let i = 1; i < N; i++) {
      const m = await mine.receiveAsync({ timeout: 20_000 });
      got.push(m.value);
      expect(m.key).toBe(m.value % 3);
    }
    await publishing;
    expect(got).toEqual(range(N));
    expect(await Promise.all(subs.map((s) => s.exited))).toEqual([0, 0]);
    for (const s of subs) expect(s.messages.find((m) => m.got).got).toEqual(range(N).map((i) => [i, i % 3]));
    await mine.unsubscribe();
    expect((await w.bridge.jsm.streams.info('wipc_btopic_bt-all')).state.messages).toBe(0);   // nothing kept once all received
    await topic.unlink();
  });

  it('a subscriber `capacity` behind holds publishers: try gives false, a timeout TimeoutError, its receive lets one through; only what came after a subscribe, only its key', async () => {
    const topic = w.bridge.topic<string>('bt-hold', { codec: 'string', policy: 'block', capacity: 4 });
    await topic.publishAsync('nobody listens');                          // not kept: nobody to hold it for
    const slow = await topic.subscribe();
    const five = await topic.subscribe({ key: 5 });
    for (let i = 0; i < 4; i++) expect(await topic.tryPublishAsync(`m${i}`)).toBe(true);
    expect(await topic.tryPublishAsync('m4')).toBe(false);               // slow is 4 behind (five holds none of key 0)
    await expect(topic.publishAsync('m4', { timeout: 300 })).rejects.toBeInstanceOf(TimeoutError);
    const ac = new AbortController();
    const aborted = topic.publishAsync('m4', { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    const held = topic.publishAsync('m4');                              // waits for room
    // behind it, this handle's later publishes keep their own timeout (and are then never
    // published), and the try form gives false at once
    const t0 = Date.now();
    await expect(topic.publishAsync('late', { timeout: 200 })).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await topic.tryPublishAsync('never')).toBe(false);
    expect(await slow.receiveAsync({ timeout: 5000 })).toEqual({ value: 'm0', key: 0, lost: 0 });
    await held;
    for (let i = 1; i <= 4; i++) expect((await slow.receiveAsync({ timeout: 5000 })).value).toBe(`m${i}`);
    await topic.publishAsync('to five', { key: 5 });
    expect(await five.receiveAsync({ timeout: 5000 })).toEqual({ value: 'to five', key: 5, lost: 0 });
    expect((await slow.receiveAsync({ timeout: 5000 })).value).toBe('to five');
    await expect(five.receiveAsync({ timeout: 200 })).rejects.toBeInstanceOf(TimeoutError);
    // unsubscribing releases: slow stops holding anything back
    for (let i = 0; i < 4; i++) await topic.publishAsync(`n${i}`);
    expect(await topic.tryPublishAsync('n4')).toBe(false);
    const waiting = expect(slow.receiveAsync()).rejects.toBeInstanceOf(ClosedError);
    await slow.unsubscribe();
    await waiting;
    await expect(slow.receiveAsync()).rejects.toBeInstanceOf(ClosedError);
    expect(await topic.tryPublishAsync('n4')).toBe(true);
    // unlink ends it for everyone
    const pending = expect(five.receiveAsync()).rejects.toBeInstanceOf(ClosedError);
    await topic.unlink();
    await pending;
    await expect(topic.publishAsync('after')).rejects.toBeInstanceOf(ClosedError);
  });

  it('a subscriber process killed with kill -9 stops holding publishers back; every message reaches the live subscriber', async () => {
    const capacity = 8, N = 60;
    const dead = forkChild('subscriber', w.server.url, { topic: 'bt-kill', policy: 'block', capacity, hold: true });
    w.children.push(dead);
    await until(() => dead.messages.some((m) => m.subscribed), 'the subscription');
    const topic = w.bridge.topic<number>('bt-kill', { codec: 'json', policy: 'block', capacity });
    const live = await topic.subscribe();
    expect((await consumers('wipc_btopic_bt-kill')).length).toBe(2);
    for (let i = 0; i < capacity; i++) await topic.publishAsync(i);
    expect(await topic.tryPublishAsync(capacity)).toBe(false);          // the holding child is full
    await kill9(dead);
    const got: number[] = [];
    const reading = (async () => { for (let i = 0; i < N; i++) got.push((await live.receiveAsync({ timeout: 30_000 })).value); })();
    // the try form alone finds the dead subscriber too (it starts the same search)
    let room = false;
    for (const t = Date.now(); !room && Date.now() - t < 15_000; await new Promise((r) => setTimeout(r, 50))) room = await topic.tryPublishAsync(capacity);
    expect(room).toBe(true);
    for (let i = capacity + 1; i < N; i++) await topic.publishAsync(i, { timeout: 30_000 });
    await reading;
    expect(got).toEqual(range(N));
    expect((await consumers('wipc_btopic_bt-kill')).length).toBe(1);    // the dead one's consumer was deleted
    await topic.unlink();
  });

  it('bad input and the forms that would block', async () => {
    expect(() => w.bridge.topic('bt-bad', { policy: 'bogus' as 'block' })).toThrow(TypeError);
    expect(() => w.bridge.topic('bt.bad', { policy: 'block' })).toThrow(TypeError);
    expect(() => w.bridge.topic('bt-bad', { policy: 'block', capacity: 0 })).toThrow(RangeError);
    expect(() => w.bridge.topic('bt-bad', { policy: 'block', ackWait: 10 })).toThrow(RangeError);
    const topic = w.bridge.topic('bt-bad', { policy: 'block', capacity: 4 });
    expect(() => topic.publish()).toThrow(WouldBlockError);
    await expect(topic.publishAsync(new Uint8Array(8192))).rejects.toThrow(/max_payload/);
    await expect(topic.publishAsync(new Uint8Array(1), { key: -1 })).rejects.toBeInstanceOf(RangeError);
    const sub = await topic.subscribe();
    expect(() => sub.tryReceive()).toThrow(WouldBlockError);
    await sub.unsubscribe();
    await topic.unlink();
  });
});
