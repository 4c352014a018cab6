// Bridged topics (wasm-ipc/nats): every subscriber of every process sees every message
// published after it subscribed, in order, through a real nats-server -js; keys; bad input.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Runtime, ClosedError, TimeoutError } from '../dist/node/index.js';
import { Bridge } from '../dist/node/nats.js';
import { startServer, forkChild, kill9, until, type NatsServer, type Child } from './nats/setup';

let server: NatsServer;
let rt: Runtime;
let bridge: Bridge;
const children: Child[] = [];

beforeAll(async () => {
  server = await startServer({ maxPayload: 4096 });
  rt = await Runtime.create({ size: 1 << 20 });
  bridge = await Bridge.connect(rt, { servers: server.url, name: 'nats-topic-test' });
});
afterAll(async () => {
  for (const c of children) await kill9(c);
  await bridge?.close();
  rt?.close();
  await server?.stop();
});

describe('bridged topic', () => {
  it('three subscriber processes each see every message, in order', async () => {
    const N = 2000;
    const subs = [0, 1, 2].map(() => forkChild('subscriber', server.url, { topic: 'news', count: N }));
    children.push(...subs);
    await until(() => subs.every((s) => s.messages.some((m) => m.subscribed)), 'the subscriptions');
    const topic = bridge.topic<number>('news', { codec: 'json' });
    for (let i = 0; i < N; i++) topic.publish(i);
    expect(await Promise.all(subs.map((s) => s.exited))).toEqual([0, 0, 0]);
    for (const s of subs) expect(s.messages.find((m) => m.got).got).toEqual(Array.from({ length: N }, (_, i) => [i, 0]));
  });

  it('a subscription sees only what was published after it, only its key, and ends when unsubscribed', async () => {
    const topic = bridge.topic<string>('keys', { codec: 'string' });
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

  it('bad input: names, keys, sizes over max_payload', () => {
    expect(() => bridge.topic('a.b')).toThrow(TypeError);
    expect(() => bridge.topic('news*')).toThrow(TypeError);
    const topic = bridge.topic('sizes');
    expect(() => topic.publish(new Uint8Array(1), { key: -1 })).toThrow(RangeError);
    expect(() => topic.publish(new Uint8Array(8192))).toThrow(/max_payload/);
  });
});
