// Write `count` blocks of PIPE_BUF bytes, each filled with this writer's id, then close.
import { parentPort } from 'node:worker_threads';
import { Runtime, PIPE_BUF } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const w = rt.pipe(rt.data.name).writer();
const block = new Uint8Array(PIPE_BUF).fill(rt.data.id);
for (let i = 0; i < rt.data.count; i++) w.write(block);
w.close();
parentPort.postMessage('done');
