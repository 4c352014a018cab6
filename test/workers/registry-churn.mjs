// Holds many references, then reports and ends: its own exit clean-up (thread_exit, under
// the registry lock, a walk over every reference and object) is what the test's
// terminate() then cuts into.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
for (let i = 0; i < rt.data.objects; i++) rt.semaphore(`held-${i}`);
parentPort.postMessage('exiting');
