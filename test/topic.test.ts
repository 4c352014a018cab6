import { describe, it, expect } from 'vitest';
import { Runtime, TimeoutError, LimitError, MessageTooLargeError, ClosedError } from '../dist/node/index.js';
import { runWorker } from './helpers';

const END = (() => { const m = new Uint8Array(8); new DataView(m.buffer).setUint32(0, 0xffffffff, true); return m; })();
const msg = (seq: number) => { const m = new Uint8Array(8); new DataView(m.buffer).setUint32(0, seq, true); return m; };
const seqOf = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset).getUint32(0, true);

describe('Topic (publish/subscribe)', () => {
  it('1 publisher × 3 subscribers × 10^6 messages (block): each subscriber gets every message once, in order', async () => {
    const rt = await Runtime.create({ size: 4 << 20 });
    const topic = rt.topic('t', { capacity: 1024, maxMessageSize: 8 });
    const count = 1_000_000;
    const subs = [0, 1, 2].map(() => runWorker<any>(rt, 'topic-roles', { role: 'subscribe', name: 't', exact: true }));
    await Promise.all(subs.map((s) => s.result));
    const done = subs.map((s) => new Promise<any>((r) => s.worker.once('message', r)));
    const pub = runWorker<any>(rt, 'topic-roles', { role: 'publish', name: 't', count });
    await pub.result;
    topic.publish(END);
    for (const r of await Promise.all(done)) expect(r).toEqual({ got: count, bad: 0, lost: 0, lostSeen: 0 });
    await Promise.all([pub, ...subs].map((w) => w.worker.terminate()));
  });

  it('overwrite: a subscriber a lap behind loses the oldest messages and is told exactly how many', async () => {
    const rt = await Runtime.create();
    const topic = rt.topic('o', { capacity: 8, maxMessageSize: 8, policy: 'overwrite' });
    const sub = topic.subscribe();
    for (let i = 0; i < 20; i++) expect(topic.tryPublish(msg(i))).toBe(true);   // never refused
    const first = sub.receive(0);
    expect([seqOf(first.value), first.lost]).toEqual([12, 12]);
    for (let i = 13; i < 20; i++) expect([seqOf(sub.receive(0).value), sub.lost]).toEqual([i, 12]);
    expect(sub.tryReceive()).toBeUndefined();
  });

  it('overwrite under load: received + lost = published, strictly increasing, loss reported', async () => {
    const rt = await Runtime.create({ size: 4 << 20 });
    const topic = rt.topic('ol', { capacity: 64, maxMessageSize: 8, policy: 'overwrite' });
    const count = 200_000;
    const sub = runWorker<any>(rt, 'topic-roles', { role: 'subscribe', name: 'ol', slow: true });
    await sub.result;
    const done = new Promise<any>((r) => sub.worker.once('message', r));
    const pub = runWorker<any>(rt, 'topic-roles', { role: 'publish', name: 'ol', count });
    await pub.result;
    topic.publish(END);
    const r = await done;
    expect(r.bad).toBe(0);
    expect(r.lost).toBe(r.lostSeen);
    expect(r.lost).toBeGreaterThan(0);
    // the subscriber saw seq 0 .. count-1 minus the lost ones (those before the first it got count too)
    expect(r.got + r.lost).toBe(count);
    await Promise.all([pub, sub].map((w) => w.worker.terminate()));
  });

  it('joining and leaving mid-stream; key filters', async () => {
    const rt = await Runtime.create();
    const topic = rt.topic<string>('j', { capacity: 4, codec: 'string' });
    topic.publish('before anyone');
    const a = topic.subscribe();
    topic.publish('one', { key: 1 });
    const b = topic.subscribe();
    const odd = topic.subscribe({ key: 3 });
    topic.publish('two', { key: 3 });
    expect([a.recv(0), a.recv(0)]).toEqual(['one', 'two']);
    expect(b.receive(0)).toEqual({ value: 'two', key: 3, lost: 0 });
    expect(odd.recv(0)).toBe('two');
    // block policy: b and odd have read everything; a full ring behind a would block, unless a leaves
    for (let i = 0; i < 4; i++) topic.publish(`x${i}`, { key: 9 });
    expect(topic.tryPublish('full')).toBe(false);
    expect(() => topic.publish('full', { timeout: 20 })).toThrow(TimeoutError);
    for (let i = 0; i < 4; i++) a.recv(0);
    expect(topic.tryPublish('full')).toBe(false);                  // b still a ring behind
    b.unsubscribe();
    expect(() => b.recv(0)).toThrow(ClosedError);
    expect(topic.tryPublish('full')).toBe(false);                  // odd has not read past them yet
    expect(odd.tryReceive()).toBeUndefined();                      // reading passes over what its filter rejects
    expect(topic.tryPublish('room now')).toBe(true);
    const later = odd.receiveAsync();
    expect(a.recv(0)).toBe('room now');
    topic.publish('three', { key: 3 });
    expect((await later).value).toBe('three');
    expect(rt.list().find((o) => o.name === 'j')!.state).toMatchObject({ subscribers: 2, capacity: 4, overwrite: 0 });
  });

  it('a subscriber killed mid-stream stops holding publishers back', async () => {
    const rt = await Runtime.create();
    const topic = rt.topic('k', { capacity: 4, maxMessageSize: 8 });
    const { worker, result } = runWorker(rt, 'topic-roles', { role: 'idle-subscriber', name: 'k' });
    await result;
    for (let i = 0; i < 4; i++) topic.publish(msg(i));
    expect(topic.tryPublish(msg(4))).toBe(false);
    const blocked = topic.publishAsync(msg(4), { timeout: 10_000 });
    await worker.terminate();
    await blocked;
    expect(topic.tryPublish(msg(5))).toBe(true);
  });

  it('bad input', async () => {
    const rt = await Runtime.create();
    expect(() => rt.topic('b', { capacity: 1 })).toThrow(RangeError);
    expect(() => rt.topic('b', { maxMessageSize: 1 << 17 })).toThrow(RangeError);
    expect(() => rt.topic('b', { policy: 'drop' as 'block' })).toThrow(TypeError);
    const topic = rt.topic('b', { maxMessageSize: 4 });
    expect(() => topic.publish(new Uint8Array(5))).toThrow(MessageTooLargeError);
    expect(() => topic.publish(new Uint8Array(1), { key: -1 })).toThrow(RangeError);
    expect(() => topic.subscribe({ key: 1.5 })).toThrow(RangeError);
    expect(() => rt.topic('b', { policy: 'overwrite' })).toThrow(RangeError);   // exists with 'block'
    const subs = Array.from({ length: 64 }, () => topic.subscribe());
    expect(() => topic.subscribe()).toThrow(LimitError);
    subs.forEach((s) => s.unsubscribe());
    topic.subscribe();
    const sub = topic.subscribe();
    const blocked = sub.receiveAsync();
    topic.remove();
    await expect(blocked).rejects.toThrow(ClosedError);
  });
});
