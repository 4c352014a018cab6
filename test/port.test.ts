import { describe, it, expect } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { Runtime, Port, NotOwnerError, DeadPeerError, TimeoutError, AlreadyExistsError, KindMismatchError, ClosedError, IpcError } from '../dist/node/index.js';
import { KEPT_PER_THREAD, runWorker, runWorkers } from './helpers';

/** The worker's next message. */
const next = <T = any>(w: Worker): Promise<T> => new Promise((resolve, reject) => {
  w.once('message', resolve);
  w.once('error', reject);
});

describe('ports (Mach)', () => {
  it('the creator owns the receive right; a thread holding a send right may send but not receive', async () => {
    const rt = await Runtime.create();
    rt.messageCodec = 'json';
    const port = rt.port<{ from: number }>(undefined, { codec: 'json' });
    expect(port.owner).toBe(rt.threadId);
    expect(port.isOwner).toBe(true);
    const { worker, result } = runWorker<{ error: string; tid: number }>(rt, 'port-roles', { role: 'receive-foreign', port: port.toData() });
    const r = await result;
    expect(r.error).toBe('NotOwnerError');
    const m = port.receive(5000);
    expect(m.value).toEqual({ from: r.tid });
    expect(m.sender).toBe(r.tid);
    expect(m.port).toBe(port);
    expect(() => port.claim()).not.toThrow();        // the owner claiming its own port: nothing changes
    await worker.terminate();
  });

  it('bounded backlog: try, timed and async sends; FIFO order', async () => {
    const rt = await Runtime.create();
    const port = rt.port<string>('p', { backlog: 2, codec: 'string' });
    expect(port.backlog).toBe(2);
    expect(rt.port('q').backlog).toBe(65536);        // Mach's limit by default
    port.send('a');
    expect(port.trySend('b')).toBe(true);
    expect(port.trySend('c')).toBe(false);
    expect(() => port.send('c', 10)).toThrow(TimeoutError);
    await expect(port.sendAsync('c', { timeout: 10 })).rejects.toThrow(TimeoutError);
    expect(port.depth).toBe(2);
    const pending = port.sendAsync('c');
    expect(port.receive().value).toBe('a');
    await pending;
    expect([port.receive().value, port.receive().value]).toEqual(['b', 'c']);
    expect(port.tryReceive()).toBeUndefined();
    expect(() => port.receive(10)).toThrow(TimeoutError);
    const later = port.receiveAsync();
    port.send('d');
    expect((await later).value).toBe('d');
    const list = rt.list().find((o) => o.name === 'p')!;
    expect(list.kind).toBe('port');
    expect(list.state).toMatchObject({ messages: 0, backlog: 2, owner: rt.threadId, ownerDied: 0 });
  });

  it('a port set receives from whichever member has a message, and says which; it blocks until one does', async () => {
    const rt = await Runtime.create();
    const ports = [0, 1, 2].map(() => rt.port<{ port: number }>(undefined, { codec: 'json' }));
    const set = rt.portSet(...ports);
    expect(set.tryReceive()).toBeUndefined();
    expect(() => set.add(ports[0]!)).toThrow(AlreadyExistsError);
    // a worker sends to each port in turn, 30 ms apart: the blocking receive wakes for each
    const { worker, result } = runWorker(rt, 'port-roles', { role: 'send-ports', ports: [2, 0, 1].map((i) => ports[i]!.toData()), delay: 30 });
    const got = [];
    for (let i = 0; i < 3; i++) {
      const m = set.receive(10_000);
      got.push([ports.indexOf(m.port as Port<{ port: number }>), m.value.port]);
    }
    expect(got).toEqual([[2, 0], [0, 1], [1, 2]]);   // [which port, the sender's tag]
    await result;
    // the async form, and fairness: every member is served
    for (const p of ports) { p.send({ port: 9 }); p.send({ port: 9 }); }
    const order = [];
    for (let i = 0; i < 6; i++) order.push(ports.indexOf((await set.receiveAsync()).port as Port<{ port: number }>));
    expect(order.slice(0, 3).sort()).toEqual([0, 1, 2]);
    await expect(set.receiveAsync({ timeout: 10 })).rejects.toThrow(TimeoutError);
    expect(() => set.receive(10)).toThrow(TimeoutError);
    set.clear();
    expect(() => set.receive(0)).toThrow(IpcError);     // empty
    await worker.terminate();
  });

  it("only a port's owner can put it in a set", async () => {
    const rt = await Runtime.create();
    rt.messageCodec = 'json';
    const { worker, result } = runWorker<{ port: any; tid: number }>(rt, 'port-roles', { role: 'own-port' });
    const foreign = rt.open<Port>((await result).port);
    expect(() => rt.portSet(foreign)).toThrow(NotOwnerError);
    expect(() => foreign.receive(0)).toThrow(NotOwnerError);
    await worker.terminate();
  });

  it('direct messages: send(threadId), receiveAny with the sender, receiveFrom one sender', async () => {
    const rt = await Runtime.create({ size: 16 << 20 });
    rt.messageCodec = 'json';
    const count = 2000;
    const runs = [1, 2].map((id) => runWorker<{ tid: number }>(rt, 'port-roles', { role: 'direct', to: rt.threadId, id, count }));
    const [a, b] = await Promise.all(runs.map((r) => r.result));
    // receiveFrom takes only b's, in order, leaving a's queued
    for (let i = 0; i < count; i++) {
      const m = rt.receiveFrom(b!.tid, 5000);
      expect(m.sender).toBe(b!.tid);
      expect(m.value).toEqual({ from: 2, i });
    }
    for (let i = 0; i < count; i++) {
      const m = rt.receiveAny(5000);
      expect([m.sender, m.value]).toEqual([a!.tid, { from: 1, i }]);
    }
    expect(rt.tryReceiveAny()).toBeUndefined();
    const later = rt.receiveAnyAsync();
    rt.send(rt.threadId, 'to myself');
    expect((await later).value).toBe('to myself');
    await Promise.all(runs.map((r) => r.worker.terminate()));
  });

  it('call() round trips from 8 threads, every reply matched to its call', async () => {
    const rt = await Runtime.create({ size: 16 << 20 });
    const { worker: server, result } = runWorker<{ tid: number }>(rt, 'port-roles', { role: 'server', name: 'svc' });
    const { tid } = await result;
    const count = 2000;
    const out = await runWorkers<{ ok: number }>(rt, 'port-roles', 8, (id) => ({ role: 'caller', name: 'svc', id, count }));
    expect(out.map((o) => o.ok)).toEqual(Array(8).fill(count));
    const port = rt.port<any>('svc', { codec: 'json' });
    expect(await port.callAsync({ id: 99, i: 0 })).toEqual({ id: 99, i: 0, by: tid });
    expect(port.call({ id: 98, i: 1 }, 5000)).toEqual({ id: 98, i: 1, by: tid });
    port.send('stop');
    await next(server);
    await server.terminate();
  });

  it('the server killed while 8 threads call it in a loop: every caller fails with DeadPeerError, none hangs', async () => {
    const rt = await Runtime.create({ size: 16 << 20 });
    const base = rt.segment().stats().bytesInUse;
    const { worker: server, result } = runWorker(rt, 'port-roles', { role: 'server', name: 'victim' });
    await result;
    const callers = Array.from({ length: 8 }, (_, id) => runWorker<any>(rt, 'port-roles', { role: 'call-until-dead', name: 'victim', id }));
    await Promise.all(callers.map((c) => c.result));
    const outcomes = callers.map((c) => next(c.worker));
    await new Promise((r) => setTimeout(r, 150));
    await server.terminate();
    const done = await Promise.all(outcomes);
    for (const o of done) expect(o.error).toBe('DeadPeerError');
    expect(done.reduce((s, o) => s + o.calls, 0)).toBeGreaterThan(0);
    await Promise.all(callers.map((c) => c.worker.terminate()));
    // nothing leaked: once the port is removed, only what the 9 dead workers' slots keep is
    // left; not the request the server was copying out when it was killed (its S_HELD word),
    // nor a receipt whose last reference it had just dropped (its S_FREEING word)
    rt.remove('victim');
    expect(rt.segment().stats().bytesInUse - (base + 9 * KEPT_PER_THREAD)).toBe(0);
  });

  it("a dead owner: pending calls fail at once, later sends fail, direct sends to its id fail", async () => {
    const rt = await Runtime.create();
    const { worker, result } = runWorker<{ tid: number }>(rt, 'port-roles', { role: 'server', name: 'dying' });
    const { tid } = await result;
    const port = rt.port<any>('dying', { codec: 'json' });
    const pending = port.callAsync({ hang: true });                        // received, never answered
    const queued = [port.callAsync({ hang: true }), port.deliverAsync({ hang: true }, { confirm: 'processed' })];
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await worker.terminate();
    await expect(pending).rejects.toThrow(DeadPeerError);
    for (const q of queued) await expect(q).rejects.toThrow(DeadPeerError);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(port.ownerDied).toBe(true);
    expect(() => port.send({ x: 1 })).toThrow(DeadPeerError);
    expect(() => port.call({ x: 1 }, 1000)).toThrow(DeadPeerError);
    expect(() => rt.send(tid, new Uint8Array(1))).toThrow(DeadPeerError);
    expect(() => rt.send(1023, new Uint8Array(1))).toThrow(DeadPeerError);  // a slot that never had a thread
    // a new owner claims it (the fail-over of a service)
    port.claim();
    expect(port.isOwner).toBe(true);
    port.send({ again: true });
    expect(port.receive(0).value).toEqual({ again: true });
  });

  it('bad input', async () => {
    const rt = await Runtime.create();
    expect(() => rt.port('b', { backlog: 0 })).toThrow(RangeError);
    expect(() => rt.port('b', { backlog: 65537 })).toThrow(RangeError);
    rt.mutex('m');
    expect(() => rt.port('m')).toThrow(KindMismatchError);
    expect(() => rt.port('')).toThrow();
    expect(() => rt.send(0, new Uint8Array(1))).toThrow(RangeError);
    expect(() => rt.send(-1, new Uint8Array(1))).toThrow(RangeError);
    expect(() => rt.send(1.5 as number, new Uint8Array(1))).toThrow(RangeError);
    const port = rt.port('b');
    expect(() => port.send('str' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => port.receiveFrom(0)).toThrow(RangeError);
    expect(() => port.deliver(new Uint8Array(1), { confirm: 'bogus' as 'queued' })).toThrow(TypeError);
    expect(() => port.ack()).toThrow(NotOwnerError);              // nothing owed
    port.send(new Uint8Array([1]));
    const m = port.receive();
    expect(m.owed).toBe(false);
    expect(() => m.ack()).toThrow(NotOwnerError);
    expect(() => m.reply(new Uint8Array(1))).toThrow(TypeError);   // not a call
    expect(() => rt.portSet({} as Port)).toThrow(TypeError);
    port.remove();
    const other = rt.port('b2');
    const data = other.toData();
    other.remove();
    expect(() => rt.open(data)).toThrow();                          // gone
    const named = rt.port('b3');
    rt.remove('b3');
    expect(() => named.send(new Uint8Array(1))).toThrow(ClosedError);
    expect(() => named.receive(0)).toThrow(ClosedError);
  });
});

describe('delivery confirmation', () => {
  for (const kind of ['channel', 'mqueue', 'port', 'default'] as const) {
    it(`${kind}: queued, received (with the receiver's id), processed (after its ack), and a receiver that dies first`, async () => {
      const rt = await Runtime.create();
      rt.messageCodec = 'json';
      const make = (): any => kind === 'channel' ? rt.channel(undefined, { codec: 'json' }) : kind === 'mqueue' ? rt.messageQueue(undefined, { codec: 'json' }) : null;
      const flag = rt.atomic();
      const deliver = async (ack: boolean, confirm: 'received' | 'processed') => {
        const obj = make();
        const { worker, result } = runWorker<any>(rt, 'port-roles', { role: 'take', kind, obj: obj?.toData(), flag: flag.toData(), ack, confirm });
        const ready = await result;
        const target = kind === 'port' ? rt.open<Port>(ready.port) : obj;
        if (target) target.codec = rt.messageCodec as any;
        const send = (v: unknown, o: any) => kind === 'default' ? rt.to(ready.tid).deliverAsync(v, o) : target.deliverAsync(v, o);
        return { worker, ready, delivery: send({ n: 1 }, { confirm }), target };
      };
      // queued: returns at once
      const q = make() ?? rt.port(undefined, { codec: 'json' });
      expect(await q.deliverAsync({ n: 0 }, { confirm: 'queued' })).toEqual({ confirm: 'queued', receiver: 0 });
      expect(q.deliver({ n: 0 }, { confirm: 'queued' })).toEqual({ confirm: 'queued', receiver: 0 });
      // received: the receiver's thread id
      {
        const { worker, ready, delivery } = await deliver(true, 'received');
        expect(await delivery).toEqual({ confirm: 'received', receiver: ready.tid });
        await next(worker);
        await worker.terminate();
      }
      // processed: only after the receiver's ack (it sets the flag just before)
      {
        flag.store(0);
        const { worker, ready, delivery } = await deliver(true, 'processed');
        expect(await delivery).toEqual({ confirm: 'processed', receiver: ready.tid });
        expect(flag.load()).toBe(1);
        await worker.terminate();
      }
      // the receiver takes it and dies before confirming: DeadPeerError, not a hang
      {
        const { worker, delivery } = await deliver(false, 'processed');
        await next(worker);                                  // it has the message
        await worker.terminate();
        await expect(delivery).rejects.toThrow(DeadPeerError);
      }
      // a timed deliver that nobody receives: TimeoutError (the message stays queued)
      const lonely = make() ?? rt.port(undefined, { codec: 'json' });
      await expect(lonely.deliverAsync({ n: 2 }, { timeout: 20 })).rejects.toThrow(TimeoutError);
      if (kind !== 'default') expect(() => lonely.deliver({ n: 3 }, { timeout: 20 })).toThrow(TimeoutError);
    });
  }

  it('the blocking form, and ack() from a thread that owes nothing', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel<string>('c', { codec: 'string' });
    expect(() => ch.ack()).toThrow(NotOwnerError);
    const mq = rt.messageQueue<string>('q', { codec: 'string' });
    expect(() => mq.ack()).toThrow(NotOwnerError);
    // same thread: queue with 'received' blocks until taken, so take it from an async task first
    const p = rt.port<string>(undefined, { codec: 'string' });
    const got = p.receiveAsync();
    const d = await p.deliverAsync('x', { confirm: 'received' });
    expect(d.receiver).toBe(rt.threadId);
    expect((await got).value).toBe('x');
  });

  it('a message dropped unreceived (its port removed, a queue removed) fails its delivery', async () => {
    const rt = await Runtime.create();
    const p = rt.port<string>('gone', { codec: 'string' });
    const d = p.deliverAsync('x', { confirm: 'processed' });
    p.remove();
    await expect(d).rejects.toThrow(DeadPeerError);
    // a sender's handle keeps the memory: its queued call is dropped at the removal all the same,
    // and the error says that nobody received it (a bridge sends it again by NATS)
    const owner = rt.port<string>('gone-too', { codec: 'string' });
    const sender = rt.port<string>('gone-too', { codec: 'string', create: false });
    const call = sender.callAsync('q', { timeout: 20_000 });
    const received = owner.receiveAsync();
    const answered = sender.callAsync('r', { timeout: 20_000 });      // queued behind 'q'
    const m = await received;
    expect(m.value).toBe('q');
    owner.remove();
    const err = await answered.then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(DeadPeerError);
    expect(err.received).toBe(false);
    m.reply('done');                                 // a call received before the removal is still answered
    expect(await call).toBe('done');
    sender.dispose();
    const mq = rt.messageQueue<string>('gone-q', { codec: 'string' });
    const d2 = mq.deliverAsync('y', { confirm: 'received' });
    mq.remove();
    await expect(d2).rejects.toThrow(DeadPeerError);
  });
});
