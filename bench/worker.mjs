// A benchmark worker: runs one role of one case, answering each message with a result.
import { parentPort, workerData } from 'node:worker_threads';
import { Runtime } from '../dist/node/index.js';

const plain = workerData?.__plain;
const rt = plain ? undefined : await Runtime.attach();
const data = plain ?? rt.data;
const mod = await import(data.caseFile);
const run = await mod.roles[data.impl][data.role]({ rt, init: data.init, index: data.index });
parentPort.on('message', async (params) => {
  try {
    parentPort.postMessage({ result: await run(params) });
  } catch (e) {
    parentPort.postMessage({ error: e?.stack ?? String(e) });
  }
});
parentPort.postMessage('ready');
