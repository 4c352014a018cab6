// 8 workers on 2 cores, 10^6 lock/unlock operations in total per lock kind, guarding a
// plain non-atomic counter that must come out exact.
import { describe, it, expect } from 'vitest';
import { Runtime } from '../dist/node/index.js';
import { runWorkers } from './helpers';

const TOTAL = 1_000_000;

async function stress(kind: string, workers: number, make: (rt: Runtime) => void) {
  const rt = await Runtime.create({ size: 4 << 20 });
  make(rt);
  const counter = rt.shm('counter', { size: 64 });
  const ops = TOTAL / workers;
  await runWorkers(rt, 'lock-stress', workers, (i) => ({ kind, name: 'lock', ops, counter: counter.toData(), side: i }));
  expect(counter.int32[0]).toBe(TOTAL);
}

describe('mutual exclusion under contention (8 workers, 2 cores, 10^6 ops)', () => {
  it('Mutex', () => stress('mutex', 8, (rt) => rt.mutex('lock')));
  it('Monitor', () => stress('monitor', 8, (rt) => rt.monitor('lock')));
  it('SpinLock', () => stress('spinlock', 8, (rt) => rt.spinLock('lock')));
  it('TicketLock', () => stress('ticketlock', 8, (rt) => rt.ticketLock('lock')), 180_000);
  it('RwLock (writers)', () => stress('rwlock', 8, (rt) => rt.rwLock('lock')));
  it('binary Semaphore (weak)', () => stress('semaphore', 8, (rt) => rt.semaphore('lock', { initial: 1, max: 1 })));
  // FIFO locks hand every turn to one specific thread, usually asleep with 8 threads on 2
  // cores: each turn costs a wake-up (~25 us here), so these two take ~30 s each.
  it('binary Semaphore (strong)', () => stress('semaphore-fair', 8, (rt) => rt.semaphore('lock', { initial: 1, max: 1, fair: true })), 180_000);
  it('PetersonLock (its two parties)', () => stress('peterson', 2, (rt) => rt.petersonLock('lock')));
});
