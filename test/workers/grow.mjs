// Growth from both sides: this worker grows the segment and marks a far byte; then it
// waits for the main thread to grow it further and checks the byte the main thread wrote.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const seg = rt.segment();
const flag = rt.shm('grow-flag');
const p = seg.alloc(8 << 20);
seg.view(p + (8 << 20) - 1, 1)[0] = 42;
parentPort.postMessage({ p, size: seg.memory.buffer.byteLength });
flag.wait(0, 0);
const q = Atomics.load(flag.int32, 1);
parentPort.postMessage({ seen: seg.view(q + (16 << 20) - 1, 1)[0], size: seg.memory.buffer.byteLength });
