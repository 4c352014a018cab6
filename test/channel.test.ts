import { describe, it, expect } from 'vitest';
import { Runtime, select, selectAsync, sendCase, trySelect, ClosedError, DeadPeerError, TimeoutError, MessageTooLargeError, OutOfMemoryError, KindMismatchError } from '../dist/node/index.js';
import { KEPT_PER_THREAD, runWorker } from './helpers';

type Mode = 'one' | 'async' | 'many' | 'packed' | 'into';
async function flow(opts: { producers: number; consumers: number; total: number; maxLen: number; capacity: number; spsc?: boolean; send?: Mode; recv?: Mode }) {
  // (capacity Infinity: an unbounded channel)
  const rt = await Runtime.create({ size: 8 << 20, maxSize: 256 << 20 });
  const ch = rt.channel('flow', { capacity: opts.capacity, spsc: opts.spsc, maxMessageSize: 4096 });
  ch.registerAs('sender'); // this thread closes the channel: receivers wait for that, not for the producers' exits
  const base = rt.segment().stats().bytesInUse;
  const per = opts.total / opts.producers;
  const consumers = Array.from({ length: opts.consumers }, () => runWorker<any>(rt, 'channel-roles', { role: 'consume', name: 'flow', mode: opts.recv ?? 'one', only: opts.consumers === 1 }));
  const producers = Array.from({ length: opts.producers }, (_, id) => runWorker<any>(rt, 'channel-roles', { role: 'produce', name: 'flow', id, count: per, maxLen: opts.maxLen, mode: opts.send ?? 'one' }));
  const sent = await Promise.all(producers.map((p) => p.result));
  ch.close();
  const got = await Promise.all(consumers.map((c) => c.result));
  await Promise.all([...producers, ...consumers].map((w) => w.worker.terminate()));
  expect(got.reduce((s, g) => s + g.got, 0)).toBe(opts.total);                 // exactly once: none lost…
  expect(got.every((g) => g.bad === 0 && g.outOfOrder === 0)).toBe(true);      // …intact, in per-producer order
  expect(got.reduce((s, g) => (s + g.sum) >>> 0, 0)).toBe(sent.reduce((s, p) => (s + p.sum) >>> 0, 0));
  if (opts.consumers === 1) expect(got[0].producers.map(([, n]: number[]) => n).sort()).toEqual(Array(opts.producers).fill(per));
  expect(rt.segment().stats().bytesInUse).toBe(base + (opts.producers + opts.consumers) * KEPT_PER_THREAD); // only what the dead workers' slots keep
}

describe('channel: every message exactly once, intact, in per-producer order', () => {
  it('1 → 1, 10^6 messages of random sizes (some beyond the inline size)', () => flow({ producers: 1, consumers: 1, total: 1_000_000, maxLen: 120, capacity: 1024 }), 120_000);
  it('1 → 1 in SPSC mode, 10^6 messages (some beyond the inline size)', () => flow({ producers: 1, consumers: 1, total: 1_000_000, maxLen: 120, capacity: 256, spsc: true }), 120_000);
  it('1 → 1 in SPSC mode in batches: sendMany → recvPacked, 10^6 messages', () => flow({ producers: 1, consumers: 1, total: 1_000_000, maxLen: 120, capacity: 256, spsc: true, send: 'many', recv: 'packed' }), 120_000);
  it('1 → 1 in SPSC mode: sendPacked → recvMany, and send → recvInto', async () => {
    await flow({ producers: 1, consumers: 1, total: 200_000, maxLen: 3000, capacity: 64, spsc: true, send: 'packed', recv: 'many' });
    await flow({ producers: 1, consumers: 1, total: 200_000, maxLen: 120, capacity: 64, spsc: true, recv: 'into' });
  }, 120_000);
  it('4 → 4 in batches: sendPacked → recvMany, sendMany → recvPacked', async () => {
    await flow({ producers: 4, consumers: 4, total: 400_000, maxLen: 200, capacity: 256, send: 'packed', recv: 'many' });
    await flow({ producers: 4, consumers: 4, total: 400_000, maxLen: 3000, capacity: 64, send: 'many', recv: 'packed' });
  }, 120_000);
  it('4 → 2 zero-copy: reserve (blocking while full) + commit → recvView, some in heap blocks', () => flow({ producers: 4, consumers: 2, total: 200_000, maxLen: 3000, capacity: 16, send: 'zero-copy', recv: 'zero-copy' }), 120_000);
  it('4 → 4, 10^6 messages of random sizes (8 workers, 2 cores)', () => flow({ producers: 4, consumers: 4, total: 1_000_000, maxLen: 200, capacity: 256 }), 120_000);
  it('4 → 4 unbounded, 200 000 messages', () => flow({ producers: 4, consumers: 4, total: 200_000, maxLen: 100, capacity: Infinity }), 120_000);
  it('4 → 1 through the async forms and for-await, large messages in heap blocks', () => flow({ producers: 4, consumers: 1, total: 40_000, maxLen: 3000, capacity: 64, send: 'async', recv: 'async' }), 120_000);
});

describe('channel semantics', () => {
  it('urgent messages cut ahead of queued ones and wake blocked receivers', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel<string>('u', { capacity: 8, codec: 'string' });
    for (const v of ['1', '2', '3']) ch.send(v);
    expect(ch.sendUrgent('A')).toBe(true);
    expect(ch.sendUrgent('B')).toBe(true);
    expect(ch.depth).toBe(5);
    expect([1, 2, 3, 4, 5].map(() => ch.recv())).toEqual(['A', 'B', '1', '2', '3']);
    const waiting = ch.recvAsync();
    await new Promise((r) => setTimeout(r, 10));
    ch.sendUrgent('now');
    expect(await waiting).toBe('now');
    let n = 0;
    while (ch.sendUrgent('x')) n++;
    expect(n).toBe(16); // the urgent lane's own capacity: sendUrgent never blocks
    expect(() => rt.channel('inf', { capacity: Infinity }).sendUrgent(new Uint8Array(1) as never)).toThrow(/no urgent lane/);
    const base = rt.segment().stats().bytesInUse;
    ch.remove();
    expect(rt.segment().stats().bytesInUse).toBeLessThan(base);
  });

  it('a receiver whose only sender died is told, after draining what it sent', async () => {
    const rt = await Runtime.create();
    rt.channel('dp', { capacity: 8 });
    const sender = runWorker<any>(rt, 'channel-roles', { role: 'send-then-hang', name: 'dp', count: 2 });
    expect(await sender.result).toBe('sent');
    const receiver = runWorker<any>(rt, 'channel-roles', { role: 'recv-until-error', name: 'dp' });
    await new Promise((r) => setTimeout(r, 50)); // the receiver drains and blocks
    await sender.worker.terminate();
    const out = await receiver.result;
    expect(out).toMatchObject({ got: [0, 1], error: 'DeadPeerError' });
    await receiver.worker.terminate();
  });

  it('a sender whose receivers died is told instead of waiting on a full channel', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel('dr', { capacity: 2 });
    const receiver = runWorker<any>(rt, 'channel-roles', { role: 'recv-one-then-hang', name: 'dr' });
    ch.send(new Uint8Array([7]));
    expect((await receiver.result).got).toBe(7);
    ch.send(new Uint8Array([1]));
    ch.send(new Uint8Array([2]));
    const blocked = ch.sendAsync(new Uint8Array([3])).catch((e) => e);
    await new Promise((r) => setTimeout(r, 20));
    await receiver.worker.terminate();
    expect(await blocked).toBeInstanceOf(DeadPeerError);
    expect(ch.depth).toBe(2); // what was queued stays queued
    expect(Array.from(ch.recv())).toEqual([1]); // and a new receiver clears the flag
    ch.send(new Uint8Array([3]));
  });

  it('selectAsync: whichever is ready first, fair among ready ones, timeouts, the end of all', async () => {
    const rt = await Runtime.create();
    const a = rt.channel<string>('a', { codec: 'string' });
    const b = rt.channel<string>('b', { codec: 'string' });
    expect(trySelect([a, b])).toBeUndefined();
    const pending = selectAsync([a, b]);
    await new Promise((r) => setTimeout(r, 10));
    b.send('from b');
    expect(await pending).toMatchObject({ index: 1, value: 'from b' });
    expect(rt.list().every((o) => o.state.receiversWaiting === 0)).toBe(true); // nothing left registered
    const counts = [0, 0];
    for (let i = 0; i < 200; i++) { a.send('x'); b.send('y'); }
    for (let i = 0; i < 200; i++) counts[(await selectAsync([a, b])).index]!++;
    expect(Math.min(...counts)).toBeGreaterThan(50); // both ready: neither starves
    while (trySelect([a, b])) { /* drain */ }
    await expect(selectAsync([a, b], { timeout: 20 })).rejects.toThrow(TimeoutError);
    const ac = new AbortController();
    const aborted = selectAsync([a, b], { signal: ac.signal });
    ac.abort(new Error('cancel'));
    await expect(aborted).rejects.toThrow('cancel');
    // a closed (and drained) channel is ready: its case completes with done, in every form
    const parked = selectAsync([a, b]);          // waiting on both when a closes
    await new Promise((r) => setTimeout(r, 10));
    a.close();
    expect(await parked).toMatchObject({ index: 0, channel: a, op: 'recv', done: true, value: undefined });
    expect(trySelect([a, b])).toMatchObject({ index: 0, done: true });
    expect(await selectAsync([b, a], { timeout: 1000 })).toMatchObject({ index: 1, done: true });
    b.send('last');                               // an open channel's message still comes with done: false
    expect(await selectAsync([b])).toMatchObject({ index: 0, done: false, value: 'last' });
    b.send('drain me');
    b.close();
    expect(trySelect([b])).toMatchObject({ done: false, value: 'drain me' });   // drained first, then the end
    expect(await selectAsync([b])).toMatchObject({ index: 0, done: true });
    expect(() => trySelect([] as never)).toThrow(TypeError);
  });

  it('select (blocking) in a worker: woken by any of its channels, send cases, timeouts, the end of all', async () => {
    const rt = await Runtime.create();
    const a = rt.channel<string>('a', { codec: 'string' });
    const b = rt.channel<string>('b', { codec: 'string' });
    const out = rt.channel<string>('out', { capacity: 1, codec: 'string' });
    const w = runWorker<any>(rt, 'select-roles', { role: 'select-loop' });
    const waiting = (name: string) => rt.list().find((o) => o.name === name)!.state.receiversWaiting;
    while (waiting('a') === 0 || waiting('b') === 0) await new Promise((r) => setTimeout(r, 5)); // armed on both
    b.send('one');                                  // wakes the worker parked in select
    expect(out.recv(5000)).toBe('recv 1 one');
    while (waiting('a') === 0) await new Promise((r) => setTimeout(r, 5));
    a.send('two');
    expect(out.recv(5000)).toBe('recv 0 two');
    // the worker fills out, then selects [a, sendCase(out, 'ping')]: out has room once we take
    expect(out.recv(5000)).toBe('filler');
    expect(out.recv(5000)).toBe('ping');
    expect(out.recv(5000)).toBe('send 1 ping');
    a.close();
    b.close();
    const r = await w.result;
    expect(r.ended.sort()).toEqual(['a', 'b']);     // the parked select woke for each close
    expect(r.timedOut).toBe('TimeoutError');
    expect(rt.list().every((o) => o.state.receiversWaiting === 0 && o.state.sendersWaiting === 0)).toBe(true); // nothing left armed
    await w.worker.terminate();
    expect(select([rt.channel('elsewhere'), a], 0)).toMatchObject({ index: 1, done: true }); // a ended: ready
    expect(select([a, b], 10)).toMatchObject({ done: true });
    expect(() => select([rt.channel('elsewhere')], 0)).toThrow(TimeoutError);
  });

  it('select: fair among ready cases, sendCase, bad input', async () => {
    const rt = await Runtime.create();
    const a = rt.channel<string>('a', { codec: 'string' });
    const b = rt.channel<string>('b', { codec: 'string' });
    const full = rt.channel<string>('f', { capacity: 1, codec: 'string' });
    for (let i = 0; i < 200; i++) { a.send('x'); b.send('y'); }
    const counts = [0, 0];
    for (let i = 0; i < 200; i++) counts[select([a, b]).index]!++;
    expect(Math.min(...counts)).toBeGreaterThan(50);
    expect(select([sendCase(full, 'in')])).toMatchObject({ index: 0, op: 'send', value: 'in' });
    expect(trySelect([sendCase(full, 'more')])).toBeUndefined();   // full
    expect(() => select([sendCase(full, 'more')], 10)).toThrow(TimeoutError);
    expect(full.recv()).toBe('in');
    expect(() => select([] as never)).toThrow(TypeError);
    expect(() => select([{ channel: 1 }] as never)).toThrow(TypeError);
    expect(() => sendCase(1 as never, 'x')).toThrow(TypeError);
    full.close();
    // a send case on a closed channel is ready too: done, the value not sent
    expect(select([sendCase(full, 'late')])).toMatchObject({ index: 0, op: 'send', done: true, value: undefined });
    expect(trySelect([sendCase(full, 'late')])).toMatchObject({ op: 'send', done: true });
    expect(await selectAsync([sendCase(full, 'late')])).toMatchObject({ op: 'send', done: true });
  });

  it('rendezvous (capacity 0): send returns only once a receiver took the message', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel('r', { capacity: 0 });
    expect(ch.capacity).toBe(0);
    expect(ch.trySend(new Uint8Array([1]))).toBe(false); // nobody takes it at once: withdrawn
    expect(() => ch.send(new Uint8Array([2]), 30)).toThrow(/withdrawn/);
    expect(ch.depth).toBe(0);
    const w = runWorker<any>(rt, 'channel-roles', { role: 'late-receiver', name: 'r', delay: 150 });
    const t0 = Date.now();
    ch.send(new Uint8Array([3])); // blocks until the worker's recv
    const sentAt = Date.now();
    const got = await w.result;
    expect(got.value).toEqual([3]); // the withdrawn ones never arrive
    expect(sentAt - t0).toBeGreaterThanOrEqual(100);
    expect(got.at).toBeGreaterThanOrEqual(sentAt - 50);
    const w2 = runWorker<any>(rt, 'channel-roles', { role: 'late-receiver', name: 'r', delay: 50 });
    await ch.sendAsync(new Uint8Array([4]));
    expect((await w2.result).value).toEqual([4]);
    await Promise.all([w.worker.terminate(), w2.worker.terminate()]);
    await expect(ch.sendAsync(new Uint8Array([5]), { timeout: 20 })).rejects.toThrow(TimeoutError);
    expect(ch.tryRecv()).toBeUndefined();
    expect(() => rt.channel('x', { capacity: 0, spsc: true })).toThrow(RangeError);
  });

  it('close: receivers drain, then see the end; senders get ClosedError; blocked ones wake', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel<string>('c', { capacity: 2, codec: 'string' });
    ch.send('a');
    ch.send('b');
    const blockedSend = ch.sendAsync('c').catch((e) => e);
    const empty = rt.channel('e');
    const blockedRecv = empty.recvAsync().catch((e) => e);
    const iter = (async () => { const out = []; for await (const v of empty) out.push(v); return out; })();
    await new Promise((r) => setTimeout(r, 10));
    ch.close();
    empty.close();
    expect(await blockedSend).toBeInstanceOf(ClosedError);
    expect(await blockedRecv).toBeInstanceOf(ClosedError);
    expect(await iter).toEqual([]);
    expect(ch.recv()).toBe('a');
    expect(ch.tryRecv()).toBe('b');
    expect(() => ch.recv()).toThrow(/end of stream/);
    expect(() => ch.send('x')).toThrow(ClosedError);
    expect(ch.closed).toBe(true);
  });

  it('SPSC close racing sends: every send that returned is received, none after the end', async () => {
    const rt = await Runtime.create();
    const workers: import('node:worker_threads').Worker[] = [];
    for (let round = 0; round < 30; round++) {
      const ch = rt.channel(`s${round}`, { capacity: 8, spsc: true });
      const w = runWorker<any>(rt, 'channel-roles', { role: 'send-until-closed', name: `s${round}`, packed: round % 2 === 1 });
      let got = 0;
      const target = new Uint8Array(64), lengths = new Uint32Array(8);
      for (;;) {
        try {
          const n = ch.recvPacked(target, lengths, 10_000);   // (a hang would show as a TimeoutError)
          for (let k = 0; k < n; k++) expect(new DataView(target.buffer).getUint32(4 * k, true)).toBe(got++);
        } catch (e) { expect(e).toBeInstanceOf(ClosedError); break; }
        if (got >= 200 + round * 50 && !ch.closed) ch.close();       // close while the sender is busy
      }
      const r = await w.result;
      expect(r.error).toBe('ClosedError');
      expect(got).toBe(r.sent);          // nothing lost, nothing published past the end
      workers.push(w.worker);
    }
    // terminated together at the end: a worker killed while its exit hook holds the registry
    // lock would leave the next round's rt.channel() blocked (the torture issue's ground)
    await Promise.all(workers.map((w) => w.terminate()));
  });

  it('SPSC reservations: one at a time; sends wait for the commit; commit after close sends nothing', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel('r', { capacity: 4, spsc: true });
    const r = ch.reserve(3);
    expect(() => ch.reserve(3)).toThrow(/reservation is out/);
    expect(() => ch.send(new Uint8Array([1]))).toThrow(/reservation is out/);
    expect(() => ch.sendMany([new Uint8Array([1])])).toThrow(/reservation is out/);
    expect(ch.depth).toBe(0);                       // not visible before the commit
    r.bytes.set([1, 2, 3]);
    r.commit();
    ch.send(new Uint8Array([4]));
    expect(Array.from(ch.recv())).toEqual([1, 2, 3]);
    expect(Array.from(ch.recv())).toEqual([4]);
    const late = ch.reserve(2);
    ch.close();
    expect(() => late.commit()).toThrow(ClosedError);
    expect(ch.depth).toBe(0);
    expect(() => ch.recv()).toThrow(ClosedError);
  });

  it('batches: recvPacked leaves a message that does not fit queued; bad arguments', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel('b', { capacity: 16, maxMessageSize: 100 });
    expect(ch.sendPacked(new Uint8Array([1, 2, 3, 4, 5, 6]), [1, 2, 3])).toBe(3);
    ch.send(new Uint8Array(50));
    const target = new Uint8Array(10), lengths = new Uint32Array(8);
    expect(ch.recvPacked(target, lengths)).toBe(3);
    expect(Array.from(lengths.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(target.subarray(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => ch.recvPacked(target, lengths)).toThrow(/longer than target/);
    expect(() => ch.recvInto(target)).toThrow(/longer than target/);
    expect(ch.depth).toBe(1);                       // still queued
    expect(ch.recvMany(5).map((m) => m.length)).toEqual([50]);
    // a batch's messages are views of one copy: each holds its own bytes, whatever the others do
    ch.sendMany([new Uint8Array([1, 1]), new Uint8Array([2]), new Uint8Array([3, 3, 3]), new Uint8Array(0)]);
    const got = ch.recvMany(8);
    got[1]!.fill(9);
    expect(got.map((m) => Array.from(m))).toEqual([[1, 1], [9], [3, 3, 3], []]);
    const words = rt.channel<string>('s', { codec: 'string' });
    words.sendMany(['é', '', 'ab'.repeat(40)]);
    expect(words.recvMany(8)).toEqual(['é', '', 'ab'.repeat(40)]);
    expect(() => ch.sendPacked(new Uint8Array(4), [2, 3])).toThrow(RangeError);
    expect(() => ch.sendPacked(new Uint8Array(200), [101])).toThrow(RangeError);
    expect(() => ch.sendPacked(new Uint8Array(4), [-1])).toThrow(RangeError);
    expect(() => ch.sendPacked(new Uint8Array(4), [1.5])).toThrow(RangeError);
    expect(() => ch.sendPacked([1, 2] as never, [1])).toThrow(TypeError);
    expect(() => ch.recvPacked(target, new Uint32Array(0))).toThrow(TypeError);
    expect(() => ch.recvPacked(target, [1] as never)).toThrow(TypeError);
    expect(ch.depth).toBe(0);
    expect(() => ch.recvPacked(target, lengths, 10)).toThrow(TimeoutError);
    ch.close();
    expect(() => ch.sendPacked(new Uint8Array(1), [1])).toThrow(ClosedError);
    expect(() => ch.recvPacked(target, lengths)).toThrow(ClosedError);
    // messages beyond the staging block go one by one, with no timeout given too
    const big = rt.channel('big', { capacity: 4, maxMessageSize: 100_000 });
    expect(big.sendMany([new Uint8Array(70_000).fill(1), new Uint8Array([2])])).toBe(2);
    expect(big.sendPacked(new Uint8Array(70_001).fill(3), [70_000, 1])).toBe(2);
    expect(big.recvMany(4).map((m) => m.length)).toEqual([70_000, 1, 70_000, 1]);
  });

  it('timeouts, try forms and back-pressure', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel('c', { capacity: 1, codec: 'json' });
    expect(ch.tryRecv()).toBeUndefined();
    expect(() => ch.recv(10)).toThrow(TimeoutError);
    await expect(ch.recvAsync({ timeout: 10 })).rejects.toThrow(TimeoutError);
    expect(ch.trySend(1)).toBe(true);
    expect(ch.trySend(2)).toBe(false);
    expect(() => ch.send(2, 10)).toThrow(TimeoutError);
    const ac = new AbortController();
    const p = ch.sendAsync(3, { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(ch.recv()).toBe(1);
    expect(ch.tryRecv()).toBeUndefined(); // nothing half-sent by the aborted send
    expect(rt.list()[0]!.state).toMatchObject({ depth: 0, receiversWaiting: 0, sendersWaiting: 0 });
  });

  it('codecs: bytes, string (UTF-8), json, msgpack, and a custom one', async () => {
    const rt = await Runtime.create();
    const s = rt.channel<string>('s', { codec: 'string' });
    s.send('héllo wörld ✓');
    expect(s.recv()).toBe('héllo wörld ✓');
    const m = rt.channel<unknown>('m', { codec: 'msgpack' });
    const value = { a: [1, 2n ** 40n], d: new Date(5), set: new Set([1]), bytes: new Uint8Array([1, 2]) };
    m.send(value);
    expect(m.recv()).toEqual(value);
    const custom = rt.channel<number>('n', { codec: { name: 'u8', encode: (n: number) => new Uint8Array([n]), decode: (b: Uint8Array) => b[0]! } });
    custom.send(42);
    expect(custom.recv()).toBe(42);
    // another handle to the same channel may decode differently: the codec is per handle
    const raw = rt.channel('n');
    custom.send(7);
    expect(Array.from(raw.recv())).toEqual([7]);
  });

  it('zero copy: reserve/commit and recvView', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel('z', { inlineSize: 56 });
    expect(ch.tryRecv()).toBeUndefined(); // (makes this thread's staging block before the count below)
    for (const n of [16, 5000]) {
      const r = ch.reserve(n);
      r.bytes.fill(9);
      r.commit();
      expect(() => r.commit()).toThrow(/already committed/);
      const v = ch.recvView();
      expect(v.length).toBe(n);
      expect(v.buffer).toBe(rt.segment().memory.buffer); // a view of the shared memory, no copy
      expect(v.every((b) => b === 9)).toBe(true);
    }
    const blocks = rt.segment().stats().blocksInUse;
    ch.tryRecv(); // the next receive releases the viewed slot (and its heap block)
    expect(rt.segment().stats().blocksInUse).toBe(blocks - 1);
  });

  it('bad input: codec values, sizes, too large, wrong kind, closed handle', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel('c', { maxMessageSize: 100 });
    expect(() => ch.send('str' as never)).toThrow(TypeError);
    expect(() => ch.send(new Uint8Array(101))).toThrow(MessageTooLargeError);
    expect(() => ch.reserve(101)).toThrow(RangeError);
    expect(() => ch.reserve(-1)).toThrow(RangeError);
    expect(ch.depth).toBe(0);
    expect(() => rt.channel('x', { capacity: -1 })).toThrow(RangeError);
    expect(() => rt.channel('x', { capacity: 1.5 })).toThrow(RangeError);
    expect(() => rt.channel('x', { maxMessageSize: -1 })).toThrow(RangeError);
    expect(() => rt.channel('x', { codec: 'xml' as never })).toThrow(/codec/);
    expect(() => rt.channel('x', { spsc: 1 as never })).toThrow(TypeError);
    expect(() => rt.channel('c', { capacity: 8 })).toThrow(/exists with capacity 1024/);
    expect(() => rt.mutex('c')).toThrow(KindMismatchError);
    const j = rt.channel('j', { codec: 'json' });
    expect(() => j.send(undefined)).toThrow(TypeError);
    expect(() => j.send(() => 1)).toThrow(TypeError);
    ch.dispose();
    expect(() => ch.send(new Uint8Array(1))).toThrow(/handle is closed/);
  });

  it('unbounded: grows until the segment is full, then OutOfMemoryError with nothing lost', async () => {
    const rt = await Runtime.create({ size: 256 << 10, maxSize: 1 << 20 });
    const ch = rt.channel('u', { capacity: Infinity });
    expect(ch.capacity).toBe(Infinity);
    let n = 0;
    let err: unknown;
    for (;;) {
      try { ch.send(new Uint8Array(1000).fill(n & 255)); n++; } catch (e) { err = e; break; }
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(n).toBeGreaterThan(500);
    expect(ch.depth).toBe(n);
    expect(rt.segment().memory.buffer.byteLength).toBe(1 << 20);
    for (let i = 0; i < n; i++) expect(ch.recv()[0]).toBe(i & 255);
    expect(ch.tryRecv()).toBeUndefined();
    ch.send(new Uint8Array(1000)); // room again
    ch.close();
    expect(ch.recv().length).toBe(1000);
    expect(() => ch.recv()).toThrow(ClosedError);
  });

  it('a full segment: OutOfMemoryError, nothing lost, the ring keeps moving', async () => {
    const rt = await Runtime.create({ size: 256 << 10, maxSize: 512 << 10 });
    const ch = rt.channel('c', { capacity: 64, maxMessageSize: 200_000 });
    const sent: number[] = [];
    let err: unknown;
    for (let i = 0; i < 64; i++) {
      try { ch.send(new Uint8Array(100_000).fill(i & 255)); sent.push(i); } catch (e) { err = e; break; }
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    ch.send(new Uint8Array([1, 2, 3])); // small messages still go through the ring
    for (const i of sent) expect(ch.recv()[0]).toBe(i & 255);
    expect(Array.from(ch.recv())).toEqual([1, 2, 3]);
    ch.send(new Uint8Array(100_000)); // room again
    expect(ch.recv().length).toBe(100_000);
  });
});
