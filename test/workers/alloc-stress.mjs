// Allocate and free blocks of mixed sizes, writing a pattern into each and checking it
// before freeing: overlapping blocks from two threads would break someone's pattern.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const { seed, rounds } = rt.data;
const seg = rt.segment();
let x = seed >>> 0 || 1;
const rand = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
const held = [];
let allocs = 0;
let bad = 0;
const check = ({ p, n, tag }) => {
  const v = seg.view(p, n);
  for (let i = 0; i < n; i += 61) if (v[i] !== ((tag + i) & 255)) { bad++; break; }
  if (v[n - 1] !== ((tag + n - 1) & 255)) bad++;
};
for (let r = 0; r < rounds; r++) {
  if (held.length < 64 && (held.length === 0 || rand() % 3 !== 0)) {
    const big = rand() % 50 === 0;
    const n = big ? 32768 + (rand() % 200000) : 1 + (rand() % 2000);
    const p = seg.alloc(n);
    const tag = rand() & 255;
    const v = seg.view(p, n);
    for (let i = 0; i < n; i++) v[i] = (tag + i) & 255;
    held.push({ p, n, tag });
    allocs++;
  } else {
    const b = held.splice(rand() % held.length, 1)[0];
    check(b);
    seg.free(b.p);
  }
}
for (const b of held) { check(b); seg.free(b.p); }
parentPort.postMessage({ allocs, bad });
