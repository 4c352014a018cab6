// Topic roles for topic.test.ts. A message is 8 bytes: [seq u32][publisher u32].
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
const topic = rt.topic(d.name);
const report = (m) => parentPort.postMessage(m);

if (d.role === 'publish') {
  const m = new Uint8Array(8);
  const dv = new DataView(m.buffer);
  dv.setUint32(4, d.id ?? 0, true);
  for (let i = 0; i < d.count; i++) { dv.setUint32(0, i, true); topic.publish(m, { key: i % 4 }); }
  report({ published: d.count });
} else if (d.role === 'subscribe') {
  const sub = topic.subscribe(d.key === undefined ? {} : { key: d.key });
  report({ ready: true });
  let got = 0, bad = 0, lost = 0, last = -1;
  for (;;) {
    const { value, key, lost: l } = sub.receive(30_000);
    const seq = new DataView(value.buffer, value.byteOffset).getUint32(0, true);
    if (seq === 0xffffffff) break;                       // the end marker
    lost += l;
    if (d.exact && seq !== last + 1) bad++;              // every message, in order
    if (seq <= last) bad++;                              // never twice, never backwards
    if (d.key !== undefined && key !== d.key) bad++;
    last = seq;
    got++;
    if (d.slow && got % 64 === 0) { const t = Date.now(); while (Date.now() - t < 1); }
  }
  report({ got, bad, lost, lostSeen: sub.lost });
} else if (d.role === 'idle-subscriber') {    // subscribe and never read: killed by the test
  topic.subscribe();
  report({ ready: true });
  setInterval(() => {}, 1000);
}
