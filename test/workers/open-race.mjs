// Wait for the start signal, then create-or-open the same name as everyone else.
import { parentPort } from 'node:worker_threads';
import { Runtime, Kind } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const start = rt.open(rt.data.start);
start.wait(0, 0);
const { obj, created } = rt.segment().open(rt.data.name, Kind.shm, 1, [128]);
parentPort.postMessage({ obj, created });
start.wait(1, 0); // hold the reference until terminated
