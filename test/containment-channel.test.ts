// Corruption containment for channels and pipes (harness: test/containment/harness.ts):
// garbage in a victim's fields never reaches the canaries around it, never traps, never
// hangs, and a witness of the same kind keeps working; the victim reports CorruptedError
// naming itself. Every mode: bounded MPMC (inline and heap messages, the urgent lane,
// receipts, batches, views, zero-copy reservations, select), SPSC, rendezvous, unbounded
// (a locked list of heap nodes) and pipes.
import { describe, it, expect } from 'vitest';
import { contain, type ContainmentCase } from './containment/harness';
import { select, type Channel, type Runtime, type Pipe, type PipeReader, type PipeWriter } from '../dist/node/index.js';

const bytesOf = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v & 255);
const size = (rnd: () => number): number => [0, 3, 8, 16, 17, 40, 120, 300, 5000][Math.floor(rnd() * 9)]!;

/** Operations every channel mode supports (try forms, or 1 ms timeouts). */
const channelOps: ContainmentCase<Channel>['ops'] = {
  send: (c, rnd) => c.trySend(bytesOf(size(rnd), 1)),
  sendTimed: (c, rnd) => c.send(bytesOf(size(rnd), 2), 1),
  recv: (c) => c.tryRecv(),
  recvTimed: (c) => c.recv(1),
  recvInto: (c) => c.tryRecvInto(new Uint8Array(64)),
  recvIntoBig: (c) => c.tryRecvInto(new Uint8Array(8192)),
  view: (c) => { const v = c.recvView(1); void v[0]; },
  reserve: (c, rnd) => { const r = c.tryReserve(size(rnd)); if (r) { r.bytes.fill(3); r.commit(); } },
  reserveTimed: (c, rnd) => { const r = c.reserve(size(rnd), 1); r.bytes.fill(3); r.commit(); },
  many: (c, rnd) => c.sendMany([bytesOf(size(rnd), 4), bytesOf(size(rnd), 5), bytesOf(9, 6)], 1),
  recvMany: (c) => c.recvMany(4, 1),
  packed: (c) => c.recvPacked(new Uint8Array(4096), new Uint32Array(8), 1),
  tracked: (c, rnd) => {
    const r = (c as unknown as { trySendTracked(b: Uint8Array): number }).trySendTracked(bytesOf(size(rnd), 7));
    if (r > 0) c.segment.core.receipt_drop(r);
  },
  select: (c) => select([c], 1),
  depth: (c) => c.depth,
  state: (c) => c.state,
  closed: (c) => c.closed,
};

/** A full round trip, checked: sizes inline and on the heap, in order. */
function roundTrip(c: Channel, urgent: boolean): void {
  const sizes = [0, 1, 16, 17, 100, 5000];
  for (const [i, n] of sizes.entries()) c.send(bytesOf(n, i + 10), 100);
  for (const [i, n] of sizes.entries()) expect(c.recv(100)).toEqual(bytesOf(n, i + 10));
  if (urgent) {
    c.send(bytesOf(4, 1), 100);
    expect(c.sendUrgent(bytesOf(30, 2))).toBe(true);
    expect(c.recv(100)).toEqual(bytesOf(30, 2));
    expect(c.recv(100)).toEqual(bytesOf(4, 1));
  }
  const r = c.reserve(40);
  r.bytes.fill(9);
  r.commit();
  expect(c.recvView(100)).toEqual(bytesOf(40, 9));
  expect(c.sendMany([bytesOf(3, 1), bytesOf(200, 2)], 100)).toBe(2);
  expect(c.recvMany(2, 100)).toEqual([bytesOf(3, 1), bytesOf(200, 2)]);
  expect(c.depth).toBe(0);
}

const opts = { inlineSize: 16, maxMessageSize: 8192 };

const bounded: ContainmentCase<Channel> = {
  kind: 'channel',
  make: (rt, name) => rt.channel(name, { ...opts, capacity: 8 }),
  ops: { ...channelOps, urgent: (c, rnd) => c.sendUrgent(bytesOf(size(rnd), 8)) },
  witness: (c) => roundTrip(c, true),
};

const spsc: ContainmentCase<Channel> = {
  kind: 'channel',
  make: (rt, name) => rt.channel(name, { ...opts, capacity: 8, spsc: true }),
  ops: { ...channelOps, urgent: (c, rnd) => c.sendUrgent(bytesOf(size(rnd), 8)) },
  witness: (c) => roundTrip(c, true),
};

const rendezvous: ContainmentCase<Channel> = {
  kind: 'channel',
  make: (rt, name) => rt.channel(name, { ...opts, capacity: 0 }),
  ops: {
    send: (c, rnd) => c.trySend(bytesOf(size(rnd), 1)),
    sendTimed: (c, rnd) => c.send(bytesOf(size(rnd), 2), 1),
    recv: (c) => c.tryRecv(),
    recvTimed: (c) => c.recv(1),
    urgent: (c, rnd) => c.sendUrgent(bytesOf(size(rnd), 8)),
    depth: (c) => c.depth,
  },
  witness(c) {   // one thread: an urgent message is the only way to get one through
    expect(c.sendUrgent(bytesOf(30, 2))).toBe(true);
    expect(c.recv(100)).toEqual(bytesOf(30, 2));
    expect(c.trySend(bytesOf(3, 3))).toBe(false);   // nobody takes it: withdrawn
    expect(c.depth).toBe(0);
  },
};

const unbounded: ContainmentCase<Channel> = {
  kind: 'channel',
  make: (rt, name) => rt.channel(name, { ...opts, capacity: Infinity }),
  ops: channelOps,
  witness: (c) => roundTrip(c, false),
};

interface Ends { pipe: Pipe; w: PipeWriter; r: PipeReader }
const pipe: ContainmentCase<Ends> = {
  kind: 'pipe',
  make: (rt: Runtime, name) => { const p = rt.pipe(name, { capacity: 8 }); return { pipe: p, w: p.writer(), r: p.reader() }; },
  ops: {
    write: (e, rnd) => e.w.write(bytesOf(size(rnd), 1), 1),
    read: (e, rnd) => e.r.read(1 + Math.floor(rnd() * 6000), 1),
    recv: (e) => e.pipe.tryRecv(),
    ends: (e) => { e.pipe.reader().close(); e.pipe.writer().close(); },
    broken: (e) => e.pipe.broken,
    depth: (e) => e.pipe.depth,
    state: (e) => e.pipe.state,
  },
  witness(e) {
    const data = Uint8Array.from({ length: 9000 }, (_, i) => i * 7);
    e.w.write(data, 100);
    const got: number[] = [];
    while (got.length < data.length) got.push(...e.r.read(data.length - got.length, 100)!);
    expect(Uint8Array.from(got)).toEqual(data);
  },
};

describe('corruption containment: channels and pipes', () => {
  it('bounded MPMC channel (heap messages, urgent lane, receipts, select)', async () => {
    const r = await contain(bounded, 11);
    expect(r.corrupted).toBeGreaterThan(0);
  });
  it('SPSC channel', async () => {
    const r = await contain(spsc, 12);
    expect(r.corrupted).toBeGreaterThan(0);
  });
  it('rendezvous channel', async () => {
    const r = await contain(rendezvous, 13);
    expect(r.corrupted).toBeGreaterThan(0);
  });
  it('unbounded channel (a locked list of nodes)', async () => {
    const r = await contain(unbounded, 14);
    expect(r.corrupted).toBeGreaterThan(0);
  });
  it('pipe', async () => {
    const r = await contain(pipe, 15);
    expect(r.corrupted).toBeGreaterThan(0);
  });
});
