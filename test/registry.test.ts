import { describe, it, expect } from 'vitest';
import {
  Runtime, Kind, ClosedError, NotFoundError, KindMismatchError, AlreadyExistsError, OutOfMemoryError, SharedRegion,
} from '../dist/node/index.js';
import { KEPT_PER_THREAD, runWorker } from './helpers';

describe('registry', () => {
  it('a worker terminated during its own exit clean-up never leaves the registry locked', async () => {
    const rt = await Runtime.create({ size: 8 << 20 });
    for (let i = 0; i < 300; i++) rt.semaphore(`held-${i}`);   // (the objects outlive the workers)
    for (let round = 0; round < 30; round++) {
      const w = runWorker(rt, 'registry-churn', { objects: 300 });
      await w.result;                 // it is ending: its clean-up holds the registry lock a while
      await w.worker.terminate();     // cut into it
      // then registry work here: a lock the worker died holding is taken over (after ~20 ms),
      // not waited on for ever, and the worker's references are gone
      const ch = rt.channel(`after-${round}`, { capacity: 2 });
      ch.send(new Uint8Array([round]));
      expect(Array.from(ch.recv())).toEqual([round]);
    }
    expect(rt.list().filter((o) => o.name!.startsWith('held-')).every((o) => o.refs === 1)).toBe(true);
  }, 60_000);

  it('creates, opens, lists, refcounts and removes named objects', async () => {
    const rt = await Runtime.create();
    const a = rt.shm('frames', { size: 1000 });
    const b = rt.shm('frames');
    expect(b.offset).toBe(a.offset);
    expect(b.size).toBe(1000);
    a.bytes[5] = 9;
    expect(b.bytes[5]).toBe(9);
    const row = rt.list().find((o) => o.name === 'frames')!;
    expect(row).toMatchObject({ kind: 'shm', refs: 2, segment: 'main', state: { bytes: 1000 } });
    expect(row.size).toBeGreaterThan(1000);
    b.close();
    expect(rt.list().find((o) => o.name === 'frames')!.refs).toBe(1);
    a.close();
    // a named object persists with no handle open, like shm
    expect(rt.list().find((o) => o.name === 'frames')!.refs).toBe(0);
    const before = rt.segment().stats().bytesInUse;
    rt.remove('frames');
    expect(rt.list().find((o) => o.name === 'frames')).toBeUndefined();
    expect(rt.segment().stats().bytesInUse).toBeLessThan(before);
    expect(() => rt.remove('frames')).toThrow(NotFoundError);
  });

  it('gives clear errors for missing names, wrong kinds, exclusive creates and bad names', async () => {
    const rt = await Runtime.create();
    const seg = rt.segment();
    expect(() => rt.shm('missing')).toThrow(NotFoundError);
    expect(() => rt.shm('missing')).toThrow(/shm "missing" in segment "main": not found/);
    rt.shm('x', { size: 8 });
    expect(() => seg.open('x', Kind.shm + 1, 1, [])).toThrow(KindMismatchError);
    expect(() => rt.shm('x', { size: 8, exclusive: true })).toThrow(AlreadyExistsError);
    expect(() => rt.shm('x', { size: 16 })).toThrow(/exists with size 8/);
    expect(() => rt.shm('', { size: 8 })).toThrow(RangeError);
    expect(() => rt.shm('n'.repeat(256), { size: 8 })).toThrow(/at most 255/);
    expect(() => rt.shm('é'.repeat(128), { size: 8 })).toThrow(RangeError);
    expect(() => rt.shm(42 as never, { size: 8 })).toThrow(TypeError);
    expect(() => rt.shm('y', { size: 0 })).toThrow(RangeError);
    expect(() => rt.shm('y', { size: 2 ** 31 })).toThrow(RangeError);
    expect(rt.shm('é'.repeat(127), { size: 8 }).name).toBe('é'.repeat(127));
    const objects = seg.stats().objects;
    // a failed create leaves nothing behind
    const small = await Runtime.create({ size: 64 << 10, maxSize: 128 << 10 });
    expect(() => small.shm('huge', { size: 1 << 20 })).toThrow(OutOfMemoryError);
    expect(small.list()).toEqual([]);
    expect(seg.stats().objects).toBe(objects);
  });

  it('use after close or remove is a ClosedError', async () => {
    const rt = await Runtime.create();
    const r = rt.shm('gone', { size: 64 });
    const other = rt.shm('gone');
    r.close();
    expect(() => r.bytes).toThrow(ClosedError);
    expect(() => r.wake(0)).toThrow(/handle is closed/);
    other.remove();
    expect(() => other.bytes).toThrow(ClosedError);
    const again = rt.shm('gone', { size: 64 }); // the name is free for a new object
    expect(again.alive).toBe(true);
    expect(again.serial).not.toBe(r.serial);
  });

  it('a removed object stays valid memory until the last handle closes', async () => {
    const rt = await Runtime.create();
    const seg = rt.segment();
    const base = seg.stats().bytesInUse;
    const a = rt.shm('doomed', { size: 50_000 });
    const b = rt.open<SharedRegion>(a.toData());
    rt.remove('doomed');
    expect(() => a.bytes).toThrow(ClosedError);
    expect(seg.stats().bytesInUse).toBeGreaterThan(base);
    a.close();
    expect(seg.stats().bytesInUse).toBeGreaterThan(base);
    b.close();
    expect(seg.stats().bytesInUse).toBe(base);
  });

  it('unnamed objects live while referenced, and cross threads as data', async () => {
    const rt = await Runtime.create();
    const seg = rt.segment();
    const base = seg.stats().bytesInUse;
    const { obj, serial } = seg.createAnonymous(Kind.shm, [32]);
    const region = rt.open<SharedRegion>({ kind: Kind.shm, segment: 'main', obj, serial, name: null });
    seg.core.reg_release(obj, serial); // drop the creation reference; `region` holds one
    region.bytes.set([1, 2, 3, 4]);
    expect(rt.list()).toMatchObject([{ name: null, kind: 'shm', refs: 1 }]);
    const { worker, result } = runWorker<{ objectBytes: number[] }>(rt, 'report', { objectData: region.toData() });
    expect((await result).objectBytes).toEqual([1, 2, 3, 4]);
    await worker.terminate();
    expect(region.bytes[3]).toBe(99);
    region.close();
    // the terminated worker's reference was dropped with it, like a dead process's descriptors
    expect(seg.stats().bytesInUse).toBe(base + KEPT_PER_THREAD); // + the dead worker's scratch block and default port, kept with its slot
  });

  it('rejects object data that is malformed or stale', async () => {
    const rt = await Runtime.create();
    const r = rt.shm('s', { size: 8 });
    const data = r.toData();
    r.remove();
    expect(() => rt.open(data)).toThrow(NotFoundError);
    expect(() => rt.open({ nope: 1 } as never)).toThrow(TypeError);
    expect(() => rt.open({ ...data, kind: 77 })).toThrow(/unknown object kind/);
    expect(() => rt.open({ ...data, segment: 'other' })).toThrow(NotFoundError);
    expect(() => rt.open({ ...data, obj: 3 })).toThrow(NotFoundError);
  });

  it('8 workers create-or-open the same name at once: exactly one object', async () => {
    for (let round = 0; round < 5; round++) {
      const rt = await Runtime.create();
      const start = rt.shm('start', { size: 16 });
      const runs = Array.from({ length: 8 }, () => runWorker<{ obj: number; created: boolean }>(rt, 'open-race', { start: start.toData(), name: 'contended' }));
      await new Promise((r) => setTimeout(r, 100));
      Atomics.store(start.int32, 0, 1);
      start.wake(0);
      const out = await Promise.all(runs.map((r) => r.result));
      expect(new Set(out.map((o) => o.obj)).size).toBe(1);
      expect(out.filter((o) => o.created).length).toBe(1);
      const rows = rt.list().filter((o) => o.name === 'contended');
      expect(rows).toHaveLength(1);
      expect(rows[0]!.refs).toBe(8);
      await Promise.all(runs.map((r) => r.worker.terminate()));
      // the dead workers' references went with them; the named object persists
      expect(rt.list().filter((o) => o.name === 'contended')).toMatchObject([{ refs: 0 }]);
    }
  });
});
