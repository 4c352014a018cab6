// Corruption containment, kind by kind (harness: test/containment/harness.ts): garbage in a
// victim's fields never reaches the canaries around it, never traps, never hangs, and the
// witness of the same kind keeps working; the victim reports CorruptedError naming itself.
import { describe, it, expect } from 'vitest';
import { contain, type ContainmentCase } from './containment/harness';
import type { FramePool } from '../dist/node/index.js';

const framePool: ContainmentCase<FramePool> = {
  kind: 'framepool',
  make: (rt, name) => rt.framePool(name, { slots: 4, frameSize: 200, metaSize: 32 }),
  ops: {
    produce: (p, rnd) => { const f = p.tryAcquire(); if (f) { f.bytes.fill(7); p.publish(f, { n: Math.floor(rnd() * 100) }); } },
    consume: (p) => { const f = p.tryNext(); if (f) { void f.bytes[0]; p.release(f); } },
    releaseAny: (p, rnd) => p.release(Math.floor(rnd() * 4)),
    timed: (p) => { const f = p.acquire(1); p.release(f); },
    state: (p) => p.state,
  },
  witness(p) {
    for (let i = 0; i < 6; i++) {
      const f = p.acquire(100);
      f.bytes.fill(i);
      p.publish(f, { i });
      const g = p.next(100);
      expect(g.meta).toEqual({ i });
      expect(g.bytes.every((b) => b === i)).toBe(true);
      p.release(g);
    }
  },
};

describe('corruption containment', () => {
  it('framepool: garbage in its fields stays in it', async () => {
    const r = await contain(framePool, 1);
    expect(r.corrupted).toBeGreaterThan(0);
    console.log('framepool', r);
  });
});
