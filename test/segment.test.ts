import { describe, it, expect } from 'vitest';
import { Runtime, Segment, AbiMismatchError, NotFoundError } from '../dist/node/index.js';
import { runWorker } from './helpers';

describe('segments', () => {
  it('rejects bad sizes with errors naming the option', async () => {
    await expect(Runtime.create({ size: 0 })).rejects.toThrow(/size/);
    await expect(Runtime.create({ size: -1 })).rejects.toThrow(RangeError);
    await expect(Runtime.create({ size: 1.5 })).rejects.toThrow(RangeError);
    await expect(Runtime.create({ size: '1' as unknown as number })).rejects.toThrow(TypeError);
    await expect(Runtime.create({ size: 4 << 20, maxSize: 1 << 20 })).rejects.toThrow(/maxSize.*>= size/);
    await expect(Runtime.create({ maxSize: 2 ** 32 })).rejects.toThrow(/maxSize/);
    await expect(Runtime.create(null as never)).rejects.toThrow(TypeError);
  });

  it('refuses a foreign or corrupted header with AbiMismatchError', async () => {
    const foreign = new WebAssembly.Memory({ initial: 2, maximum: 4, shared: true });
    await expect(Segment.attach({ name: 'x', memory: foreign })).rejects.toThrow(AbiMismatchError);
    const rt = await Runtime.create();
    const mem = rt.segment().memory;
    const copy = new WebAssembly.Memory({ initial: mem.buffer.byteLength / 65536, maximum: 1024, shared: true });
    new Uint8Array(copy.buffer).set(new Uint8Array(mem.buffer));
    await expect(Segment.attach({ name: 'copy', memory: copy })).resolves.toBeInstanceOf(Segment);
    new DataView(copy.buffer).setUint32(1024 + 4, 999, true); // another ABI version
    await expect(Segment.attach({ name: 'copy', memory: copy })).rejects.toThrow(/ABI version/);
    new DataView(copy.buffer).setUint32(1024, 0xdeadbeef, true); // another magic
    await expect(Segment.attach({ name: 'copy', memory: copy })).rejects.toThrow(AbiMismatchError);
    await expect(Segment.attach({ name: 'x', memory: new WebAssembly.Memory({ initial: 1 }) as never })).rejects.toThrow(TypeError);
  });

  it('survives another thread instantiating the core over it', async () => {
    const rt = await Runtime.create();
    const seg = rt.segment();
    expect(seg.core.segment_static_end()).toBeLessThanOrEqual(1024); // constant data stays below the header
    const before = seg.u8.slice(0, 64 << 10);
    const r = rt.shm('pattern', { size: 4096 });
    r.bytes.forEach((_, i, a) => (a[i] = (i * 31) & 255));
    const snapshot = seg.u8.slice(0, seg.stats().top);
    const { result } = runWorker<{ read: number[] }>(rt, 'report', { read: { name: 'pattern', length: 4096 } });
    const out = await result;
    expect(out.read).toEqual(Array.from(r.bytes));
    // everything but the worker's thread slot and its scratch block is byte-identical
    const after = seg.u8.slice(0, snapshot.length);
    let changed = 0;
    for (let i = 0; i < snapshot.length; i++) if (after[i] !== snapshot[i]) changed++;
    expect(changed).toBeLessThan(64);
    expect(before.subarray(0, 1024).every((b) => b === 0)).toBe(true);
    expect(seg.u8.subarray(0, 1024).every((b) => b === 0)).toBe(true);
  });

  it('a growth by one thread is seen by all', async () => {
    const rt = await Runtime.create({ size: 1 << 20, maxSize: 64 << 20 });
    const seg = rt.segment();
    const flag = rt.shm('grow-flag', { size: 16 });
    const { worker, result } = runWorker<{ p: number; size: number }>(rt, 'grow');
    const first = await result;
    expect(first.size).toBeGreaterThanOrEqual(first.p + (8 << 20));
    expect(seg.memory.buffer.byteLength).toBe(first.size);
    expect(seg.view(first.p + (8 << 20) - 1, 1)[0]).toBe(42);
    const second = new Promise<{ seen: number; size: number }>((r) => worker.once('message', r));
    const q = seg.alloc(16 << 20);
    seg.view(q + (16 << 20) - 1, 1)[0] = 77;
    Atomics.store(flag.int32, 1, q);
    Atomics.store(flag.int32, 0, 1);
    flag.wake(0);
    const out = await second;
    expect(out.seen).toBe(77);
    expect(out.size).toBeGreaterThanOrEqual(q + (16 << 20));
    await worker.terminate();
  });

  it('a worker sees only the segments it was handed', async () => {
    const rt = await Runtime.create();
    const pair = await rt.createSegment('pair', { size: 1 << 16 });
    const secret = rt.shm('secret', { size: 16 });
    const { worker, result } = runWorker<{ segments: { name: string }[]; error?: string }>(rt, 'report', { open: 'main' }, { segments: ['pair'] });
    const out = await result;
    expect(out.segments.map((s) => s.name)).toEqual(['pair']);
    expect(out.error).toBe('NotFoundError');
    await worker.terminate();
    // and opening an object of an unattached segment is refused
    const other = await Runtime.attach(rt.handle({ segments: ['pair'] }));
    expect(() => other.open(secret.toData())).toThrow(NotFoundError);
    expect(pair.threads().length).toBe(2);
    other.close();
    expect(pair.threads().length).toBe(1);
    await expect(rt.createSegment('pair')).rejects.toThrow(/already exists/);
    expect(() => rt.segment('nope')).toThrow(NotFoundError);
    expect(() => rt.segment(5 as never)).toThrow(TypeError);
  });
});
