// FramePool roles for framepool.test.ts. A frame carries its producer and sequence number in
// every 4-byte word (id << 24 | seq), so a slot written by two producers at once would show.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
const pool = rt.framePool(d.name);
const report = (m) => parentPort.postMessage(m);

if (d.role === 'produce') {
  for (let seq = 0; seq < d.count; seq++) {
    const f = pool.acquire(20_000);
    const words = f.as(Uint32Array);
    const tag = (d.id << 24) | seq;
    if (d.fill) words.fill(tag); else { words[0] = tag; words[words.length - 1] = tag; }
    pool.publish(f, { id: d.id, seq, offset: f.bytes.byteOffset });
  }
  report({ sent: d.count });
} else if (d.role === 'consume') {
  const seen = [];
  let bad = 0;
  for (;;) {
    const f = pool.next(20_000);
    if (f.meta === 'stop') { pool.release(f); break; }
    const words = f.as(Uint32Array);
    const tag = (f.meta.id << 24) | f.meta.seq;
    // zero copy: the consumer's view is the producer's memory, at the same offset
    if (f.bytes.byteOffset !== f.meta.offset) bad++;
    if (d.fill) { for (let i = 0; i < words.length; i += 97) if (words[i] !== tag) { bad++; break; } }
    if (words[0] !== tag || words[words.length - 1] !== tag) bad++;
    seen.push([f.meta.id, f.meta.seq]);
    pool.release(f);
  }
  report({ seen, bad });
} else if (d.role === 'hold') {        // acquire a slot (and take a frame), then wait to be killed
  const f = pool.acquire(5000);
  const g = pool.next(5000);
  report({ held: [f.slot, g.slot] });
  setInterval(() => {}, 1000);
}
