import { describe, it, expect } from 'vitest';
import { Runtime, ClosedError, TimeoutError, MessageTooLargeError, KindMismatchError, IpcError, NotFoundError } from '../dist/node/index.js';
import { runWorker, runWorkers } from './helpers';

const msg = (sender: number, prio: number, seq: number) => { const m = new Uint8Array(6); m[0] = sender; m[1] = prio; new DataView(m.buffer).setUint32(2, seq, true); return m; };
const parse = (m: Uint8Array) => ({ sender: m[0]!, prio: m[1]!, seq: new DataView(m.buffer, m.byteOffset).getUint32(2, true) });
const until = async (f: () => boolean) => { while (!f()) await new Promise((r) => setTimeout(r, 5)); };

describe('MessageQueue (POSIX mq)', () => {
  it('the oldest message of the highest priority first, with its priority; attributes', async () => {
    const rt = await Runtime.create();
    const mq = rt.messageQueue<string>('/q', { maxMessages: 8, maxMessageSize: 64, codec: 'string' });
    for (const [v, p] of [['a', 1], ['b', 5], ['c', 1], ['d', 31], ['e', 5], ['f', 0]] as const) mq.send(v, p);
    expect(mq.attributes()).toEqual({ curMessages: 6, maxMessages: 8, maxMessageSize: 64 });
    const out = [];
    for (let i = 0; i < 6; i++) out.push(mq.receive());
    expect(out).toEqual([{ value: 'd', priority: 31 }, { value: 'b', priority: 5 }, { value: 'e', priority: 5 },
      { value: 'a', priority: 1 }, { value: 'c', priority: 1 }, { value: 'f', priority: 0 }]);
    expect(mq.tryReceive()).toBeUndefined();
    expect(mq.attributes().curMessages).toBe(0);
  });

  it('full: a top-priority message is refused and nothing is displaced; timeouts; async forms', async () => {
    const rt = await Runtime.create();
    const mq = rt.messageQueue<string>('/full', { maxMessages: 2, codec: 'string' });
    mq.send('low', 0);
    mq.send('low2', 0);
    expect(mq.trySend('urgent', 31)).toBe(false);
    expect(() => mq.send('urgent', 31, 10)).toThrow(TimeoutError);
    await expect(mq.sendAsync('urgent', 31, { timeout: 10 })).rejects.toThrow(TimeoutError);
    expect(mq.attributes().curMessages).toBe(2);
    const pending = mq.sendAsync('urgent', 31);
    expect(mq.receive().value).toBe('low');                 // room: the pending send goes in
    await pending;
    expect(mq.receive()).toEqual({ value: 'urgent', priority: 31 });
    expect(mq.receive().value).toBe('low2');
    expect(() => mq.receive(10)).toThrow(TimeoutError);
    const later = mq.receiveAsync();
    mq.send('x', 3);
    expect(await later).toEqual({ value: 'x', priority: 3 });
    const ac = new AbortController();
    const aborted = mq.receiveAsync({ signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(rt.list().find((o) => o.name === '/full')!.state.receiversWaiting).toBe(0);
  });

  it('4 concurrent senders: priority order, FIFO per sender within a priority, every message once', async () => {
    const rt = await Runtime.create({ size: 8 << 20 });
    const per = 4000;
    rt.messageQueue('/big', { maxMessages: 4 * per, maxMessageSize: 16 });
    await runWorkers(rt, 'mq-roles', 4, (id) => ({ role: 'send', name: '/big', id, count: per }));
    const mq = rt.messageQueue('/big');
    const seen = new Map<string, number>();
    let last = 31;
    for (let i = 0; i < 4 * per; i++) {
      const { value, priority } = mq.receive(0);
      const m = parse(value);
      expect(m.prio).toBe(priority);
      expect(priority).toBeLessThanOrEqual(last);          // everything was queued: strict priority order
      last = priority;
      const key = `${m.sender}/${m.prio}`;
      expect(m.seq).toBeGreaterThan(seen.get(key) ?? -1);  // FIFO within a priority, per sender
      seen.set(key, m.seq);
    }
    expect(mq.tryReceive()).toBeUndefined();
    // the same through a small queue, received while the senders block on it
    const small = rt.messageQueue('/small', { maxMessages: 4, maxMessageSize: 16 });
    const senders = Array.from({ length: 4 }, (_, id) => runWorker(rt, 'mq-roles', { role: 'send', name: '/small', id, count: 2000 }));
    const counts = new Map<string, number>();
    for (let i = 0; i < 8000; i++) {
      const m = parse(small.receive(10_000).value);
      const key = `${m.sender}/${m.prio}`;
      expect(m.seq).toBeGreaterThan(counts.get(key) ?? -1);
      counts.set(key, m.seq);
    }
    await Promise.all(senders.map((s) => s.result));
    await Promise.all(senders.map((s) => s.worker.terminate()));
    expect(small.tryReceive()).toBeUndefined();
  }, 60_000);

  it('notify: once, on empty → non-empty, only when no receiver is blocked; one registration', async () => {
    const rt = await Runtime.create();
    const mq = rt.messageQueue<string>('/n', { codec: 'string' });
    let fired = 0;
    mq.notify(() => { fired++; });
    const other = await runWorkers<any>(rt, 'mq-roles', 1, () => ({ role: 'notify', name: '/n' }));
    expect(other[0].error).toMatch(/another thread is registered/);
    mq.send('one');
    await until(() => fired === 1);
    mq.send('two');                                         // not a transition, and no longer registered
    mq.receive(); mq.receive();
    mq.send('three');
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(1);                                  // it was removed after firing
    mq.receive();
    // registered, but a receiver is blocked: the message goes to it, and notify does not fire
    mq.notify(() => { fired++; });
    const r = runWorker<any>(rt, 'mq-roles', { role: 'receive', name: '/n', timeout: 10_000 });
    await until(() => rt.list().find((o) => o.name === '/n')!.state.receiversWaiting === 1);
    mq.send('to the receiver', 2);
    expect(await r.result).toMatchObject({ priority: 2 });
    await r.worker.terminate();
    await new Promise((r2) => setTimeout(r2, 20));
    expect(fired).toBe(1);
    mq.notify(null);                                        // dropped
    expect(() => mq.notify(null)).toThrow(IpcError);
    mq.send('four');
    await new Promise((r2) => setTimeout(r2, 20));
    expect(fired).toBe(1);
  });

  it('unlink (POSIX) takes only the name: open handles keep working, freed at the last close; a new queue under the name', async () => {
    const rt = await Runtime.create();
    const mq = rt.messageQueue('/p', { maxMessages: 4, maxMessageSize: 8 });
    const row = () => rt.list().find((o) => o.offset === mq.offset);
    mq.send(new Uint8Array([1]), 3);
    const reader = runWorker<any>(rt, 'mq-roles', { role: 'receive-count', name: '/p', count: 3 });
    await until(() => row()!.state.messages === 0 && row()!.state.receiversWaiting === 1);   // took the first, blocked for the next
    mq.unlink();
    expect(row()).toMatchObject({ name: null, refs: 2 });            // anonymous now, both handles still open
    expect(rt.list().some((o) => o.name === '/p')).toBe(false);
    expect(() => mq.unlink()).toThrow(NotFoundError);                 // the name is gone already
    const fresh = rt.messageQueue('/p', { maxMessages: 2 });          // a new, empty queue under the old name
    expect(fresh.offset).not.toBe(mq.offset);
    expect(fresh.attributes()).toMatchObject({ curMessages: 0, maxMessages: 2 });
    fresh.send(new Uint8Array([9]), 31);                              // not seen by the old queue's reader
    mq.send(new Uint8Array([3]), 7);                                  // the blocked reader still receives
    mq.send(new Uint8Array([2]), 1);                                  // (sent after: lower priority, it comes last either way)
    expect((await reader.result).got).toEqual([[1, 3], [3, 7], [2, 1]]);
    await reader.worker.terminate();
    expect(row()).toMatchObject({ refs: 1 });
    mq.send(new Uint8Array([4]), 0);
    expect(mq.receive().value[0]).toBe(4);
    mq.send(new Uint8Array([5]), 0);                                  // queued when the last handle closes: freed with it
    mq.dispose();
    expect(row()).toBeUndefined();
    expect(fresh.receive().value[0]).toBe(9);
    fresh.unlink();
    expect(rt.list().some((o) => o.offset === fresh.offset)).toBe(true);   // still open here
    fresh.dispose();
    expect(rt.list().some((o) => o.offset === fresh.offset)).toBe(false);  // freed with its last reference
  });

  it('remove() ends the queue for everyone: blocked receivers get ClosedError, the name is free; bad input', async () => {
    const rt = await Runtime.create();
    const mq = rt.messageQueue('/u', { maxMessages: 4, maxMessageSize: 8 });
    const blocked = runWorker<any>(rt, 'mq-roles', { role: 'receive-until-closed', name: '/u' });
    await until(() => rt.list().find((o) => o.name === '/u')!.state.receiversWaiting === 1);
    expect(() => mq.send(new Uint8Array(9))).toThrow(MessageTooLargeError);
    expect(() => mq.send(new Uint8Array(1), 32)).toThrow(RangeError);
    expect(() => mq.send(new Uint8Array(1), -1)).toThrow(RangeError);
    expect(() => mq.send(new Uint8Array(1), 1.5)).toThrow(RangeError);
    expect(() => mq.send('str' as never)).toThrow(TypeError);
    expect(mq.attributes().curMessages).toBe(0);
    expect(() => rt.messageQueue('/x', { maxMessages: 0 })).toThrow(RangeError);
    expect(() => rt.messageQueue('/x', { maxMessageSize: -1 })).toThrow(RangeError);
    expect(() => rt.messageQueue('/u', { maxMessages: 5 })).toThrow(/exists with maxMessages 4/);
    expect(() => rt.mutex('/u')).toThrow(KindMismatchError);
    mq.remove();
    expect((await blocked.result).error).toBe('ClosedError');
    await blocked.worker.terminate();
    expect(() => mq.send(new Uint8Array(1))).toThrow(ClosedError);
    const again = rt.messageQueue('/u', { maxMessages: 2 });  // a new queue under the old name
    expect(again.attributes().maxMessages).toBe(2);
    const big = rt.messageQueue('/big', { maxMessages: 1, maxMessageSize: 100_000 });  // beyond the staging block
    big.send(new Uint8Array(100_000).fill(7), 4);
    const got = big.receive();
    expect(got.priority).toBe(4);
    expect(got.value.length).toBe(100_000);
    expect(got.value.every((b) => b === 7)).toBe(true);
  });
  it('disposing a handle while its async wait is under way ends the wait with ClosedError, then frees the object', async () => {
    const rt = await Runtime.create();
    rt.segment().staging();                               // the thread's staging block, made on first use
    const base = rt.segment().stats().bytesInUse;
    const mq = rt.messageQueue();                         // unnamed: freed with its last reference
    const pending = mq.receiveAsync();
    mq.dispose();
    await expect(pending).rejects.toThrow(ClosedError);
    expect(rt.segment().stats().bytesInUse).toBe(base);
  });
});
