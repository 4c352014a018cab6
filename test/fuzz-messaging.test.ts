// Model-based fuzzing (fast-check) of the message-passing objects: channel, message queue,
// port. Random operation sequences, bad arguments among them, run on one thread (the try
// forms and timeout 0, so nothing blocks) against a plain sequential model; every bad call
// must throw a typed error and change nothing, which the model then keeps checking. Each
// run ends by removing its object: the segment's bytes in use return to where they were.
// FUZZ_SEED=n reproduces a run (fast-check prints the seed and path of a failure);
// FUZZ_RUNS=k multiplies the number of runs.
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import {
  Runtime, IpcError, ClosedError, TimeoutError, MessageTooLargeError, KindMismatchError,
  NotOwnerError, NotFoundError, AlreadyExistsError, DeadPeerError, type Channel, type MessageQueue, type Port,
} from '../dist/node/index.js';

import { runs, throws, command, bytesOf, msgArb, label, same, badTimeouts, type Msg, type ErrorClass } from './fuzz/common';


/** Values a bytes codec refuses. */
const notBytes: unknown[] = ['text', 42, null, [1, 2], { length: 1 }, new Uint16Array(2), new ArrayBuffer(4)];

let rt: Runtime;
let rt2: Runtime;   // a second thread of the segment, in this JS thread: another thread id
let serial = 0;
const fresh = (kind: string): string => `fz-${kind}-${++serial}`;
const inUse = (): { bytes: number; blocks: number } => { const s = rt.segment().stats(); return { bytes: s.bytesInUse, blocks: s.blocksInUse }; };

beforeAll(async () => {
  rt = await Runtime.create({ size: 4 << 20, maxSize: 64 << 20 });
  rt2 = await Runtime.attach(rt.handle());
  rt.segment().staging();     // the threads' staging blocks are made on first use: before any baseline
  rt2.segment().staging();
});

// ---------------------------------------------------------------------------------------
// Channel: a bounded FIFO (capacity rounded up to a power of two; 0: a rendezvous, whose
// sends a lone thread never completes: they are withdrawn, though a reservation or a
// confirmed deliver() queues one message; Infinity: unbounded), plus a 16-message urgent lane
// that receivers drain first. Close: sends fail, receives drain and then fail. A message
// taken by recvView() keeps its slot until the handle's next receive: that slot is not room
// (on a rendezvous' ring of two slots with a limit of one, it is the other slot, once a
// withdrawn send has gone round), and in SPSC mode, where the consumer's index moves on
// release, it still counts in the depth.

interface ChModel {
  readonly name: string; readonly cap: number; readonly max: number; readonly rendezvous: boolean; readonly unbounded: boolean; readonly spsc: boolean;
  q: Uint8Array[]; urgent: Uint8Array[]; closed: boolean; disposed: boolean;
  /** The lane of the slot a recvView() holds. */
  view: 'ring' | 'lane' | null;
  /** A rendezvous send was withdrawn while the view was held: the ring is back at the held slot. */
  viewBlocks: boolean;
  /** Messages sent by deliver(confirm 'processed'), and the acks this thread owes for those it received. */
  processed: Set<Uint8Array>; owed: number;
}
interface ChReal { ch: Channel }
const viewHeld = (m: ChModel): number => (m.view === 'ring' && !m.unbounded && (m.spsc || m.cap >= 2) ? 1 : 0);
const room = (m: ChModel): number => (m.unbounded ? Infinity : m.rendezvous ? 0 : m.cap - m.q.length - viewHeld(m));
/** Room for a reservation, which cannot wait for a receiver: on a rendezvous it is queued, one at a time. */
const reserveRoom = (m: ChModel): number => (m.rendezvous ? (m.viewBlocks ? 0 : 1 - m.q.length) : room(m));
/** A rendezvous send that found its slot free was published and withdrawn: with a view held, the ring went round to it. */
const withdrawn = (m: ChModel): void => { if (m.rendezvous && m.view === 'ring' && m.q.length === 0) m.viewBlocks = true; };
const urgentRoom = (m: ChModel): number => 16 - m.urgent.length - (m.view === 'lane' ? 1 : 0);
const nextOf = (m: ChModel): Uint8Array | undefined => m.urgent[0] ?? m.q[0];
function takeNext(m: ChModel): Uint8Array {
  const b = m.urgent.length > 0 ? m.urgent.shift()! : m.q.shift()!;
  if (m.processed.has(b)) m.owed++;
  return b;
}
/** Every receive that gets past its argument checks first gives back the slot a recvView() held. */
const receiving = (m: ChModel): void => { m.view = null; m.viewBlocks = false; };

function chInvariants(m: ChModel, r: ChReal): void {
  if (m.disposed) { expect(r.ch.disposed).toBe(true); return; }
  const depth = m.q.length + m.urgent.length + (m.spsc && m.view === 'ring' ? 1 : 0);
  expect(r.ch.depth).toBe(depth);
  expect(r.ch.closed).toBe(m.closed);
  const row = rt.list().find((o) => o.name === m.name)!;
  expect(row.state.depth).toBe(depth);
  expect(row.refs).toBe(1);
}
const chCmd = (label: string, run: (m: ChModel, r: ChReal) => void, check?: (m: Readonly<ChModel>) => boolean) => command(label, run, chInvariants, check);
const open = (m: Readonly<ChModel>): boolean => !m.disposed;

/** The expected failure of a send of `len` bytes before any room is looked at, if any. */
function sendRefusal(m: ChModel, len: number): ErrorClass | undefined {
  if (m.disposed) return ClosedError;
  if (len > m.max) return MessageTooLargeError;
  if (m.closed) return ClosedError;
  return undefined;
}

const channelCommands = (max: number) => {
  const msg = msgArb(max);
  const batch = fc.array(msg, { maxLength: 6 });
  return [
    msg.map((x) => chCmd(`trySend(${label(x)})`, (m, r) => {
      const b = bytesOf(x);
      const refused = sendRefusal(m, x.len);
      if (refused) { throws(() => r.ch.trySend(b), refused); return; }
      const ok = r.ch.trySend(b);
      expect(ok).toBe(room(m) > 0);
      if (ok) m.q.push(b); else withdrawn(m);
    })),
    msg.map((x) => chCmd(`send(${label(x)}, 0)`, (m, r) => {
      const b = bytesOf(x);
      const refused = sendRefusal(m, x.len);
      if (refused) { throws(() => r.ch.send(b, 0), refused); return; }
      if (room(m) === 0) { throws(() => r.ch.send(b, 0), TimeoutError); withdrawn(m); return; }   // (a rendezvous withdraws it)
      r.ch.send(b, 0);
      m.q.push(b);
    })),
    msg.map((x) => chCmd(`sendUrgent(${label(x)})`, (m, r) => {
      const b = bytesOf(x);
      if (m.disposed) { throws(() => r.ch.sendUrgent(b), ClosedError); return; }
      if (x.len > m.max) { throws(() => r.ch.sendUrgent(b), MessageTooLargeError); return; }
      if (m.unbounded) { throws(() => r.ch.sendUrgent(b), TypeError); return; }
      if (m.closed) { throws(() => r.ch.sendUrgent(b), ClosedError); return; }
      const ok = r.ch.sendUrgent(b);
      expect(ok).toBe(urgentRoom(m) > 0);
      if (ok) m.urgent.push(b);
    })),
    batch.map((xs) => chCmd(`sendMany([${xs.map(label)}], 0)`, (m, r) => {
      const bs = xs.map(bytesOf);
      if (m.disposed) { throws(() => r.ch.sendMany(bs, 0), ClosedError); return; }
      if (m.rendezvous) {   // one send each: the first one fails
        if (bs.length === 0) { expect(r.ch.sendMany(bs, 0)).toBe(0); return; }
        const refused = sendRefusal(m, bs[0]!.length);
        throws(() => r.ch.sendMany(bs, 0), refused ?? TimeoutError);
        if (!refused) withdrawn(m);
        return;
      }
      if (bs.some((b) => b.length > m.max)) { throws(() => r.ch.sendMany(bs, 0), MessageTooLargeError); return; }
      if (m.closed && bs.length > 0) { throws(() => r.ch.sendMany(bs, 0), ClosedError); return; }
      const fit = Math.min(room(m), bs.length);
      if (fit < bs.length) throws(() => r.ch.sendMany(bs, 0), TimeoutError);   // what fits is sent, then it times out
      else expect(r.ch.sendMany(bs, 0)).toBe(bs.length);
      m.q.push(...bs.slice(0, fit));
    })),
    batch.map((xs) => chCmd(`sendPacked([${xs.map(label)}], 0)`, (m, r) => {
      const bs = xs.map(bytesOf);
      const packed = new Uint8Array(Buffer.concat(bs.map((b) => Buffer.from(b))));
      const lengths = bs.map((b) => b.length);
      if (m.disposed) { throws(() => r.ch.sendPacked(packed, lengths, 0), ClosedError); return; }
      if (bs.some((b) => b.length > m.max)) { throws(() => r.ch.sendPacked(packed, lengths, 0), RangeError); return; }
      if (m.closed && bs.length > 0) { throws(() => r.ch.sendPacked(packed, lengths, 0), ClosedError); return; }
      const fit = Math.min(room(m), bs.length);
      if (fit < bs.length) { throws(() => r.ch.sendPacked(packed, lengths, 0), TimeoutError); withdrawn(m); } else expect(r.ch.sendPacked(packed, lengths, 0)).toBe(bs.length);
      m.q.push(...bs.slice(0, fit));
    })),
    msg.map((x) => chCmd(`reserve(${x.len}, timeout 0) + commit`, (m, r) => {
      const b = bytesOf(x);
      if (m.disposed) { throws(() => r.ch.reserve(x.len, 0), ClosedError); return; }
      if (x.len > m.max) { throws(() => r.ch.reserve(x.len, 0), RangeError); return; }
      if (m.closed) { throws(() => r.ch.reserve(x.len, 0), ClosedError); return; }
      if (reserveRoom(m) === 0) { throws(() => r.ch.reserve(x.len, 0), TimeoutError); expect(r.ch.tryReserve(x.len)).toBeUndefined(); return; }
      const res = (m.q.length % 2 ? r.ch.tryReserve(x.len) : r.ch.reserve(x.len, 0))!;
      expect(res.bytes.length).toBe(x.len);
      res.bytes.set(b);
      res.commit();
      throws(() => res.commit(), ClosedError);   // once
      m.q.push(b);
    })),
    fc.tuple(msg, fc.constantFrom('queued', 'received', 'processed') as fc.Arbitrary<'queued' | 'received' | 'processed'>).map(([x, confirm]) => chCmd(`deliver(${label(x)}, '${confirm}', timeout 0)`, (m, r) => {
      const b = bytesOf(x);
      const go = () => r.ch.deliver(b, { confirm, timeout: 0 });
      const refused = sendRefusal(m, x.len);
      if (refused) { throws(go, refused); return; }
      if (confirm === 'queued') {   // as send(b, 0)
        if (room(m) === 0) { throws(go, TimeoutError); withdrawn(m); return; }
        expect(go()).toEqual({ confirm: 'queued', receiver: 0 });
        m.q.push(b);
        return;
      }
      // with a receipt: queued (even on a rendezvous, one at a time), then nobody confirms in time and it stays queued
      if (reserveRoom(m) === 0) { throws(go, TimeoutError); return; }
      throws(go, TimeoutError);
      m.q.push(b);
      if (confirm === 'processed') m.processed.add(b);
    })),
    fc.constant(chCmd('ack()', (m, r) => {
      if (m.disposed) { throws(() => r.ch.ack(), ClosedError); return; }
      if (m.owed === 0) { throws(() => r.ch.ack(), NotOwnerError); return; }
      r.ch.ack();
      m.owed--;
    })),
    fc.constant(chCmd('tryRecv()', (m, r) => {
      if (m.disposed) { throws(() => r.ch.tryRecv(), ClosedError); return; }
      receiving(m);
      const want = nextOf(m);
      if (want === undefined) {
        if (m.closed) throws(() => r.ch.tryRecv(), ClosedError);
        else expect(r.ch.tryRecv()).toBeUndefined();
        return;
      }
      same(r.ch.tryRecv(), takeNext(m));
    })),
    fc.constant(chCmd('recv(0)', (m, r) => {
      if (m.disposed) { throws(() => r.ch.recv(0), ClosedError); return; }
      receiving(m);
      if (nextOf(m) === undefined) { throws(() => r.ch.recv(0), m.closed ? ClosedError : TimeoutError); return; }
      same(r.ch.recv(0), takeNext(m));
    })),
    fc.constant(chCmd('recvView(0)', (m, r) => {
      if (m.disposed) { throws(() => r.ch.recvView(0), ClosedError); return; }
      receiving(m);
      if (nextOf(m) === undefined) { throws(() => r.ch.recvView(0), m.closed ? ClosedError : TimeoutError); return; }
      const lane = m.urgent.length > 0 ? 'lane' : 'ring';
      same(r.ch.recvView(0).slice(), takeNext(m));
      m.view = lane;
    })),
    fc.nat(max + 8).map((size) => chCmd(`tryRecvInto(u8[${size}])`, (m, r) => {
      const target = new Uint8Array(size);
      if (m.disposed) { throws(() => r.ch.tryRecvInto(target), ClosedError); return; }
      receiving(m);
      const want = nextOf(m);
      if (want === undefined) {
        if (m.closed) throws(() => r.ch.tryRecvInto(target), ClosedError);
        else expect(r.ch.tryRecvInto(target)).toBe(-1);
        return;
      }
      if (want.length > size) { throws(() => r.ch.tryRecvInto(target), RangeError); return; }   // it stays queued
      const n = r.ch.tryRecvInto(target);
      same(target.subarray(0, n), takeNext(m));
    })),
    fc.tuple(fc.integer({ min: 1, max: 6 })).map(([max]) => chCmd(`recvMany(${max}, 0)`, (m, r) => {
      if (m.disposed) { throws(() => r.ch.recvMany(max, 0), ClosedError); return; }
      receiving(m);
      if (nextOf(m) === undefined) { throws(() => r.ch.recvMany(max, 0), m.closed ? ClosedError : TimeoutError); return; }
      const got = r.ch.recvMany(max, 0);
      const want: Uint8Array[] = [];
      while (want.length < max && nextOf(m) !== undefined) want.push(takeNext(m));
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => same(g, want[i]!));
    })),
    fc.tuple(fc.nat(3 * max), fc.integer({ min: 1, max: 5 })).map(([size, count]) => chCmd(`recvPacked(u8[${size}], u32[${count}], 0)`, (m, r) => {
      const target = new Uint8Array(size);
      const lengths = new Uint32Array(count);
      if (m.disposed) { throws(() => r.ch.recvPacked(target, lengths, 0), ClosedError); return; }
      receiving(m);
      const first = nextOf(m);
      if (first === undefined) { throws(() => r.ch.recvPacked(target, lengths, 0), m.closed ? ClosedError : TimeoutError); return; }
      if (first.length > size) { throws(() => r.ch.recvPacked(target, lengths, 0), RangeError); return; }
      const n = r.ch.recvPacked(target, lengths, 0);
      let used = 0;
      const want: Uint8Array[] = [];
      while (want.length < count && nextOf(m) !== undefined && used + nextOf(m)!.length <= size) { used += nextOf(m)!.length; want.push(takeNext(m)); }
      expect(n).toBe(want.length);
      let at = 0;
      want.forEach((w, i) => { expect(lengths[i]).toBe(w.length); same(target.subarray(at, at + w.length), w); at += w.length; });
    })),
    fc.constant(chCmd('close()', (m, r) => {
      if (m.disposed) { throws(() => r.ch.close(), ClosedError); return; }
      r.ch.close();
      m.closed = true;
    })),
    fc.constant(chCmd('dispose()', (m, r) => { r.ch.dispose(); m.disposed = true; receiving(m); }, (m) => m.owed === 0)),   // (acks are owed through a handle)
    fc.constant(chCmd('reopen by name', (m, r) => {
      throws(() => rt.channel(m.name, { capacity: m.rendezvous ? 8 : 0 }), RangeError);   // exists with another capacity: nothing opened
      throws(() => rt.mutex(m.name), KindMismatchError);
      r.ch = rt.channel(m.name);
      m.disposed = false;
    }, (m) => m.disposed)),
    // bad arguments: each a typed error, and nothing changes (the invariants and later commands check)
    fc.constantFrom(...notBytes).map((v) => chCmd(`send(${String(v)}): not bytes`, (m, r) => {
      throws(() => r.ch.trySend(v as never), TypeError);
      throws(() => r.ch.send(v as never, 0), TypeError);
      throws(() => r.ch.sendUrgent(v as never), TypeError);
      throws(() => r.ch.sendMany([v] as never, 0), TypeError);
      if (!m.rendezvous) throws(() => r.ch.sendMany([new Uint8Array(1), v] as never, 0), TypeError);   // a batch is encoded before anything is sent
    }, open)),
    fc.constantFrom(...badTimeouts).map(([t, err]) => chCmd(`timeout ${String(t)}`, (m, r) => {
      const ms = t as number;
      throws(() => r.ch.recv(ms), err);
      throws(() => r.ch.recvView(ms), err);
      throws(() => r.ch.recvInto(new Uint8Array(m.max), ms), err);
      throws(() => r.ch.recvMany(2, ms), err);
      throws(() => r.ch.recvPacked(new Uint8Array(m.max), new Uint32Array(2), ms), err);
      throws(() => r.ch.send(new Uint8Array(1), ms), err);
      throws(() => r.ch.sendMany([new Uint8Array(1)], ms), err);
      throws(() => r.ch.sendPacked(new Uint8Array(1), [1], ms), err);
    }, open)),
    fc.constantFrom<[unknown, ErrorClass]>([-1, RangeError], [1.5, RangeError], [NaN, RangeError], ['4', TypeError], [2 ** 31, RangeError]).map(([n, err]) =>
      chCmd(`bad sizes ${String(n)}`, (m, r) => {
        throws(() => r.ch.reserve(n as number), err);
        throws(() => r.ch.recvMany(n as number, 0), err);
        throws(() => r.ch.sendPacked(new Uint8Array(8), [n as number], 0), err);
      }, open)),
    fc.constant(chCmd('bad buffers', (m, r) => {
      throws(() => r.ch.sendPacked(new Uint8Array(4), [3, 2], 0), RangeError);            // lengths add up to more than bytes
      throws(() => r.ch.sendPacked([1, 2] as never, [2], 0), TypeError);
      throws(() => r.ch.recvInto('x' as never, 0), TypeError);
      throws(() => r.ch.tryRecvInto({ length: 8 } as never), TypeError);
      throws(() => r.ch.recvPacked(new Uint8Array(8), new Uint32Array(0), 0), TypeError);
      throws(() => r.ch.recvPacked(new Uint8Array(8), [1] as never, 0), TypeError);
      throws(() => r.ch.registerAs('both' as never), TypeError);
    }, open)),
    fc.constantFrom<[object, ErrorClass]>(
      [{ capacity: -1 }, RangeError], [{ capacity: 1.5 }, RangeError], [{ capacity: NaN }, RangeError], [{ capacity: 2 ** 25 }, RangeError],
      [{ capacity: '8' }, TypeError], [{ maxMessageSize: 0 }, RangeError], [{ maxMessageSize: 2 ** 30 }, RangeError], [{ inlineSize: -8 }, RangeError],
      [{ spsc: 'yes' }, TypeError], [{ capacity: 0, spsc: true }, RangeError], [{ capacity: Infinity, spsc: true }, RangeError], [{ codec: 'xml' }, TypeError],
    ).map(([options, err]) => chCmd(`rt.channel(${JSON.stringify(options)})`, (m) => {
      const other = fresh('ch-bad');
      throws(() => rt.channel(m.name, options), err);       // (the existing one: nothing opened)
      throws(() => rt.channel(other, options), err);        // nothing created
      expect(rt.list().some((o) => o.name === other)).toBe(false);
    })),
  ];
};

describe('fuzz: channel against a bounded FIFO', () => {
  it('random sends, receives, batches, urgent messages, close and bad arguments', () => {
    const config = fc.record({
      capacity: fc.constantFrom(0, 1, 2, 3, 4, 7, Infinity),
      maxMessageSize: fc.constantFrom(8, 60, 300, 5000),
      inlineSize: fc.constantFrom(0, 8, 56),
      spsc: fc.boolean(),
    }).map((c) => ({ ...c, spsc: c.spsc && c.capacity !== 0 && c.capacity !== Infinity }));
    fc.assert(fc.property(config.chain((c) => fc.tuple(fc.constant(c), fc.commands(channelCommands(c.maxMessageSize), { maxCommands: 60, size: 'max' }))), ([c, cmds]) => {
      const base = inUse();
      const name = fresh('ch');
      const ch = rt.channel(name, c);
      const cap = c.capacity === 0 || c.capacity === Infinity ? c.capacity : 2 ** Math.ceil(Math.log2(c.capacity));
      expect(ch.capacity).toBe(cap);
      const model: ChModel = { name, cap, max: c.maxMessageSize, rendezvous: c.capacity === 0, unbounded: c.capacity === Infinity, spsc: c.spsc, q: [], urgent: [], closed: false, disposed: false, view: null, viewBlocks: false, processed: new Set(), owed: 0 };
      const real: ChReal = { ch };
      try { fc.modelRun(() => ({ model, real }), cmds); } finally {
        while (model.owed-- > 0) real.ch.ack();
        real.ch.dispose();
        rt.remove(name);
      }
      expect(inUse()).toEqual(base);     // the ring, its queued heap blocks and the urgent lane are all freed
    }), runs(300));
  });
});

// ---------------------------------------------------------------------------------------
// Message queue: a priority queue (0–31, highest first, FIFO within a priority) of at most
// maxMessages messages, used from two threads (rt and rt2). unlink() takes its name only (both
// handles keep working; the name opens a new queue); remove() ends it for both.
// mq_notify: one registrant; a send that makes the queue non-empty fires and drops it.
// Delivery confirmation with timeout 0: the sender gives up, the message stays queued; a
// 'processed' one is owed an ack() by the thread that receives it.

interface MqMsg { b: Uint8Array; prio: number; processed: boolean }
interface MqModel {
  readonly name: string; readonly maxMessages: number; readonly max: number;
  q: MqMsg[]; removed: boolean; unlinked: boolean; disposed: [boolean, boolean]; registrant: 0 | 1 | 2; owed: [number, number];
}
interface MqReal { mq: [MessageQueue, MessageQueue] }
const tidOf = (t: 0 | 1): number => (t === 0 ? rt : rt2).threadId;
const rtOf = (t: 0 | 1): Runtime => (t === 0 ? rt : rt2);

function mqInvariants(m: MqModel, r: MqReal): void {
  const open = ([0, 1] as const).filter((t) => !m.disposed[t]);
  const rows = rt.list();
  if (m.unlinked && !m.removed) expect(rows.some((o) => o.name === m.name)).toBe(false);   // the name is gone
  const row = m.unlinked ? (open.length ? rows.find((o) => o.offset === r.mq[open[0]!].offset) : undefined) : rows.find((o) => o.name === m.name);
  if (m.removed || (m.unlinked && open.length === 0)) { expect(row).toBeUndefined(); return; }   // (unlinked: freed with the last handle)
  expect(row!.state.messages).toBe(m.q.length);
  expect(row!.refs).toBe(m.disposed.filter((d) => !d).length);
  for (const t of [0, 1] as const) if (!m.disposed[t]) expect(r.mq[t].attributes()).toEqual({ curMessages: m.q.length, maxMessages: m.maxMessages, maxMessageSize: m.max });
}
const mqCmd = (label: string, run: (m: MqModel, r: MqReal) => void, check?: (m: Readonly<MqModel>) => boolean) => command(label, run, mqInvariants, check);
const mqNext = (m: MqModel): number => {
  let best = -1;
  m.q.forEach((x, i) => { if (best < 0 || x.prio > m.q[best]!.prio) best = i; });
  return best;
};
/** The send refused before the queue is looked at, if it is. */
function mqRefusal(m: MqModel, t: 0 | 1, len: number): ErrorClass | undefined {
  if (m.disposed[t]) return ClosedError;
  if (len > m.max) return MessageTooLargeError;
  if (m.removed) return ClosedError;
  return undefined;
}
function mqQueued(m: MqModel, x: MqMsg): void {
  if (m.q.length === 0) m.registrant = 0;   // 0 → 1 with no receiver blocked: the notification fires, once
  m.q.push(x);
}

const mqCommands = (max: number) => {
  const msg = msgArb(max);
  const thread = fc.constantFrom<0 | 1>(0, 1);
  const prio = fc.oneof(fc.constantFrom(0, 31), fc.nat(31));
  return [
    fc.tuple(thread, msg, prio).map(([t, x, p]) => mqCmd(`[${t}] trySend(${label(x)}, ${p})`, (m, r) => {
      const b = bytesOf(x);
      const refused = mqRefusal(m, t, x.len);
      if (refused) { throws(() => r.mq[t].trySend(b, p), refused); return; }
      const ok = r.mq[t].trySend(b, p);
      expect(ok).toBe(m.q.length < m.maxMessages);   // a full queue refuses even priority 31: nothing is displaced
      if (ok) mqQueued(m, { b, prio: p, processed: false });
    })),
    fc.tuple(thread, msg, prio).map(([t, x, p]) => mqCmd(`[${t}] send(${label(x)}, ${p}, 0)`, (m, r) => {
      const b = bytesOf(x);
      const refused = mqRefusal(m, t, x.len);
      if (refused) { throws(() => r.mq[t].send(b, p, 0), refused); return; }
      if (m.q.length === m.maxMessages) { throws(() => r.mq[t].send(b, p, 0), TimeoutError); return; }
      r.mq[t].send(b, p, 0);
      mqQueued(m, { b, prio: p, processed: false });
    })),
    fc.tuple(thread, msg, prio, fc.constantFrom('queued', 'received', 'processed') as fc.Arbitrary<'queued' | 'received' | 'processed'>).map(([t, x, p, confirm]) =>
      mqCmd(`[${t}] deliver(${label(x)}, { priority: ${p}, confirm: '${confirm}', timeout: 0 })`, (m, r) => {
        const b = bytesOf(x);
        const refused = mqRefusal(m, t, x.len);
        if (refused) { throws(() => r.mq[t].deliver(b, { priority: p, confirm, timeout: 0 }), refused); return; }
        if (m.q.length === m.maxMessages) { throws(() => r.mq[t].deliver(b, { priority: p, confirm, timeout: 0 }), TimeoutError); return; }
        if (confirm === 'queued') expect(r.mq[t].deliver(b, { priority: p, confirm, timeout: 0 })).toEqual({ confirm: 'queued', receiver: 0 });
        else throws(() => r.mq[t].deliver(b, { priority: p, confirm, timeout: 0 }), TimeoutError);   // nobody took it in time: it stays queued
        mqQueued(m, { b, prio: p, processed: confirm === 'processed' });
      })),
    fc.tuple(thread, fc.boolean()).map(([t, blocking]) => mqCmd(`[${t}] ${blocking ? 'receive(0)' : 'tryReceive()'}`, (m, r) => {
      const mq = r.mq[t];
      const recv = () => (blocking ? mq.receive(0) : mq.tryReceive());
      if (m.disposed[t] || m.removed) { throws(recv, ClosedError); return; }
      const i = mqNext(m);
      if (i < 0) { if (blocking) throws(recv, TimeoutError); else expect(recv()).toBeUndefined(); return; }
      const got = recv()!;
      const [want] = m.q.splice(i, 1);
      expect(got.priority).toBe(want!.prio);
      same(got.value, want!.b);
      if (want!.processed) m.owed[t]++;
    })),
    thread.map((t) => mqCmd(`[${t}] ack()`, (m, r) => {
      if (m.disposed[t]) { throws(() => r.mq[t].ack(), ClosedError); return; }
      if (m.owed[t] === 0) { throws(() => r.mq[t].ack(), NotOwnerError); return; }
      r.mq[t].ack();
      m.owed[t]--;
    })),
    thread.map((t) => mqCmd(`[${t}] notify(callback)`, (m, r) => {
      if (m.disposed[t] || m.removed) { throws(() => r.mq[t].notify(() => {}), ClosedError); return; }
      if (m.registrant !== 0 && m.registrant !== t + 1) { throws(() => r.mq[t].notify(() => {}), IpcError); return; }   // EBUSY
      r.mq[t].notify(() => {});
      m.registrant = (t + 1) as 1 | 2;
    })),
    thread.map((t) => mqCmd(`[${t}] notify(null)`, (m, r) => {
      if (m.disposed[t]) { throws(() => r.mq[t].notify(null), ClosedError); return; }
      if (m.registrant !== t + 1) { throws(() => r.mq[t].notify(null), IpcError); return; }
      r.mq[t].notify(null);
      m.registrant = 0;
    })),
    thread.map((t) => mqCmd(`[${t}] unlink()`, (m, r) => {
      if (m.disposed[t] || m.removed) { throws(() => r.mq[t].unlink(), ClosedError); return; }
      if (m.unlinked) { throws(() => r.mq[t].unlink(), NotFoundError); return; }
      r.mq[t].unlink();
      m.unlinked = true;
    })),
    thread.map((t) => mqCmd(`[${t}] remove()`, (m, r) => {
      if (m.disposed[t] || m.removed) { throws(() => r.mq[t].remove(), ClosedError); return; }
      r.mq[t].remove();                 // (and closes this handle)
      m.removed = true;
      m.disposed[t] = true;
    }, (m) => m.owed[t] === 0)),
    thread.map((t) => mqCmd(`[${t}] messageQueue(name) after unlink: a new queue`, (m, r) => {
      const other = rtOf(t).messageQueue(m.name, { maxMessages: 1 });
      if (!m.disposed[t]) expect(other.offset).not.toBe(r.mq[t].offset);   // (both closed: the old one is freed, its memory reusable)
      expect(other.attributes()).toEqual({ curMessages: 0, maxMessages: 1, maxMessageSize: 8192 });
      other.remove();
      other.dispose();
    }, (m) => m.unlinked && !m.removed)),
    thread.map((t) => mqCmd(`[${t}] dispose()`, (m, r) => { r.mq[t].dispose(); m.disposed[t] = true; }, (m) => m.owed[t] === 0)),   // (acks are owed through a handle)
    thread.map((t) => mqCmd(`[${t}] reopen by name`, (m, r) => {
      throws(() => rtOf(t).messageQueue(m.name, { maxMessages: m.maxMessages + 1 }), RangeError);   // exists with other limits: nothing opened
      throws(() => rtOf(t).messageQueue(m.name, { maxMessageSize: m.max + 1 }), RangeError);
      throws(() => rtOf(t).channel(m.name), KindMismatchError);
      r.mq[t] = rtOf(t).messageQueue(m.name, { maxMessages: m.maxMessages });
      m.disposed[t] = false;
    }, (m) => m.disposed[t] && !m.removed && !m.unlinked)),
    // bad arguments
    fc.tuple(thread, fc.constantFrom<[unknown, ErrorClass]>([-1, RangeError], [32, RangeError], [1.5, RangeError], [NaN, RangeError], ['1', TypeError], [null, TypeError], [2 ** 32, RangeError]))
      .map(([t, [p, err]]) => mqCmd(`[${t}] priority ${String(p)}`, (m, r) => {
        const b = new Uint8Array(Math.min(1, m.max));
        throws(() => r.mq[t].trySend(b, p as number), err);
        throws(() => r.mq[t].send(b, p as number, 0), err);
        if (p !== null) throws(() => r.mq[t].deliver(b, { priority: p as number, confirm: 'queued', timeout: 0 }), err);   // (an option of null is the default)
      }, (m) => !m.disposed[t])),
    fc.tuple(thread, fc.constantFrom(...notBytes)).map(([t, v]) => mqCmd(`[${t}] send(${String(v)}): not bytes`, (m, r) => {
      throws(() => r.mq[t].trySend(v as never), TypeError);
      throws(() => r.mq[t].send(v as never, 0, 0), TypeError);
    }, (m) => !m.disposed[t])),
    fc.tuple(thread, fc.constantFrom(...badTimeouts)).map(([t, [ms, err]]) => mqCmd(`[${t}] timeout ${String(ms)}`, (m, r) => {
      throws(() => r.mq[t].send(new Uint8Array(0), 0, ms as number), err);
      throws(() => r.mq[t].receive(ms as number), err);
      throws(() => r.mq[t].deliver(new Uint8Array(0), { timeout: ms as number }), err);
    }, (m) => !m.disposed[t])),
    fc.tuple(thread, fc.constantFrom<unknown>('bogus', 1, 'Received', {})).map(([t, confirm]) => mqCmd(`[${t}] deliver confirm ${String(confirm)}`, (m, r) => {
      throws(() => r.mq[t].deliver(new Uint8Array(0), { confirm: confirm as 'queued', timeout: 0 }), TypeError);
    }, (m) => !m.disposed[t] && !m.removed)),
    fc.tuple(thread, fc.constantFrom<unknown>(1, 'f', {})).map(([t, cb]) => mqCmd(`[${t}] notify(${String(cb)})`, (m, r) => {
      throws(() => r.mq[t].notify(cb as never), TypeError);
    }, (m) => !m.disposed[t] && !m.removed)),
    fc.constantFrom<[object, ErrorClass]>(
      [{ maxMessages: 0 }, RangeError], [{ maxMessages: 65537 }, RangeError], [{ maxMessages: 2.5 }, RangeError], [{ maxMessages: '4' }, TypeError],
      [{ maxMessageSize: 0 }, RangeError], [{ maxMessageSize: 2 ** 24 + 1 }, RangeError], [{ maxMessageSize: NaN }, RangeError], [{ codec: 'yaml' }, TypeError],
    ).map(([options, err]) => mqCmd(`rt.messageQueue(${JSON.stringify(options)})`, (m) => {
      const other = fresh('mq-bad');
      throws(() => rt.messageQueue(m.name, options), err);
      throws(() => rt.messageQueue(other, options), err);
      expect(rt.list().some((o) => o.name === other)).toBe(false);
    })),
  ];
};

describe('fuzz: message queue against a priority queue', () => {
  it('random sends and receives at every priority from two threads, deliveries, notify, unlink and bad arguments', () => {
    const config = fc.record({ maxMessages: fc.constantFrom(1, 2, 5, 10), maxMessageSize: fc.constantFrom(1, 16, 100, 70_000) });
    fc.assert(fc.property(config.chain((c) => fc.tuple(fc.constant(c), fc.commands(mqCommands(c.maxMessageSize), { maxCommands: 60, size: 'max' }))), ([c, cmds]) => {
      const base = inUse();
      const name = fresh('mq');
      const model: MqModel = { name, maxMessages: c.maxMessages, max: c.maxMessageSize, q: [], removed: false, unlinked: false, disposed: [false, false], registrant: 0, owed: [0, 0] };
      const real: MqReal = { mq: [rt.messageQueue(name, c), rt2.messageQueue(name)] };
      try { fc.modelRun(() => ({ model, real }), cmds); } finally {
        // settle what is owed, then remove it: everything it held is freed (nodes, receipts)
        for (const t of [0, 1] as const) while (model.owed[t]-- > 0) real.mq[t].ack();
        if (!model.removed && !model.unlinked) rt.remove(name);   // (unlinked: freed by the last dispose)
        for (const t of [0, 1] as const) real.mq[t].dispose();
      }
      expect(inUse()).toEqual(base);
    }), runs(200));
  });
});

// ---------------------------------------------------------------------------------------
// Port: a FIFO of { bytes, sender } bounded by the backlog; rt created it and holds the
// receive right, rt2 opened it by name and may only send. receiveFrom(tid) takes that
// sender's oldest, leaving the others in order. A call() or a 'received' / 'processed'
// deliver() with timeout 0 gives up waiting and leaves its message queued; the receiver
// answers it (reply, ack) at once. Direct messages: each thread's default port, by id.

type Owed = 'none' | 'reply' | 'ack';
interface PortMsg { b: Uint8Array; sender: 0 | 1; owed: Owed }
interface PortModel {
  readonly name: string; readonly backlog: number;
  q: PortMsg[]; removed: boolean; disposed: [boolean, boolean];
  /** Each thread's default port (its direct messages). */
  direct: [PortMsg[], PortMsg[]];
}
interface PortReal { port: [Port, Port] }

function portInvariants(m: PortModel, r: PortReal): void {
  const row = rt.list().find((o) => o.name === m.name);
  if (m.removed) expect(row).toBeUndefined();
  else {
    expect(row!.state).toMatchObject({ messages: m.q.length, backlog: m.backlog, owner: rt.threadId, ownerDied: 0 });
    expect(row!.refs).toBe(m.disposed.filter((d) => !d).length);
    for (const t of [0, 1] as const) if (!m.disposed[t]) expect(r.port[t].depth).toBe(m.q.length);
  }
  for (const t of [0, 1] as const) expect(rtOf(t).defaultPort().depth).toBe(m.direct[t].length);
}
const portCmd = (label: string, run: (m: PortModel, r: PortReal) => void, check?: (m: Readonly<PortModel>) => boolean) => command(label, run, portInvariants, check);

/** Check a received message against the model's, and settle what it is owed in one of the ways allowed. */
function answer(got: { value: unknown; sender: number; owed: boolean; reply(v: Uint8Array): void; ack(): void } | undefined, want: PortMsg, how: number, portAck: () => void): void {
  expect(got).toBeDefined();
  same(got!.value as Uint8Array, want.b);
  expect(got!.sender).toBe(tidOf(want.sender));
  expect(got!.owed).toBe(want.owed !== 'none');
  if (want.owed === 'none') { throws(() => got!.ack(), NotOwnerError); throws(() => got!.reply(new Uint8Array(1)), TypeError); return; }
  if (want.owed === 'ack') throws(() => got!.reply(new Uint8Array(1)), TypeError);   // not a call: ack() it
  if (how === 0) got!.ack();
  else if (how === 1 && want.owed === 'reply') got!.reply(new Uint8Array(3));   // nobody collects it: freed with the receipt
  else portAck();
  throws(() => got!.ack(), NotOwnerError);                                        // settled once
}

const portCommands = () => {
  const msg = msgArb(300);
  const thread = fc.constantFrom<0 | 1>(0, 1);
  const how = fc.nat(2);
  const refusal = (m: PortModel, t: 0 | 1): ErrorClass | undefined => (m.disposed[t] || m.removed ? ClosedError : undefined);
  return [
    fc.tuple(thread, msg).map(([t, x]) => portCmd(`[${t}] trySend(${label(x)})`, (m, r) => {
      const b = bytesOf(x);
      const refused = refusal(m, t);
      if (refused) { throws(() => r.port[t].trySend(b), refused); return; }
      const ok = r.port[t].trySend(b);
      expect(ok).toBe(m.q.length < m.backlog);
      if (ok) m.q.push({ b, sender: t, owed: 'none' });
    })),
    fc.tuple(thread, msg).map(([t, x]) => portCmd(`[${t}] send(${label(x)}, 0)`, (m, r) => {
      const b = bytesOf(x);
      const refused = refusal(m, t);
      if (refused) { throws(() => r.port[t].send(b, 0), refused); return; }
      if (m.q.length === m.backlog) { throws(() => r.port[t].send(b, 0), TimeoutError); return; }
      r.port[t].send(b, 0);
      m.q.push({ b, sender: t, owed: 'none' });
    })),
    fc.tuple(thread, msg, fc.constantFrom('call', 'queued', 'received', 'processed')).map(([t, x, kind]) => portCmd(`[${t}] ${kind === 'call' ? 'call' : `deliver '${kind}'`}(${label(x)}, timeout 0)`, (m, r) => {
      const b = bytesOf(x);
      const go = () => (kind === 'call' ? r.port[t].call(b, 0) : r.port[t].deliver(b, { confirm: kind as 'queued', timeout: 0 }));
      const refused = refusal(m, t);
      if (refused) { throws(go, refused); return; }
      if (m.q.length === m.backlog) { throws(go, TimeoutError); return; }
      if (kind === 'queued') expect(go()).toEqual({ confirm: 'queued', receiver: 0 });
      else throws(go, TimeoutError);   // no answer in time: the message stays queued
      m.q.push({ b, sender: t, owed: kind === 'call' ? 'reply' : kind === 'processed' ? 'ack' : 'none' });
    })),
    fc.tuple(thread, fc.boolean(), how).map(([t, blocking, h]) => portCmd(`[${t}] ${blocking ? 'receive(0)' : 'tryReceive()'}`, (m, r) => {
      const recv = () => (blocking ? r.port[t].receive(0) : r.port[t].tryReceive());
      if (m.disposed[t] || m.removed) { throws(recv, ClosedError); return; }
      if (t === 1) { throws(recv, NotOwnerError); return; }   // a send right only
      if (m.q.length === 0) { if (blocking) throws(recv, TimeoutError); else expect(recv()).toBeUndefined(); return; }
      answer(recv(), m.q.shift()!, h, () => r.port[0].ack());
    })),
    fc.tuple(thread, thread, fc.boolean(), how).map(([t, from, blocking, h]) => portCmd(`[${t}] ${blocking ? 'receiveFrom' : 'tryReceiveFrom'}(thread ${from})`, (m, r) => {
      const recv = () => (blocking ? r.port[t].receiveFrom(tidOf(from), 0) : r.port[t].tryReceiveFrom(tidOf(from)));
      if (m.disposed[t] || m.removed) { throws(recv, ClosedError); return; }
      if (t === 1) { throws(recv, NotOwnerError); return; }
      const i = m.q.findIndex((x) => x.sender === from);
      if (i < 0) { if (blocking) throws(recv, TimeoutError); else expect(recv()).toBeUndefined(); return; }
      answer(recv(), m.q.splice(i, 1)[0]!, h, () => r.port[0].ack());
    })),
    thread.map((t) => portCmd(`[${t}] ack() with nothing owed`, (m, r) => {
      throws(() => r.port[t].ack(), m.disposed[t] ? ClosedError : NotOwnerError);
    })),
    thread.map((t) => portCmd(`[${t}] claim()`, (m, r) => {
      if (m.disposed[t]) { throws(() => r.port[t].claim(), ClosedError); return; }
      if (m.removed) { throws(() => r.port[t].claim(), ClosedError); return; }
      if (t === 1) { throws(() => r.port[t].claim(), AlreadyExistsError); return; }   // its owner lives
      r.port[t].claim();                                                              // the owner's own: nothing changes
      expect(r.port[t].isOwner).toBe(true);
    })),
    thread.map((t) => portCmd(`[${t}] portSet`, (m, r) => {
      if (t === 1) { throws(() => rt2.portSet(r.port[1]), NotOwnerError); return; }
      const set = rt.portSet(r.port[0]);
      throws(() => rt.portSet(r.port[0]), AlreadyExistsError);   // in one set at most
      set.clear();
    }, (m) => !m.disposed[t] && !m.removed)),
    thread.map((t) => portCmd(`[${t}] remove()`, (m, r) => {
      if (m.disposed[t] || m.removed) { throws(() => r.port[t].remove(), ClosedError); return; }
      r.port[t].remove();
      m.removed = true;
      m.disposed[t] = true;   // remove() closes the handle too
    })),
    thread.map((t) => portCmd(`[${t}] dispose()`, (m, r) => { r.port[t].dispose(); m.disposed[t] = true; })),
    thread.map((t) => portCmd(`[${t}] reopen by name`, (m, r) => {
      throws(() => rtOf(t).messageQueue(m.name), KindMismatchError);
      r.port[t] = rtOf(t).port(m.name);
      m.disposed[t] = false;
      expect(r.port[t].isOwner).toBe(t === 0);   // the receive right stays with the thread that made it
    }, (m) => m.disposed[t] && !m.removed)),
    // direct messages to each thread's default port
    fc.tuple(thread, thread, msg).map(([from, to, x]) => portCmd(`[${from}] direct trySend(thread ${to}, ${label(x)})`, (m) => {
      const b = bytesOf(x);
      expect(rtOf(from).trySend(tidOf(to), b)).toBe(true);   // (backlog 65536)
      m.direct[to].push({ b, sender: from, owed: 'none' });
    })),
    fc.tuple(thread, fc.option(thread, { nil: undefined })).map(([t, from]) => portCmd(`[${t}] direct ${from === undefined ? 'tryReceiveAny()' : `receiveFrom(thread ${from}, 0)`}`, (m) => {
      const recv = () => (from === undefined ? rtOf(t).tryReceiveAny() : rtOf(t).receiveFrom(tidOf(from), 0));
      const i = m.direct[t].findIndex((x) => from === undefined || x.sender === from);
      if (i < 0) { if (from === undefined) expect(recv()).toBeUndefined(); else throws(recv, TimeoutError); return; }
      const got = recv()!;
      const [want] = m.direct[t].splice(i, 1);
      same(got.value as Uint8Array, want!.b);
      expect(got.sender).toBe(tidOf(want!.sender));
    })),
    // bad arguments
    fc.tuple(thread, fc.constantFrom<[unknown, ErrorClass]>([0, RangeError], [-1, RangeError], [2 ** 30, RangeError], [1.5, RangeError], [NaN, RangeError], ['1', TypeError], [null, TypeError]))
      .map(([t, [tid, err]]) => portCmd(`[${t}] thread id ${String(tid)}`, (m, r) => {
        throws(() => rtOf(t).trySend(tid as number, new Uint8Array(1)), err);
        throws(() => rtOf(t).receiveFrom(tid as number, 0), err);
        throws(() => rtOf(t).to(tid as number), err);
        if (!m.disposed[0] && !m.removed) {
          throws(() => r.port[0].receiveFrom(tid as number, 0), err);
          throws(() => r.port[0].tryReceiveFrom(tid as number), err);
        }
      })),
    thread.map((t) => portCmd(`[${t}] direct send to a thread that never was`, () => {
      throws(() => rtOf(t).trySend(1000, new Uint8Array(1)), DeadPeerError);   // (slot 1000, generation 0: never attached)
    })),
    fc.tuple(thread, fc.constantFrom(...notBytes)).map(([t, v]) => portCmd(`[${t}] send(${String(v)}): not bytes`, (m, r) => {
      throws(() => r.port[t].trySend(v as never), TypeError);
      throws(() => r.port[t].send(v as never, 0), TypeError);
      throws(() => r.port[t].call(v as never, 0), TypeError);
      throws(() => r.port[t].deliver(v as never, { timeout: 0 }), TypeError);
    }, (m) => !m.disposed[t] && !m.removed)),
    fc.tuple(thread, fc.constantFrom(...badTimeouts)).map(([t, [ms, err]]) => portCmd(`[${t}] timeout ${String(ms)}`, (m, r) => {
      throws(() => r.port[t].send(new Uint8Array(1), ms as number), err);
      throws(() => r.port[t].call(new Uint8Array(1), ms as number), err);
      throws(() => r.port[t].deliver(new Uint8Array(1), { timeout: ms as number }), err);
      if (t === 0) throws(() => r.port[0].receive(ms as number), err);
    }, (m) => !m.disposed[t] && !m.removed)),
    fc.constantFrom<[object, ErrorClass]>([{ backlog: 0 }, RangeError], [{ backlog: 65537 }, RangeError], [{ backlog: 0.5 }, RangeError], [{ codec: 7 }, TypeError])
      .map(([options, err]) => portCmd(`rt.port(${JSON.stringify(options)})`, (m) => {
        const other = fresh('port-bad');
        throws(() => rt.port(m.name, options), err);
        throws(() => rt.port(other, options), err);
        expect(rt.list().some((o) => o.name === other)).toBe(false);
      })),
  ];
};

describe('fuzz: port against a FIFO with senders', () => {
  it('random sends, calls and deliveries from two threads, receives by the owner, direct messages, removal and bad arguments', () => {
    fc.assert(fc.property(fc.constantFrom(1, 2, 3, 8), fc.commands(portCommands(), { maxCommands: 60, size: 'max' }), (backlog, cmds) => {
      const base = inUse();
      const name = fresh('port');
      const model: PortModel = { name, backlog, q: [], removed: false, disposed: [false, false], direct: [[], []] };
      const real: PortReal = { port: [rt.port(name, { backlog }), rt2.port(name)] };
      try { fc.modelRun(() => ({ model, real }), cmds); } finally {
        for (const t of [0, 1] as const) while (rtOf(t).tryReceiveAny() !== undefined) { /* drain the default ports */ }
        if (!model.removed) rt.remove(name);
        for (const t of [0, 1] as const) real.port[t].dispose();
      }
      expect(inUse()).toEqual(base);   // message nodes, receipts and unanswered replies all freed
    }), runs(200));
  });
});
