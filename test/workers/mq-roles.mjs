// Message-queue roles for mqueue.test.ts. A message is [sender u8][priority u8][seq u32].
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
const mq = rt.messageQueue(d.name);
if (d.role === 'send') {
  let x = (d.id + 7) * 2654435761 >>> 0;
  for (let s = 0; s < d.count; s++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const prio = (x >>> 0) % 32;
    const m = new Uint8Array(6);
    m[0] = d.id; m[1] = prio;
    new DataView(m.buffer).setUint32(2, s, true);
    mq.send(m, prio);
  }
  parentPort.postMessage({ sent: d.count });
} else if (d.role === 'receive') {
  const got = mq.receive(d.timeout);
  parentPort.postMessage({ value: Array.from(got.value), priority: got.priority });
} else if (d.role === 'receive-until-closed') {
  try { for (;;) mq.receive(); } catch (e) { parentPort.postMessage({ error: e.name }); }
} else if (d.role === 'receive-count') {   // d.count messages, as [first byte, priority]
  const got = [];
  for (let i = 0; i < d.count; i++) { const m = mq.receive(); got.push([m.value[0], m.priority]); }
  parentPort.postMessage({ got });
} else if (d.role === 'notify') {
  try { mq.notify(() => {}); parentPort.postMessage({ ok: true }); } catch (e) { parentPort.postMessage({ error: e.message }); }
}
