// Attach, then report what this thread sees; with data.hang, block until terminated.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data ?? {};
const out = { tid: rt.threadId, segments: rt.segments.map((s) => ({ name: s.name, tid: s.tid })), threads: rt.threads() };
if (d.read) {
  const r = rt.shm(d.read.name);
  out.read = Array.from(r.bytes.subarray(0, d.read.length));
}
if (d.open) {
  try { rt.segment(d.open); out.opened = true; } catch (e) { out.error = e.name; }
}
if (d.objectData) {
  const r = rt.open(d.objectData);
  out.objectBytes = Array.from(r.bytes.subarray(0, 4));
  r.bytes[3] = 99;
}
parentPort.postMessage(out);
if (d.hang) rt.shm(d.hang).wait(0, 0);
if (d.exitCode !== undefined) process.exit(d.exitCode);
