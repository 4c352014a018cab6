// Corruption containment for message queues, ports and receipts (harness:
// test/containment/harness.ts): garbage in a victim's fields never reaches the canaries
// around it, never traps, never hangs, and a witness of the same kind keeps working; the
// victim reports CorruptedError naming itself.
import { describe, it, expect } from 'vitest';
import { contain, prng, type ContainmentCase } from './containment/harness';
import { Runtime, CorruptedError, type MessageQueue, type Port } from '../dist/node/index.js';

const quiet = (p: Promise<unknown>): void => { p.catch(() => undefined); };
const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

const mqueue: ContainmentCase<MessageQueue> = {
  kind: 'mqueue',
  make: (rt, name) => rt.messageQueue(name, { maxMessages: 6, maxMessageSize: 1024 }),
  ops: {
    send: (q, rnd) => q.trySend(bytes(1 + Math.floor(rnd() * 40), 3), Math.floor(rnd() * 32)),
    sendLong: (q, rnd) => q.trySend(bytes(600 + Math.floor(rnd() * 400), 4), Math.floor(rnd() * 32)),
    receive: (q) => q.tryReceive(),
    receiveTimed: (q) => q.receive(1),
    attributes: (q) => q.attributes(),
    notify: (q) => { q.notify(() => undefined); q.notify(null); },
    state: (q) => q.state,
  },
  witness(q) {
    for (let i = 0; i < 8; i++) {
      q.send(bytes(i + 1, i), i % 32, 100);
      q.send(bytes(700, i), 31, 100);
      const a = q.receive(100), b = q.receive(100);
      expect(a.priority).toBe(31);
      expect(a.value.length).toBe(700);
      expect(b.priority).toBe(i % 32);
      expect(b.value).toEqual(bytes(i + 1, i));
    }
    expect(q.attributes().curMessages).toBe(0);
  },
};

const port: ContainmentCase<Port> = {
  kind: 'port',
  make: (rt, name) => rt.port(name, { backlog: 5 }),
  ops: {
    send: (p, rnd) => p.trySend(bytes(1 + Math.floor(rnd() * 64), 5)),
    receive: (p) => p.tryReceive(),
    receiveFrom: (p) => p.tryReceiveFrom(p.segment.tid),
    receiveTimed: (p) => p.receive(1),
    claim: (p) => p.claim(),
    state: (p) => [p.owner, p.depth, p.backlog, p.ownerDied, p.state],
  },
  witness(p) {
    for (let i = 0; i < 6; i++) {
      p.send(bytes(i + 1, i), 100);
      const m = p.receive(100);
      expect(m.value).toEqual(bytes(i + 1, i));
      expect(m.sender).toBe(p.segment.tid);
    }
  },
};

// Delivery-confirmed messages (receipts) in a queue and in a port: the async forms queue the
// message at once (the harness never awaits, so each sender keeps waiting on its receipt).
const mqueueReceipts: ContainmentCase<MessageQueue> = {
  ...mqueue,
  ops: {
    deliver: (q, rnd) => quiet(q.deliverAsync(bytes(8, 1), { confirm: rnd() < 0.5 ? 'received' : 'processed', priority: Math.floor(rnd() * 32), timeout: 5 })),
    receive: (q) => q.tryReceive(),
    ack: (q) => q.ack(),
    send: (q, rnd) => q.trySend(bytes(16, 2), Math.floor(rnd() * 32)),
    state: (q) => q.state,
  },
};

const portReceipts: ContainmentCase<Port> = {
  ...port,
  ops: {
    deliver: (p, rnd) => quiet(p.deliverAsync(bytes(8, 1), { confirm: rnd() < 0.5 ? 'received' : 'processed', timeout: 5 })),
    call: (p) => quiet(p.callAsync(bytes(4, 9), { timeout: 5 })),
    receive: (p) => { const m = p.tryReceive(); if (m?.owed) m.reply(bytes(3, 7)); },
    receiveAck: (p) => { const m = p.tryReceive(); if (m?.owed) m.ack(); },
    ack: (p) => p.ack(),
    state: (p) => p.state,
  },
};

/**
 * A thread's default port is no registry object (the harness finds its victim in rt.list()),
 * so the same loop by hand: garbage in its fields, direct messages to it (plain and
 * confirmed) and receives from it, canaries around, and afterwards, its fields put back, it works.
 */
async function containDefaultPort(seed: number, rounds = 300): Promise<number> {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const rt = await Runtime.create({ size: 2 << 20, maxSize: 32 << 20 });
  const seg = rt.segment();
  const port = rt.defaultPort() as Port;
  const to = rt.to<Uint8Array>(seg.tid, { codec: 'bytes' });
  const canaries = Array.from({ length: 16 }, (_, i) => {
    const region = rt.shm(`canary-${i}`, { size: 64 + int(4096) });
    const want = Uint8Array.from({ length: region.size }, () => int(256));
    region.bytes.set(want);
    return { region, want };
  });
  const first = port.offset + 16, end = port.offset + 52;   // the fields (port.ts PORT_SIZE), not the header
  const pristine = seg.view(first, end - first).slice();
  let corrupted = 0;
  const run = (f: () => unknown): void => {
    try { f(); } catch (e) {
      if (e instanceof WebAssembly.RuntimeError || !(e instanceof Error)) throw e;
      if (e instanceof CorruptedError) { corrupted++; expect(e.message).toMatch(/default port/); }
    }
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 8 === 0) seg.view(first, end - first).set(pristine);
    for (let k = 1 + int(3); k > 0; k--) {
      const values = [int(2 ** 32), int(64), 0, 0xffffffff, port.offset, canaries[int(16)]!.region.dataOffset + 8 * int(4), seg.stats().top - 8 * int(64)];
      seg.dv.setUint32(first + 4 * int((end - first) / 4), values[int(values.length)]! >>> 0, true);
    }
    run(() => to.trySend(bytes(1 + int(32), 6)));
    run(() => quiet(to.deliverAsync(bytes(4, 8), { confirm: 'processed', timeout: 5 })));
    run(() => { const m = port.tryReceive(); if (m?.owed) m.ack(); });
    run(() => port.tryReceive());
    run(() => [port.depth, port.backlog, port.state]);
    if (round % 16 === 0) { const tid = seg.core.thread_register(0); if (tid > 0) seg.threadExited(tid); }
    for (const [i, c] of canaries.entries()) {
      if (!c.region.bytes.every((b, j) => b === c.want[j])) throw new Error(`default port: canary ${i} changed in round ${round} (seed ${seed})`);
    }
  }
  seg.view(first, end - first).set(pristine);   // its fields back (queued nodes leak): it works again
  for (let i = 0; i < 4; i++) {
    to.send(bytes(i + 1, i), 100);
    expect(port.receive(100).value).toEqual(bytes(i + 1, i));
  }
  return corrupted;
}

describe('corruption containment: queues, ports, receipts', () => {
  it('mqueue: garbage in its fields stays in it', async () => {
    const r = await contain(mqueue, 11);
    expect(r.corrupted).toBeGreaterThan(0);
    console.log('mqueue', r);
  });

  it('port: garbage in its fields stays in it', async () => {
    const r = await contain(port, 3);
    expect(r.corrupted).toBeGreaterThan(0);
    console.log('port', r);
  });

  it('delivery-confirmed messages in a queue', async () => {
    const r = await contain(mqueueReceipts, 4);
    expect(r.corrupted).toBeGreaterThan(0);
    console.log('mqueue receipts', r);
  });

  it("a thread's default port: garbage in its fields stays in it", async () => {
    expect(await containDefaultPort(6)).toBeGreaterThan(0);
  });

  it('delivery-confirmed messages and calls in a port', async () => {
    const r = await contain(portReceipts, 5);
    expect(r.corrupted).toBeGreaterThan(0);
    console.log('port receipts', r);
  });
});
