// A Web Worker making audio for the page's AudioWorklet: block i, sample j is sample(i, j),
// left through the ring (blocking send: the worker waits while the ring is full), right
// through the frame pool (blocking acquire, written in place, published).
import { Runtime } from '/dist/browser/index.js';

const rt = await Runtime.attach();
const { blocks, sample } = { blocks: rt.data.blocks, sample: new Function('i', 'j', 'ch', `return ${rt.data.sample}`) };
const ring = rt.channel('audio-ring');
ring.registerAs('sender');
const pool = rt.framePool('audio-frames');
const block = new Float32Array(128);
for (let i = 0; i < blocks; i++) {
  for (let j = 0; j < 128; j++) block[j] = sample(i, j, 0);
  ring.send(new Uint8Array(block.buffer), 20_000);
  const f = pool.acquire(20_000);
  const right = f.as(Float32Array);
  for (let j = 0; j < 128; j++) right[j] = sample(i, j, 1);
  pool.publish(f);
}
postMessage({ sent: blocks });
