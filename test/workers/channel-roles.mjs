// Producers and consumers for the channel tests. A message is
// [producer u16][seq u32][len-6 payload bytes derived from (producer, seq)], so a consumer
// can check content, and per-producer order.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
const ch = rt.channel(d.name);
const fill = (p, s, i) => (p * 31 + s * 7 + i) & 255;

if (d.role === 'produce') {
  let x = (d.id + 1) * 2654435761 >>> 0;
  let sum = 0;
  for (let s = 0; s < d.count; s++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const len = 6 + ((x >>> 0) % (d.maxLen - 6));
    const m = new Uint8Array(len);
    m[0] = d.id & 255; m[1] = d.id >> 8;
    new DataView(m.buffer).setUint32(2, s, true);
    for (let i = 6; i < len; i++) m[i] = fill(d.id, s, i);
    sum = (sum + len) >>> 0;
    if (d.async) await ch.sendAsync(m); else ch.send(m);
  }
  parentPort.postMessage({ sent: d.count, sum });
} else if (d.role === 'consume') {
  const next = new Map();
  let got = 0, bad = 0, outOfOrder = 0, sum = 0;
  const check = (m) => {
    const p = m[0] | (m[1] << 8);
    const s = new DataView(m.buffer, m.byteOffset).getUint32(2, true);
    for (let i = 6; i < m.length; i++) if (m[i] !== fill(p, s, i)) { bad++; break; }
    // one consumer sees each producer's whole sequence; several see increasing subsequences
    if (d.only ? (next.get(p) ?? 0) !== s : s < (next.get(p) ?? 0)) outOfOrder++;
    next.set(p, s + 1);
    got++;
    sum = (sum + m.length) >>> 0;
  };
  if (d.async) { for await (const m of ch) check(m); }
  else { for (;;) { let m; try { m = ch.recv(); } catch (e) { if (e.name === 'ClosedError') break; throw e; } check(m); } }
  parentPort.postMessage({ got, bad, outOfOrder, sum, producers: [...next.entries()] });
} else if (d.role === 'late-receiver') {
  // wait, then take one message and report when
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, d.delay);
  const v = ch.recv();
  parentPort.postMessage({ value: Array.from(v), at: Date.now() });
}
if (d.role === 'send-then-hang') {
  for (let i = 0; i < d.count; i++) ch.send(new Uint8Array([i]));
  parentPort.postMessage('sent');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
} else if (d.role === 'recv-until-error') {
  const got = [];
  try { for (;;) got.push(ch.recv()[0]); } catch (e) { parentPort.postMessage({ got, error: e.name, message: e.message }); }
} else if (d.role === 'recv-one-then-hang') {
  parentPort.postMessage({ got: ch.recv()[0] });
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
