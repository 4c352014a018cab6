// Producers and consumers for the channel tests. A message is
// [producer u16][seq u32][len-6 payload bytes derived from (producer, seq)], so a consumer
// can check content, and per-producer order.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
const ch = rt.channel(d.name);
const fill = (p, s, i) => (p * 31 + s * 7 + i) & 255;

// d.mode: 'one' (send / recv), 'async' (sendAsync / for await), 'many' (sendMany /
// recvMany), 'packed' (sendPacked / recvPacked), 'into' (send / recvInto), 'zero-copy'
// (reserve + commit, blocking while full / recvView)
const BATCH = 100;
if (d.role === 'produce') {
  let x = (d.id + 1) * 2654435761 >>> 0;
  let sum = 0;
  const batch = [];
  const flush = () => {
    if (d.mode === 'many') ch.sendMany(batch);
    else if (d.mode === 'packed') {
      const bytes = new Uint8Array(batch.reduce((n, m) => n + m.length, 0));
      let at = 0;
      for (const m of batch) { bytes.set(m, at); at += m.length; }
      ch.sendPacked(bytes, batch.map((m) => m.length));
    }
    batch.length = 0;
  };
  for (let s = 0; s < d.count; s++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const len = 6 + ((x >>> 0) % (d.maxLen - 6));
    const m = new Uint8Array(len);
    m[0] = d.id & 255; m[1] = d.id >> 8;
    new DataView(m.buffer).setUint32(2, s, true);
    for (let i = 6; i < len; i++) m[i] = fill(d.id, s, i);
    sum = (sum + len) >>> 0;
    if (d.mode === 'many' || d.mode === 'packed') { batch.push(m); if (batch.length === BATCH) flush(); }
    else if (d.mode === 'async') await ch.sendAsync(m);
    else if (d.mode === 'zero-copy') { const r = ch.reserve(len); r.bytes.set(m); r.commit(); } else ch.send(m);
  }
  flush();
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
  const untilClosed = (f) => { for (;;) { try { f(); } catch (e) { if (e.name === 'ClosedError') return; throw e; } } };
  if (d.mode === 'async') { for await (const m of ch) check(m); }
  else if (d.mode === 'many') untilClosed(() => { for (const m of ch.recvMany(BATCH)) check(m); });
  else if (d.mode === 'packed') {
    const target = new Uint8Array(4096 * 3), lengths = new Uint32Array(BATCH);
    untilClosed(() => {
      const n = ch.recvPacked(target, lengths);
      let at = 0;
      for (let k = 0; k < n; k++) { check(target.subarray(at, at + lengths[k])); at += lengths[k]; }
    });
  } else if (d.mode === 'zero-copy') untilClosed(() => check(ch.recvView()));
  else if (d.mode === 'into') {
    const target = new Uint8Array(4096);
    untilClosed(() => { const n = ch.recvInto(target); check(target.slice(0, n)); });
  } else untilClosed(() => check(ch.recv()));
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
if (d.role === 'send-until-closed') {
  // count the sends that returned: each of those must reach the receiver (SPSC close race)
  let sent = 0;
  const m = new Uint8Array(8);
  try { for (;;) { const dv = new DataView(m.buffer); dv.setUint32(0, sent, true); dv.setUint32(4, sent + 1, true); if (d.packed) { ch.sendPacked(m, [4, 4]); sent += 2; } else { ch.send(m.subarray(0, 4)); sent++; } } }
  catch (e) { parentPort.postMessage({ sent, error: e.name }); }
}
