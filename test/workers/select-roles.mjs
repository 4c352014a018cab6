// A worker that waits in the blocking select (see channel.test.ts).
import { parentPort } from 'node:worker_threads';
import { Runtime, select, sendCase } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const a = rt.channel('a', { codec: 'string' });
const b = rt.channel('b', { codec: 'string' });
const out = rt.channel('out', { codec: 'string' });
const report = {};
if (rt.data.role === 'select-loop') {
  for (let i = 0; i < 2; i++) {
    const got = select([a, b], 10_000);
    out.send(`recv ${got.index} ${got.value}`);
  }
  // out holds one message (capacity 1) until main takes one: the send case waits for room
  out.send('filler');
  const s = select([a, sendCase(out, 'ping')], 10_000);
  try { select([b], 20); } catch (e) { report.timedOut = e.name; }
  out.send(`${s.op} ${s.index} ${s.value}`);
  // parked on both until main closes them: each closed case is ready once, with done
  report.ended = [];
  for (let cases = [a, b]; cases.length > 0;) {
    const got = select(cases, 10_000);
    if (!got.done || got.op !== 'recv' || got.value !== undefined) throw new Error(`not the end: ${JSON.stringify(got)}`);
    report.ended.push(got.channel.name);
    cases = cases.filter((c) => c !== got.channel);
  }
  parentPort.postMessage(report);
}
