// alloc-free-1, alloc-free-4: allocator alloc + free pairs per second, from 1 and from 4
// threads at once (4 > 2 cores: contention and preemption). Each thread keeps a window of
// 32 live blocks of mixed small sizes, writes a tag into each and checks it before freeing.
const OPS = 200_000;

const makeCase = (threads) => ({
  name: `alloc-free-${threads}`, unit: 'ops/s', metric: 'alloc+free', threads, better: 'higher',
  impls: ['wasm-ipc'],
  async prepare(impl, h) {
    const team = await h.workers(impl, 'churn', threads, (i) => ({ seed: i + 1 }));
    const seg = h.rt.segment();
    return {
      async rep() {
        const base = seg.stats().blocksInUse;
        const t0 = performance.now();
        const res = await team.call({ ops: OPS });
        const s = (performance.now() - t0) / 1000;
        const bad = res.reduce((a, r) => a + r.bad, 0);
        const leaked = seg.stats().blocksInUse - base;
        return { value: (threads * OPS) / s, ok: bad === 0 && leaked === 0, detail: `${bad} corrupted, ${leaked} leaked` };
      },
    };
  },
});

export const cases = [makeCase(1), makeCase(4)];

export const roles = {
  'wasm-ipc': {
    churn: ({ rt, init }) => {
      const seg = rt.segment();
      const core = seg.core;
      let x = init.seed * 2654435761 >>> 0 || 1;
      return ({ ops }) => {
        const ring = new Int32Array(32);
        let bad = 0;
        for (let i = 0; i < ops + 32; i++) {
          const slot = i & 31;
          const old = ring[slot];
          if (old) {
            if (seg.dv.getUint32(old, true) !== old) bad++;
            core.free(old);
            ring[slot] = 0;
          }
          if (i < ops) {
            x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
            const p = core.alloc(8 + ((x >>> 0) % 500), 0);
            if (p < 0) throw new Error(`alloc failed: ${p}`);
            seg.dv.setUint32(p, p, true);
            ring[slot] = p;
          }
        }
        return { bad };
      };
    },
  },
};
