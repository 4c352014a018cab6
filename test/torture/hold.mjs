// Regression roles for torture.test.ts: take a channel slot (a reservation, or a received
// view), say so, and hang there until terminated.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
const ch = rt.channel(d.name);
if (d.role === 'reserve') ch.reserve(d.len).bytes.fill(7);   // claimed, written, never committed
else ch.recvView();                                          // taken, never released
parentPort.postMessage('holding');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
