// One argument rule for every public number (ts/errors.ts checkInt / checkTimeout): a
// non-number is a TypeError, a number outside the parameter's domain (NaN, a fraction, a
// negative, ±Infinity where not allowed, beyond the maximum) a RangeError, whatever the
// call, blocking or async; and a refused call changes nothing (the objects still work).
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { Runtime, type Channel, type MessageQueue, type Mutex, type Semaphore, type CondVar, type Barrier } from '../dist/node/index.js';
import { runs } from './fuzz/common';

type Domain = { timeout: true } | { min: number; max: number; infinity?: true };
interface Param { call: string; domain: Domain; run: (v: unknown) => unknown; option?: true }

let rt: Runtime;
let ch: Channel<Uint8Array>, mq: MessageQueue, m: Mutex, sem: Semaphore, cv: CondVar, bar: Barrier;
const b = new Uint8Array(1);
const timeout: Domain = { timeout: true };
const params: Param[] = [
  // timeouts: ms >= 0, fractions and Infinity allowed
  { call: 'mutex.lock(timeout)', domain: timeout, run: (v) => m.lock(v as number) },
  { call: 'mutex.lockAsync({ timeout })', domain: timeout, run: (v) => m.lockAsync({ timeout: v as number }) },
  { call: 'semaphore.acquire(1, timeout)', domain: timeout, run: (v) => sem.acquire(1, v as number) },
  { call: 'condVar.waitFor(m, timeout)', domain: timeout, run: (v) => cv.waitFor(m, v as number) },
  { call: 'barrier.wait(timeout)', domain: timeout, run: (v) => bar.wait(v as number) },
  { call: 'channel.send(v, timeout)', domain: timeout, run: (v) => ch.send(b, v as number) },
  { call: 'channel.recv(timeout)', domain: timeout, run: (v) => ch.recv(v as number) },
  { call: 'channel.recvAsync({ timeout })', domain: timeout, run: (v) => ch.recvAsync({ timeout: v as number }) },
  { call: 'messageQueue.send(b, 0, timeout)', domain: timeout, run: (v) => mq.send(b, 0, v as number) },
  { call: 'messageQueue.receive(timeout)', domain: timeout, run: (v) => mq.receive(v as number) },
  { call: 'messageQueue.receiveAsync({ timeout })', domain: timeout, run: (v) => mq.receiveAsync({ timeout: v as number }) },
  // priorities and counts: integers in a range
  { call: 'messageQueue.send(b, priority)', domain: { min: 0, max: 31 }, run: (v) => mq.trySend(b, v as number) },
  { call: 'semaphore.acquire(n)', domain: { min: 1, max: 2 ** 31 - 1 }, run: (v) => sem.acquire(v as number, 0) },
  { call: 'semaphore.release(n)', domain: { min: 1, max: 2 ** 31 - 1 }, run: (v) => sem.release(v as number) },
  { call: 'channel.recvMany(max)', domain: { min: 1, max: 0x7fff_ffff }, run: (v) => ch.recvMany(v as number, 0) },
  { call: "rt.channel(name, { capacity })", domain: { min: 0, max: 2 ** 24, infinity: true }, run: (v) => rt.channel('fa-new', { capacity: v as number }), option: true },
  { call: "rt.messageQueue(name, { maxMessages })", domain: { min: 1, max: 65536 }, run: (v) => rt.messageQueue('fa-new-mq', { maxMessages: v as number }), option: true },
  { call: "rt.semaphore(name, { initial })", domain: { min: 0, max: 2 ** 31 - 1 }, run: (v) => rt.semaphore('fa-new-sem', { initial: v as number }), option: true },
  { call: 'rt.barrier(name, { parties })', domain: { min: 1, max: 0x7fff_ffff }, run: (v) => rt.barrier('fa-new-bar', { parties: v as number }), option: true },
];

/** Values outside every domain above: non-numbers (an option of null is its default), and numbers no parameter accepts. */
const notNumbers = (option: boolean) => fc.oneof(fc.string(), fc.constantFrom<unknown>(...(option ? [] : [null]), true, '1', {}, [], 1n, Symbol('x'), () => 1, new Number(1)));
const badNumber = (d: Domain) => fc.oneof(
  fc.constantFrom(NaN, -Infinity, -1, -0.5),
  fc.double({ min: -1e12, max: -Number.MIN_VALUE, noNaN: true }),
  'timeout' in d ? fc.constant(NaN) : fc.oneof(
    fc.constantFrom(...(d.infinity ? [] : [Infinity]), d.min + 0.5, d.max + 1, 1.5),   // (channel capacity Infinity: unbounded)
    fc.double({ min: d.min, max: d.max, noNaN: true }).filter((x) => !Number.isInteger(x)),
    fc.integer({ min: d.max + 1, max: d.max * 2 + 2 }),
  ),
).filter((x) => !('min' in d) || !Number.isInteger(x) || x < d.min || x > d.max);

/** The error a call gave, synchronously or as a rejection; undefined if it settled. */
async function errorOf(run: () => unknown): Promise<unknown> {
  try { await run(); } catch (e) { return e; }
  return undefined;
}

describe('fuzz: every public timeout, priority and count follows one rule', () => {
  beforeAll(async () => {
    rt = await Runtime.create();
    ch = rt.channel('fa-ch', { capacity: 4 });
    mq = rt.messageQueue('fa-mq', { maxMessages: 4, maxMessageSize: 8 });
    m = rt.mutex('fa-m');
    sem = rt.semaphore('fa-sem', { initial: 0 });
    cv = rt.condVar('fa-cv');
    bar = rt.barrier('fa-bar', { parties: 2 });
  });

  for (const p of params) {
    it(p.call, async () => {
      await fc.assert(fc.asyncProperty(fc.oneof(notNumbers(p.option === true).map((v) => [v, TypeError] as const), badNumber(p.domain).map((v) => [v, RangeError] as const)), async ([v, want]) => {
        const e = await errorOf(() => p.run(v));
        expect(e, `${p.call} with ${String(typeof v === 'symbol' ? 'Symbol' : v)}`).toBeInstanceOf(want);
        expect((e as Error).message).toMatch(/timeout|priority|count|capacity|max|initial|parties|n |n=|must/);
      }), runs(60));
      // refused calls changed nothing: nothing created, the objects still work
      const made = rt.list().filter((o) => o.name?.startsWith('fa-new'));
      for (const o of made) rt.remove(o.name!);     // (so that one failure does not fail the next parameters too)
      expect(made.map((o) => o.name)).toEqual([]);
      expect(ch.trySend(b)).toBe(true);
      expect(ch.tryRecv()).toEqual(b);
      expect(mq.trySend(b, 5)).toBe(true);
      expect(mq.tryReceive()!.priority).toBe(5);
      expect(m.tryLock()).not.toBeNull();
      m.unlock();
      expect(sem.state).toMatchObject({ value: 0 });
    });
  }
});
