// Model-based fuzzing (fast-check) of the objects shared in place: topic, frame pool,
// semaphore. Random operation sequences, bad arguments among them, run on one JS thread as
// two threads of the segment (rt and rt2: two thread ids) with the try forms and timeout 0,
// against a plain sequential model; every bad call must throw a typed error and change
// nothing, which the model then keeps checking. Each run ends by removing its object: the
// segment's bytes in use return to where they were.
// FUZZ_SEED=n reproduces a run (fast-check prints the seed and path of a failure);
// FUZZ_RUNS=k multiplies the number of runs.
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import {
  Runtime, ClosedError, TimeoutError, MessageTooLargeError, KindMismatchError, NotOwnerError, LimitError,
  type Topic, type Subscription, type FramePool, type Frame, type Semaphore,
} from '../dist/node/index.js';

import { runs, throws, command, bytesOf, msgArb, label, same, badTimeouts, type Msg, type ErrorClass } from './fuzz/common';


let rt: Runtime;
let rt2: Runtime;   // a second thread of the segment, in this JS thread: another thread id
let serial = 0;
const fresh = (kind: string): string => `fz-${kind}-${++serial}`;
const inUse = (): { bytes: number; blocks: number } => { const s = rt.segment().stats(); return { bytes: s.bytesInUse, blocks: s.blocksInUse }; };
const rtOf = (t: 0 | 1): Runtime => (t === 0 ? rt : rt2);
const thread = fc.constantFrom<0 | 1>(0, 1);

beforeAll(async () => {
  rt = await Runtime.create({ size: 4 << 20, maxSize: 64 << 20 });
  rt2 = await Runtime.attach(rt.handle());
  rt.segment().staging();     // the threads' staging blocks are made on first use: before any baseline
  rt2.segment().staging();
});

// ---------------------------------------------------------------------------------------
// Topic: a log of every message published (position → bytes, key), and per subscriber a
// cursor, an optional key filter and its count of lost messages. Policy 'block' refuses a
// publish while an active subscriber is `capacity` positions behind; 'overwrite' never
// does, and a subscriber that was lapped jumps to the oldest message still in the ring,
// counting the ones skipped as lost (reported with the next message it gets). Messages its
// filter rejects are passed over, and are not lost. A subscription holds the topic, so it
// stays valid (ClosedError once removed) after the handle it came from is closed.

interface SubModel { t: 0 | 1; key: number | undefined; cursor: number; lost: number; active: boolean }
interface TopicModel {
  readonly name: string; readonly size: number; readonly max: number; readonly overwrite: boolean;
  log: { b: Uint8Array; key: number }[]; subs: SubModel[]; removed: boolean; disposed: [boolean, boolean];
  /** A new topic made under the name after the removal (the old subscriptions must not see it). */
  successor: boolean;
}
interface TopicReal { topic: [Topic, Topic]; subs: Subscription<Uint8Array>[]; successor?: Topic }

const activeSubs = (m: TopicModel): SubModel[] => m.subs.filter((s) => s.active);
const blocked = (m: TopicModel): boolean => !m.overwrite && activeSubs(m).some((s) => m.log.length - s.cursor >= m.size);

/** What sub i's next receive gets: the message (or undefined), the lost count it reports, and the cursor after. */
function topicNext(m: TopicModel, s: SubModel): { got?: { b: Uint8Array; key: number }; lost: number; cursor: number } {
  const tail = m.log.length;
  let c = s.cursor;
  let lost = 0;
  for (;;) {
    if (c < tail - m.size) { lost += tail - m.size - c; c = tail - m.size; }   // lapped: the oldest still in the ring
    if (c >= tail) return { lost, cursor: c };
    const x = m.log[c++]!;
    if (s.key === undefined || x.key === s.key) return { got: x, lost, cursor: c };
  }
}

function topicInvariants(m: TopicModel, r: TopicReal): void {
  const row = rt.list().find((o) => o.name === m.name);
  if (m.removed) expect(m.successor ? row!.offset : row).toBe(m.successor ? r.successor!.offset : undefined);
  else {
    expect(row!.state).toEqual({ published: m.log.length, subscribers: activeSubs(m).length, capacity: m.size, overwrite: m.overwrite ? 1 : 0 });
    expect(row!.refs).toBe(m.disposed.filter((d) => !d).length + activeSubs(m).length);   // handles, and subscriptions
  }
  m.subs.forEach((s, i) => expect(r.subs[i]!.lost).toBe(s.lost));
}
const topicCmd = (label: string, run: (m: TopicModel, r: TopicReal) => void, check?: (m: Readonly<TopicModel>) => boolean) => command(label, run, topicInvariants, check);

const topicCommands = (max: number) => {
  const msg = msgArb(max, Math.min(max, 32));
  const key = fc.constantFrom(0, 1, 2, 0xffff_ffff);
  const pick = fc.nat();
  return [
    fc.tuple(thread, msg, key, fc.boolean()).map(([t, x, k, blocking]) => topicCmd(`[${t}] ${blocking ? 'publish' : 'tryPublish'}(${label(x)}, key ${k})`, (m, r) => {
      const b = bytesOf(x);
      const go = () => (blocking ? r.topic[t].publish(b, { key: k, timeout: 0 }) : r.topic[t].tryPublish(b, k));
      if (m.disposed[t]) { throws(go, ClosedError); return; }
      if (x.len > m.max) { throws(go, MessageTooLargeError); return; }
      if (m.removed) { throws(go, ClosedError); return; }
      if (blocked(m)) { if (blocking) throws(go, TimeoutError); else expect(go()).toBe(false); return; }
      expect(go()).toBe(blocking ? undefined : true);
      m.log.push({ b, key: k });
    })),
    fc.tuple(thread, fc.option(key, { nil: undefined })).map(([t, k]) => topicCmd(`[${t}] subscribe(${k === undefined ? '' : `{ key: ${k} }`})`, (m, r) => {
      const go = () => r.topic[t].subscribe(k === undefined ? {} : { key: k });
      if (m.disposed[t] || m.removed) { throws(go, ClosedError); return; }
      if (activeSubs(m).length === 64) { throws(go, LimitError); return; }
      r.subs.push(go());
      m.subs.push({ t, key: k, cursor: m.log.length, lost: 0, active: true });
    })),
    fc.tuple(pick, fc.boolean()).map(([i, blocking]) => topicCmd(`sub #${i} ${blocking ? 'receive(0)' : 'tryReceive()'}`, (m, r) => {
      const k = i % m.subs.length;
      const s = m.subs[k]!;
      const sub = r.subs[k]!;
      const recv = () => (blocking ? sub.receive(0) : sub.tryReceive());
      if (!s.active || m.removed) { throws(recv, ClosedError); return; }
      const next = topicNext(m, s);
      s.cursor = next.cursor;
      s.lost += next.lost;
      if (next.got === undefined) { if (blocking) throws(recv, TimeoutError); else expect(recv()).toBeUndefined(); return; }
      const got = recv()!;
      same(got.value, next.got.b);
      expect([got.key, got.lost]).toEqual([next.got.key, next.lost]);
    }, (m) => m.subs.length > 0)),
    pick.map((i) => topicCmd(`sub #${i} unsubscribe()`, (m, r) => {
      const k = i % m.subs.length;
      r.subs[k]!.unsubscribe();   // (again: nothing happens)
      m.subs[k]!.active = false;
    }, (m) => m.subs.length > 0)),
    thread.map((t) => topicCmd(`[${t}] subscribe up to the limit`, (m, r) => {
      const extra: Subscription<Uint8Array>[] = [];
      while (activeSubs(m).length + extra.length < 64) extra.push(r.topic[t].subscribe());
      throws(() => r.topic[t].subscribe(), LimitError);
      throws(() => r.topic[1 - t as 0 | 1].subscribe({ key: 1 }), ClosedError, LimitError);
      for (const s of extra) s.unsubscribe();
    }, (m) => !m.disposed[t] && !m.removed)),
    thread.map((t) => topicCmd(`[${t}] remove()`, (m, r) => {
      if (m.disposed[t] || m.removed) { throws(() => r.topic[t].remove(), ClosedError); return; }
      r.topic[t].remove();
      m.removed = true;
      m.disposed[t] = true;
    })),
    thread.map((t) => topicCmd(`[${t}] dispose()`, (m, r) => { r.topic[t].dispose(); m.disposed[t] = true; })),
    thread.map((t) => topicCmd(`[${t}] reopen by name`, (m, r) => {
      throws(() => rtOf(t).topic(m.name, { policy: m.overwrite ? 'block' : 'overwrite' }), RangeError);   // exists with another policy: nothing opened
      throws(() => rtOf(t).topic(m.name, { capacity: m.size * 2 }), RangeError);
      throws(() => rtOf(t).framePool(m.name), KindMismatchError);
      r.topic[t] = rtOf(t).topic(m.name);
      m.disposed[t] = false;
    }, (m) => m.disposed[t] && !m.removed)),
    fc.constant(topicCmd('a new topic under the removed name', (m, r) => {
      const next = rt.topic(m.name, { capacity: m.size, maxMessageSize: m.max, policy: m.overwrite ? 'overwrite' : 'block' });
      const sub = next.subscribe();
      next.publish(new Uint8Array([7]));     // the old subscriptions must not see it
      same(sub.recv(0), new Uint8Array([7]));
      sub.unsubscribe();
      r.successor = next;
      m.successor = true;
    }, (m) => m.removed && !m.successor)),
    // bad arguments
    fc.tuple(thread, fc.constantFrom<[unknown, ErrorClass]>([-1, RangeError], [2 ** 32, RangeError], [1.5, RangeError], [NaN, RangeError], ['1', TypeError], [null, TypeError]))
      .map(([t, [k, err]]) => topicCmd(`[${t}] key ${String(k)}`, (m, r) => {
        throws(() => r.topic[t].tryPublish(new Uint8Array(0), k as number), err);
        throws(() => r.topic[t].subscribe({ key: k as number }), err);
        if (k !== null) throws(() => r.topic[t].publish(new Uint8Array(0), { key: k as number, timeout: 0 }), err);   // (an option of null is the default)
      }, (m) => !m.disposed[t])),
    fc.tuple(thread, fc.constantFrom<unknown>(null, 'key', 7)).map(([t, options]) => topicCmd(`[${t}] subscribe(${String(options)})`, (m, r) => {
      throws(() => r.topic[t].subscribe(options as never), TypeError);
    }, (m) => !m.disposed[t])),
    fc.tuple(thread, fc.constantFrom(...badTimeouts)).map(([t, [ms, err]]) => topicCmd(`[${t}] timeout ${String(ms)}`, (m, r) => {
      throws(() => r.topic[t].publish(new Uint8Array(0), { timeout: ms as number }), err);
      m.subs.forEach((s, i) => { if (s.t === t) throws(() => r.subs[i]!.receive(ms as number), err); });
    }, (m) => !m.disposed[t])),
    fc.tuple(thread, fc.constantFrom<unknown>('text', 5, null, [1])).map(([t, v]) => topicCmd(`[${t}] publish(${String(v)}): not bytes`, (m, r) => {
      throws(() => r.topic[t].tryPublish(v as never), TypeError);
    }, (m) => !m.disposed[t])),
    fc.constantFrom<[object, ErrorClass]>(
      [{ capacity: 1 }, RangeError], [{ capacity: 2 ** 21 }, RangeError], [{ capacity: 2.5 }, RangeError], [{ maxMessageSize: 0 }, RangeError],
      [{ maxMessageSize: 65537 }, RangeError], [{ policy: 'drop' }, TypeError], [{ codec: 'csv' }, TypeError],
    ).map(([options, err]) => topicCmd(`rt.topic(${JSON.stringify(options)})`, (m) => {
      const other = fresh('topic-bad');
      throws(() => rt.topic(m.name, options), err);
      throws(() => rt.topic(other, options), err);
      expect(rt.list().some((o) => o.name === other)).toBe(false);
    })),
  ];
};

describe('fuzz: topic against a log with subscriber cursors', () => {
  it('random publishes (both policies), subscribers with and without key filters, laps, removal and bad arguments', () => {
    const config = fc.record({ capacity: fc.constantFrom(2, 3, 4, 8), maxMessageSize: fc.constantFrom(1, 8, 100, 2000), policy: fc.constantFrom<'block' | 'overwrite'>('block', 'overwrite') });
    fc.assert(fc.property(config.chain((c) => fc.tuple(fc.constant(c), fc.commands(topicCommands(c.maxMessageSize), { maxCommands: 60, size: 'max' }))), ([c, cmds]) => {
      const base = inUse();
      const name = fresh('topic');
      const topic = rt.topic(name, c);
      const model: TopicModel = { name, size: topic.capacity, max: c.maxMessageSize, overwrite: c.policy === 'overwrite', log: [], subs: [], removed: false, disposed: [false, false], successor: false };
      expect(model.size).toBe(2 ** Math.ceil(Math.log2(c.capacity)));
      const real: TopicReal = { topic: [topic, rt2.topic(name)], subs: [] };
      try { fc.modelRun(() => ({ model, real }), cmds); } finally {
        for (const s of real.subs) s.unsubscribe();
        if (!model.removed || model.successor) rt.remove(name);
        for (const t of real.topic) t.dispose();
        real.successor?.dispose();
      }
      expect(inUse()).toEqual(base);   // the ring freed once the handles and subscriptions are gone
    }), runs(200));
  });
});

// ---------------------------------------------------------------------------------------
// Frame pool: per slot a state (free, written by thread t, ready, read by thread t), two FIFO
// queues of slot numbers (free, ready), the meta published with each and the bytes written
// into each frame in place. Only the thread holding a slot may publish or release it; a
// refused publish leaves the slot's meta alone.

type SlotState = 'free' | 'w0' | 'w1' | 'ready' | 'r0' | 'r1';
interface FpModel {
  readonly name: string; readonly slots: number; readonly frameSize: number; readonly metaSize: number;
  state: SlotState[]; free: number[]; ready: number[]; meta: unknown[]; seed: number[]; removed: boolean; disposed: [boolean, boolean];
}
interface FpReal { fp: [FramePool, FramePool] }
const fill = (bytes: Uint8Array, seed: number): void => { for (let i = 0; i < bytes.length; i++) bytes[i] = (seed * 7 + i) & 255; };
const filled = (bytes: Uint8Array, seed: number): boolean => bytes.every((v, i) => v === ((seed * 7 + i) & 255));

function fpInvariants(m: FpModel): void {
  const row = rt.list().find((o) => o.name === m.name);
  if (m.removed) { expect(row).toBeUndefined(); return; }
  expect(row!.state).toEqual({ slots: m.slots, frameSize: m.frameSize, free: m.state.filter((s) => s === 'free').length, ready: m.state.filter((s) => s === 'ready').length });
  expect(row!.refs).toBe(m.disposed.filter((d) => !d).length);
  expect(m.free.length + m.ready.length + m.state.filter((s) => s !== 'free' && s !== 'ready').length).toBe(m.slots);
}
const fpCmd = (label: string, run: (m: FpModel, r: FpReal) => void, check?: (m: Readonly<FpModel>) => boolean) => command(label, run, fpInvariants, check);

/** The frame a take returned: its slot is the one the model expects, its bytes the frame in place. */
function checkFrame(m: FpModel, frame: Frame | undefined, slot: number, withMeta: boolean): Frame {
  expect(frame).toBeDefined();
  expect(frame!.slot).toBe(slot);
  expect(frame!.bytes.length).toBe(m.frameSize);
  if (withMeta) {
    expect(frame!.meta).toEqual(m.meta[slot]);
    expect(filled(frame!.bytes, m.seed[slot]!)).toBe(true);   // no copy: the producer's bytes
  }
  return frame!;
}

const metaArb = fc.oneof(
  fc.constant(undefined), fc.integer(), fc.string({ maxLength: 40 }), fc.record({ seq: fc.nat(), tag: fc.string({ maxLength: 8 }) }),
  fc.constant('x'.repeat(300)),   // beyond a small metaSize
);

const fpCommands = () => {
  const slot = fc.nat(7);
  return [
    fc.tuple(thread, fc.boolean(), fc.nat(255)).map(([t, blocking, seed]) => fpCmd(`[${t}] ${blocking ? 'acquire(0)' : 'tryAcquire()'}`, (m, r) => {
      const take = () => (blocking ? r.fp[t].acquire(0) : r.fp[t].tryAcquire());
      if (m.disposed[t] || m.removed) { throws(take, ClosedError); return; }
      if (m.free.length === 0) { if (blocking) throws(take, TimeoutError); else expect(take()).toBeUndefined(); return; }
      const s = m.free.shift()!;
      const frame = checkFrame(m, take(), s, false);
      fill(frame.bytes, seed);
      m.seed[s] = seed;
      m.state[s] = `w${t}`;
    })),
    fc.tuple(thread, slot, metaArb, fc.boolean()).map(([t, k, meta, asFrame]) => fpCmd(`[${t}] publish(slot ${k}, ${JSON.stringify(meta)})`, (m, r) => {
      const s = k % m.slots;
      const arg = asFrame ? { slot: s } as Frame : s;
      if (m.disposed[t]) { throws(() => r.fp[t].publish(arg, meta), ClosedError); return; }
      if (meta !== undefined && new TextEncoder().encode(JSON.stringify(meta)).length > m.metaSize) { throws(() => r.fp[t].publish(arg, meta), MessageTooLargeError); return; }
      if (m.state[s] !== `w${t}`) { throws(() => r.fp[t].publish(arg, meta), NotOwnerError); return; }   // (nothing written: its meta stays)
      r.fp[t].publish(arg, meta);
      m.state[s] = 'ready';
      m.ready.push(s);
      m.meta[s] = meta;
    })),
    fc.tuple(thread, fc.boolean()).map(([t, blocking]) => fpCmd(`[${t}] ${blocking ? 'next(0)' : 'tryNext()'}`, (m, r) => {
      const take = () => (blocking ? r.fp[t].next(0) : r.fp[t].tryNext());
      if (m.disposed[t] || m.removed) { throws(take, ClosedError); return; }
      if (m.ready.length === 0) { if (blocking) throws(take, TimeoutError); else expect(take()).toBeUndefined(); return; }
      const s = m.ready.shift()!;
      checkFrame(m, take(), s, true);
      m.state[s] = `r${t}`;
    })),
    fc.tuple(thread, slot, fc.boolean()).map(([t, k, asFrame]) => fpCmd(`[${t}] release(slot ${k})`, (m, r) => {
      const s = k % m.slots;
      const arg = asFrame ? { slot: s } as Frame : s;
      if (m.disposed[t]) { throws(() => r.fp[t].release(arg), ClosedError); return; }
      if (m.state[s] !== `w${t}` && m.state[s] !== `r${t}`) { throws(() => r.fp[t].release(arg), NotOwnerError); return; }
      r.fp[t].release(arg);
      m.state[s] = 'free';
      m.free.push(s);
    })),
    thread.map((t) => fpCmd(`[${t}] remove()`, (m, r) => {
      if (m.disposed[t] || m.removed) { throws(() => r.fp[t].remove(), ClosedError); return; }
      r.fp[t].remove();
      m.removed = true;
      m.disposed[t] = true;
    })),
    thread.map((t) => fpCmd(`[${t}] dispose()`, (m, r) => { r.fp[t].dispose(); m.disposed[t] = true; })),
    thread.map((t) => fpCmd(`[${t}] reopen by name`, (m, r) => {
      throws(() => rtOf(t).framePool(m.name, { slots: m.slots + 1, frameSize: m.frameSize }), RangeError);   // exists otherwise: nothing opened
      throws(() => rtOf(t).semaphore(m.name), KindMismatchError);
      r.fp[t] = rtOf(t).framePool(m.name);
      m.disposed[t] = false;
    }, (m) => m.disposed[t] && !m.removed)),
    // bad arguments
    fc.tuple(thread, fc.constantFrom<[unknown, ErrorClass]>([-1, RangeError], [8, RangeError], [4096, RangeError], [1.5, RangeError], [NaN, RangeError], ['0', TypeError], [null, TypeError], [{ slot: 0.5 }, RangeError], [{}, TypeError]))
      .map(([t, [arg, err]]) => fpCmd(`[${t}] slot ${JSON.stringify(arg)}`, (m, r) => {
        throws(() => r.fp[t].publish(arg as number), err);
        throws(() => r.fp[t].publish(arg as number, { meta: 1 }), err);
        throws(() => r.fp[t].release(arg as number), err);
      }, (m) => !m.disposed[t])),
    fc.tuple(thread, slot, fc.constantFrom<unknown>(10n, () => 1, Symbol('s'))).map(([t, k, meta]) => fpCmd(`[${t}] publish(slot ${k}, ${typeof meta} meta)`, (m, r) => {
      throws(() => r.fp[t].publish(k % m.slots, meta), TypeError);   // not JSON: refused before anything is written
    }, (m) => !m.disposed[t])),
    fc.tuple(thread, fc.constantFrom(...badTimeouts)).map(([t, [ms, err]]) => fpCmd(`[${t}] timeout ${String(ms)}`, (m, r) => {
      throws(() => r.fp[t].acquire(ms as number), err);
      throws(() => r.fp[t].next(ms as number), err);
    }, (m) => !m.disposed[t])),
    fc.constantFrom<[object, ErrorClass]>(
      [{ slots: 0, frameSize: 8 }, RangeError], [{ slots: 4097, frameSize: 8 }, RangeError], [{ slots: 1.5, frameSize: 8 }, RangeError], [{ slots: 2 }, TypeError],
      [{ slots: 2, frameSize: 0 }, RangeError], [{ slots: 2, frameSize: 2 ** 30 + 1 }, RangeError], [{ slots: 2, frameSize: 8, metaSize: -1 }, RangeError],
      [{ slots: 2, frameSize: 8, metaSize: 65537 }, RangeError], [{ slots: 2, frameSize: 8, codec: 'ini' }, TypeError],
    ).map(([options, err]) => fpCmd(`rt.framePool(${JSON.stringify(options)})`, (m) => {
      const other = fresh('fp-bad');
      throws(() => rt.framePool(other, options), err);
      if ('codec' in options && !m.removed) throws(() => rt.framePool(m.name, options as never), err);   // opens nothing (refs are checked)
      expect(rt.list().some((o) => o.name === other)).toBe(false);
    })),
  ];
};

describe('fuzz: frame pool against slot states and two FIFO queues', () => {
  it('random acquire / publish / next / release from two threads, slots not held, meta, removal and bad arguments', () => {
    const config = fc.record({ slots: fc.integer({ min: 1, max: 6 }), frameSize: fc.constantFrom(1, 61, 64, 1000), metaSize: fc.constantFrom(0, 16, 256) });
    fc.assert(fc.property(config, fc.commands(fpCommands(), { maxCommands: 60, size: 'max' }), (c, cmds) => {
      const base = inUse();
      const name = fresh('fp');
      const model: FpModel = {
        name, ...c, state: Array(c.slots).fill('free'), free: Array.from({ length: c.slots }, (_, i) => i), ready: [], meta: [], seed: [], removed: false, disposed: [false, false],
      };
      const real: FpReal = { fp: [rt.framePool(name, c), rt2.framePool(name)] };
      try { fc.modelRun(() => ({ model, real }), cmds); } finally {
        if (!model.removed) rt.remove(name);
        for (const p of real.fp) p.dispose();
      }
      expect(inUse()).toEqual(base);
    }), runs(200));
  });
});

// ---------------------------------------------------------------------------------------
// Semaphore: a count between 0 and max, taken and given back by two threads (weak or strong:
// with one JS thread nobody queues, so both behave alike). A release past max is refused
// whole; a guard gives its permits back once.

interface SemModel {
  readonly name: string; readonly max: number; readonly fair: boolean; value: number; removed: boolean; disposed: [boolean, boolean];
  /** Each thread's handle, counted: a guard gives back through the handle it came from. */
  handle: [number, number];
  guards: { t: 0 | 1; handle: number; n: number; done: boolean }[];
}
interface SemReal { sem: [Semaphore, Semaphore]; guards: { release(): void; held: boolean }[] }

function semInvariants(m: SemModel, r: SemReal): void {
  const row = rt.list().find((o) => o.name === m.name);
  if (m.removed) { expect(row).toBeUndefined(); return; }
  expect(row!.state).toEqual({ value: m.value, max: m.max, waiters: 0, fair: m.fair ? 1 : 0 });
  expect(row!.refs).toBe(m.disposed.filter((d) => !d).length);
  for (const t of [0, 1] as const) if (!m.disposed[t]) expect([r.sem[t].value, r.sem[t].max, r.sem[t].fair]).toEqual([m.value, m.max, m.fair]);
  m.guards.forEach((g, i) => expect(r.guards[i]!.held).toBe(!g.done));
}
const semCmd = (label: string, run: (m: SemModel, r: SemReal) => void, check?: (m: Readonly<SemModel>) => boolean) => command(label, run, semInvariants, check);

const semCommands = () => {
  const count = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(1, 7, 2 ** 31 - 1));
  return [
    fc.tuple(thread, count, fc.boolean()).map(([t, n, blocking]) => semCmd(`[${t}] ${blocking ? `acquire(${n}, 0)` : `tryAcquire(${n})`}`, (m, r) => {
      const take = () => (blocking ? r.sem[t].acquire(n, 0) : r.sem[t].tryAcquire(n));
      if (m.disposed[t]) { throws(take, ClosedError); return; }
      if (n > m.max) { throws(take, RangeError); return; }   // (arguments are checked before the core is asked)
      if (m.removed) { throws(take, ClosedError); return; }
      if (n > m.value) { if (blocking) throws(take, TimeoutError); else expect(take()).toBeNull(); return; }
      r.guards.push(take()!);
      m.guards.push({ t, handle: m.handle[t], n, done: false });
      m.value -= n;
    })),
    fc.tuple(thread, count).map(([t, n]) => semCmd(`[${t}] release(${n})`, (m, r) => {
      if (m.disposed[t] || m.removed) { throws(() => r.sem[t].release(n), ClosedError); return; }
      if (m.value + n > m.max) { throws(() => r.sem[t].release(n), RangeError); return; }   // refused whole: nothing given back
      r.sem[t].release(n);
      m.value += n;
    })),
    fc.nat().map((i) => semCmd(`guard #${i} release()`, (m, r) => {
      const k = i % m.guards.length;
      const g = m.guards[k]!;
      if (g.done) { r.guards[k]!.release(); return; }   // once: later calls do nothing
      g.done = true;   // (the guard is spent even when its release throws)
      if (m.disposed[g.t] || g.handle !== m.handle[g.t] || m.removed) { throws(() => r.guards[k]!.release(), ClosedError); return; }
      if (m.value + g.n > m.max) { throws(() => r.guards[k]!.release(), RangeError); return; }
      r.guards[k]!.release();
      m.value += g.n;
    }, (m) => m.guards.length > 0)),
    thread.map((t) => semCmd(`[${t}] remove()`, (m, r) => {
      if (m.disposed[t] || m.removed) { throws(() => r.sem[t].remove(), ClosedError); return; }
      r.sem[t].remove();
      m.removed = true;
      m.disposed[t] = true;
    })),
    thread.map((t) => semCmd(`[${t}] dispose()`, (m, r) => { r.sem[t].dispose(); m.disposed[t] = true; })),
    thread.map((t) => semCmd(`[${t}] reopen by name`, (m, r) => {
      throws(() => rtOf(t).semaphore(m.name, { max: m.max === 1 ? 2 : 1 }), RangeError);   // exists otherwise: nothing opened
      throws(() => rtOf(t).semaphore(m.name, { fair: !m.fair }), RangeError);
      throws(() => rtOf(t).mutex(m.name), KindMismatchError);
      r.sem[t] = rtOf(t).semaphore(m.name, { initial: 0 });   // (initial applies when it is created)
      m.disposed[t] = false;
      m.handle[t]++;
    }, (m) => m.disposed[t] && !m.removed)),
    // bad arguments
    fc.tuple(thread, fc.constantFrom<[unknown, ErrorClass]>([0, RangeError], [-1, RangeError], [2 ** 31, RangeError], [1.5, RangeError], [NaN, RangeError], ['1', TypeError], [null, TypeError], [Infinity, RangeError]))
      .map(([t, [n, err]]) => semCmd(`[${t}] count ${String(n)}`, (m, r) => {
        throws(() => r.sem[t].tryAcquire(n as number), err);
        throws(() => r.sem[t].acquire(n as number, 0), err);
        throws(() => r.sem[t].release(n as number), err);
      }, (m) => !m.disposed[t] && !m.removed)),
    fc.tuple(thread, fc.constantFrom(...badTimeouts)).map(([t, [ms, err]]) => semCmd(`[${t}] timeout ${String(ms)}`, (m, r) => {
      throws(() => r.sem[t].acquire(1, ms as number), err);
    }, (m) => !m.disposed[t] && !m.removed)),
    fc.constantFrom<[object, ErrorClass]>(
      [{ max: 0 }, RangeError], [{ max: 2 ** 31 }, RangeError], [{ max: 2.5 }, RangeError], [{ initial: -1 }, RangeError], [{ initial: 3, max: 2 }, RangeError],
      [{ initial: 0.5 }, RangeError], [{ fair: 'yes' }, TypeError], [{ initial: NaN }, RangeError],
    ).map(([options, err]) => semCmd(`rt.semaphore(${JSON.stringify(options)})`, (m) => {
      const other = fresh('sem-bad');
      throws(() => rt.semaphore(m.name, options), err);
      throws(() => rt.semaphore(other, options), err);
      expect(rt.list().some((o) => o.name === other)).toBe(false);
    })),
  ];
};

describe('fuzz: semaphore against a bounded count', () => {
  it('random acquires, releases and guards from two threads, weak and strong, past max, removal and bad arguments', () => {
    const config = fc.record({ max: fc.constantFrom(1, 2, 5, 2 ** 31 - 1), fair: fc.boolean(), initial: fc.nat(5) }).map((c) => ({ ...c, initial: Math.min(c.initial, c.max) }));
    fc.assert(fc.property(config, fc.commands(semCommands(), { maxCommands: 60, size: 'max' }), (c, cmds) => {
      const base = inUse();
      const name = fresh('sem');
      const model: SemModel = { name, max: c.max, fair: c.fair, value: c.initial, removed: false, disposed: [false, false], handle: [0, 0], guards: [] };
      const real: SemReal = { sem: [rt.semaphore(name, c), rt2.semaphore(name)], guards: [] };
      try { fc.modelRun(() => ({ model, real }), cmds); } finally {
        if (!model.removed) rt.remove(name);
        for (const s of real.sem) s.dispose();
      }
      expect(inUse()).toEqual(base);
    }), runs(200));
  });
});
