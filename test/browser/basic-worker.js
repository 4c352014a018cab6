// A Web Worker started by rt.spawn(): attach, then follow the page's instructions.
import { Runtime } from '/dist/browser/index.js';

const rt = await Runtime.attach();
const region = rt.shm('page');
const seg = rt.segment();
// 1. the page waits asynchronously on word 0: wake it from here (a wasm notify)
Atomics.store(region.int32, 1, rt.threadId);
Atomics.store(region.int32, 0, 1);
region.wake(0);
// 2. grow the segment and leave a mark at the far end for the page to read
const p = seg.alloc(8 << 20);
seg.view(p + (8 << 20) - 1, 1)[0] = 123;
Atomics.store(region.int32, 2, p);
// 3. block (workers may) until the page has grown it further, then read the page's mark
region.wait(3, 0);
const q = Atomics.load(region.int32, 3);
Atomics.store(region.int32, 4, seg.view(q + (16 << 20) - 1, 1)[0]);
Atomics.store(region.int32, 5, seg.memory.buffer.byteLength >>> 16);
region.wake(4);
postMessage({ done: true, names: rt.list().map((o) => o.name), blocked: ipc_canBlock() });
function ipc_canBlock() { try { region.wait(6, 1); return true; } catch { return false; } }
