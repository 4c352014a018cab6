// The soak (test/soak/soak.mjs, `npm run soak` for 10 minutes): 8 workers mix every object
// kind for 20 s while victims die holding things; every invariant holds throughout, and the
// segment's memory comes back to its baseline. Then the regression tests of what it found.
import { describe, it, expect } from 'vitest';
import { Runtime } from '../dist/node/index.js';
import { runSoak, formatReport } from './soak/soak.mjs';
import { KEPT_PER_THREAD } from './helpers';

const regress = new URL('./soak/regress.mjs', import.meta.url);

describe('soak', () => {
  it('8 workers, every object kind, 20 s: no invariant violated, nothing leaked', async () => {
    const r = await runSoak({ seconds: 20, stallMs: 30_000, finishMs: 45_000, log: (line: string) => { if (line.startsWith('VIOLATION')) console.log(line); } });
    console.log(formatReport(r).join('\n'));
    expect(r.violations).toEqual([]);
    expect(r.aborted).toBeNull();
    expect(r.memory.end).toEqual(r.memory.expected);
    expect(r.finals.victimsKilled).toBeGreaterThan(0);
    expect(r.totalOps).toBeGreaterThan(20_000);            // (about 10^6 alone on 2 cores; far fewer beside other test files)
    expect(r.ok).toBe(true);
  }, 120_000);

  it('a caller terminated while its call() waits leaks neither the receipt nor the reply that comes later', async () => {
    for (const answer of ['after', 'never']) {
      const rt = await Runtime.create();
      const seg = rt.segment();
      seg.staging();
      const base = seg.stats();
      const port = rt.port('server');
      const caller = rt.spawn(regress, { data: { role: 'call', name: 'server' } }) as import('node:worker_threads').Worker;
      await new Promise((r) => caller.once('message', r));
      while (port.depth === 0) await new Promise((r) => setTimeout(r, 5));
      const exited = new Promise((r) => caller.once('exit', r));
      if (answer === 'after') {
        const m = port.tryReceive()!;            // taken before the caller dies, answered after
        await caller.terminate();
        await exited;
        m.reply(new Uint8Array(8));
      } else {
        await caller.terminate();
        await exited;
      }
      port.remove();                             // (drops a request still queued)
      expect(seg.stats().bytesInUse).toBe(base.bytesInUse + KEPT_PER_THREAD);
      expect(seg.stats().blocksInUse).toBe(base.blocksInUse + 2);
    }
  });

  it('concurrent snapshot publishers: each publish() returns its own version number', async () => {
    const rt = await Runtime.create({ size: 8 << 20 });
    rt.snapshot('s', { codec: 'bytes' });
    const count = 50_000;
    const workers = [0, 1, 2, 3].map(() => rt.spawn(regress, { data: { role: 'publish', name: 's', count } }) as import('node:worker_threads').Worker);
    const got = await Promise.all(workers.map((w) => new Promise<Int32Array>((r, j) => { w.once('message', r); w.once('error', j); })));
    await Promise.all(workers.map((w) => w.terminate()));
    const versions = got.flatMap((v) => Array.from(v));
    expect(versions.every((v) => v > 0)).toBe(true);       // never read back from a block another writer freed
    expect(new Set(versions).size).toBe(4 * count);        // never the same number twice
    expect(rt.snapshot('s').version).toBe(4 * count);
  });

  it('a strong semaphore hands its permits over: the thread they wake never reads them as free', async () => {
    const rt = await Runtime.create();
    rt.semaphore('f', { initial: 2, max: 2, fair: true });
    const workers = [0, 1, 2, 3].map(() => rt.spawn(regress, { data: { role: 'fair', name: 'f', count: 5000 } }) as import('node:worker_threads').Worker);
    const seen = await Promise.all(workers.map((w) => new Promise<number>((r, j) => { w.once('message', r); w.once('error', j); })));
    await Promise.all(workers.map((w) => w.terminate()));
    expect(seen).toEqual([0, 0, 0, 0]);
    expect(rt.semaphore('f').value).toBe(2);
  });
});
