import { describe, it, expect } from 'vitest';
import { Runtime, OutOfMemoryError } from '../dist/node/index.js';
import { KEPT_PER_THREAD, runWorkers } from './helpers';

describe('allocator', () => {
  it('hands out aligned, disjoint, zeroed blocks of every size class and large sizes', async () => {
    const rt = await Runtime.create({ size: 1 << 20, maxSize: 64 << 20 });
    const seg = rt.segment();
    const base = seg.stats();
    const sizes = [1, 7, 8, 9, 16, 100, 120, 128, 129, 500, 4000, 32000, 32760, 32761, 40000, 1 << 20, 5_000_000];
    const blocks = sizes.map((n) => ({ n, p: seg.alloc(n) }));
    for (const { n, p } of blocks) {
      expect(p % 8).toBe(0);
      expect(seg.usable(p)).toBeGreaterThanOrEqual(n);
      expect(seg.view(p, n).every((b) => b === 0)).toBe(true);
      seg.view(p, n).fill(0xab);
    }
    const sorted = [...blocks].sort((a, b) => a.p - b.p);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]!.p + sorted[i - 1]!.n).toBeLessThanOrEqual(sorted[i]!.p);
    expect(seg.stats().blocksInUse).toBe(base.blocksInUse + sizes.length);
    for (const { p } of blocks) seg.free(p);
    expect(seg.stats().bytesInUse).toBe(base.bytesInUse);
    expect(seg.stats().blocksInUse).toBe(base.blocksInUse);
  });

  it('reuses freed blocks, and coalesces large ones back into the heap', async () => {
    const rt = await Runtime.create({ size: 1 << 20, maxSize: 16 << 20 });
    const seg = rt.segment();
    const a = seg.alloc(64);
    seg.free(a);
    expect(seg.alloc(64)).toBe(a);
    const top0 = seg.stats().top;
    const big = [seg.alloc(100_000), seg.alloc(200_000), seg.alloc(300_000)];
    for (const p of [big[1]!, big[0]!, big[2]!]) seg.free(p);
    expect(seg.stats().top).toBe(top0); // all three merged and went back to the bump region
    // a large hole in the middle is reused first-fit and split
    const x = seg.alloc(500_000), y = seg.alloc(50_000);
    seg.free(x);
    const z = seg.alloc(100_000);
    expect(z).toBe(x);
    seg.free(y); seg.free(z);
  });

  it('grows the memory up to maxSize, then throws OutOfMemoryError and stays usable', async () => {
    const rt = await Runtime.create({ size: 64 << 10, maxSize: 4 << 20 });
    const seg = rt.segment();
    const held: number[] = [];
    let err: unknown;
    try {
      for (;;) held.push(seg.alloc(256 << 10));
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(seg.memory.buffer.byteLength).toBeLessThanOrEqual(4 << 20);
    expect(held.length).toBeGreaterThan(10);
    expect(() => seg.alloc(1 << 30)).toThrow(OutOfMemoryError);
    seg.free(held.pop()!);
    held.push(seg.alloc(256 << 10)); // the freed room is usable again
    for (const p of held) seg.free(p);
    expect(seg.stats().blocksInUse).toBe(2); // only the thread's scratch block and default port
  });

  it('refuses double frees and offsets that are not blocks, changing nothing', async () => {
    const rt = await Runtime.create();
    const seg = rt.segment();
    const p = seg.alloc(40);
    const before = seg.stats();
    expect(() => seg.free(p + 8)).toThrow(RangeError);
    expect(() => seg.free(12)).toThrow(RangeError);
    expect(() => seg.free(1 << 30)).toThrow(RangeError);
    expect(seg.stats()).toEqual(before);
    seg.free(p);
    expect(() => seg.free(p)).toThrow(/double free/);
    expect(seg.stats().blocksInUse).toBe(before.blocksInUse - 1);
  });

  it('rejects bad sizes with TypeError / RangeError naming the parameter', async () => {
    const rt = await Runtime.create();
    const seg = rt.segment();
    expect(() => seg.alloc(0)).toThrow(/size/);
    expect(() => seg.alloc(-5)).toThrow(RangeError);
    expect(() => seg.alloc(1.5)).toThrow(RangeError);
    expect(() => seg.alloc('8' as unknown as number)).toThrow(TypeError);
    expect(() => seg.free(-1)).toThrow(RangeError);
  });

  it('8 workers allocate and free concurrently: no overlap, everything freed', async () => {
    const rt = await Runtime.create({ size: 1 << 20, maxSize: 256 << 20 });
    const seg = rt.segment();
    const base = seg.stats().bytesInUse;
    const reports = await runWorkers<{ allocs: number; bad: number }>(rt, 'alloc-stress', 8, (i) => ({ seed: i * 7919 + 1, rounds: 20_000 }));
    expect(reports.map((r) => r.bad)).toEqual(Array(8).fill(0));
    expect(reports.reduce((s, r) => s + r.allocs, 0)).toBeGreaterThan(8 * 5000);
    // the workers' scratch blocks stay with their (dead) thread slots for reuse
    const scratch = 8 * KEPT_PER_THREAD;
    expect(seg.stats().bytesInUse).toBe(base + scratch);
    expect(seg.stats().threads).toBe(1);
  });
});
