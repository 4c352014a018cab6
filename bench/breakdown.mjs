// npm run breakdown: where the time of one port call, one RPC call and one pool task goes, step
// by step, on the real code path (ts/profile.ts: the library built with its profile marks on).
//
//   port-call   port.call(16 bytes), the server echoes it (m.reply(m.value)): as port-call-rtt
//   rpc-call    wrapSync(port).add(x, 1) against expose(api, port, { block: true }): as rpc-sync-rtt
//   pool-task   pool.run('noop', [x]) with one worker, 10 000 in flight at a time: as pool-noop
//
// Each runs across two threads (the caller in main, the callee a worker) and, for the two calls,
// in one thread: main queues the call, serves it itself (a hook between queueing and waiting),
// then takes the reply. Each thread books the time between two marks to the step the second one
// ends; a mark's own cost is measured and taken off. Figures are ns per call or task.
// Writes bench/results/breakdown.md and breakdown.json; docs/DESIGN.md quotes the table.
import { isMainThread, parentPort } from 'node:worker_threads';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const OUT = new URL('./.profile/', import.meta.url);
const N = { 'port-call': 100_000, 'rpc-call': 100_000, 'pool-task': 60_000 };

if (isMainThread) {
  const esbuild = await import('esbuild');
  const common = {
    bundle: true, format: 'esm', platform: 'node', target: 'node20', loader: { '.wasm': 'binary' },
    external: ['msgpackr-extract'], define: { __PROFILE__: 'true' }, logLevel: 'warning',
  };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: [new URL('./breakdown/entry.ts', import.meta.url).pathname], outfile: new URL('index.js', OUT).pathname }),
    esbuild.build({ ...common, entryPoints: [new URL('../ts/pool-worker.ts', import.meta.url).pathname], outfile: new URL('pool-worker.js', OUT).pathname }),
  ]);
}
const lib = await import(new URL('index.js', OUT).href);
const { Runtime, profile, wrapSync, expose, serve, Calls, WorkerPool } = lib;

async function callee(rt, role) {
  const w = rt.spawn(new URL(import.meta.url), { data: { role } });
  await new Promise((r, j) => { w.once('message', r); w.once('error', j); });
  return w;
}

/** ns per op of each step, the marks' own cost taken off. */
function perOp({ steps, markNs }, n) {
  const out = {};
  for (const [k, { ns, marks }] of Object.entries(steps)) out[k] = Math.max(0, (ns - marks * markNs) / n);
  return out;
}

function timed(n, f) {
  for (let i = 0; i < Math.min(n, 20_000); i++) f(i);   // warm-up
  profile.reset();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f(i);
  return ((performance.now() - t0) * 1e6) / n;
}

async function portCall(rt) {
  const n = N['port-call'], msg = new Uint8Array(16), Z = new Uint8Array([0x5a]), R = new Uint8Array([0x52]);
  // one thread: main owns the port and serves each call between queueing it and waiting
  const own = rt.port('breakdown-port-1');
  profile.beforeWait = () => { const m = own.tryReceive(); m.reply(m.value); };
  const wall1 = timed(n, (i) => { msg[0] = i; profile.begin(); own.call(msg); });
  const one = perOp(profile.report(), n);
  profile.beforeWait = undefined;
  own.remove();
  // two threads
  const w = await callee(rt, 'port');
  const port = rt.open(rt.port('breakdown-port').toData());
  port.call(Z);
  const wall2 = timed(n, (i) => { msg[0] = i; profile.begin(); port.call(msg); });
  const caller = perOp(profile.report(), n);
  const calleeSteps = perOp(JSON.parse(new TextDecoder().decode(port.call(R))), n);
  await w.terminate();
  return { one: { wall: wall1, caller: one }, two: { wall: wall2, caller, callee: calleeSteps } };
}

async function rpcCall(rt) {
  const n = N['rpc-call'];
  const api = { add: (a, b) => a + b };
  const own = rt.port('breakdown-rpc-1');
  const calls = new Calls(4096);
  const local = wrapSync(own);
  profile.beforeWait = () => serve(api, calls, own.tryReceive());
  const wall1 = timed(n, (i) => local.add(i, 1));
  const one = perOp(profile.report(), n);
  profile.beforeWait = undefined;
  own.remove();
  const w = await callee(rt, 'rpc');
  const remote = wrapSync(rt.port('breakdown-rpc'));
  remote.reset();
  const wall2 = timed(n, (i) => remote.add(i, 1));
  const caller = perOp(profile.report(), n);
  const calleeSteps = perOp(remote.report(), n);
  await w.terminate();
  return { one: { wall: wall1, caller: one }, two: { wall: wall2, caller, callee: calleeSteps } };
}

async function poolTask() {
  const n = N['pool-task'], chunk = 10_000;
  const pool = new WorkerPool({ filename: new URL('./breakdown/tasks.mjs', import.meta.url), size: 1 });
  await pool.ready();
  const round = async (count) => {
    for (let i = 0; i < count; i += chunk) {
      const ps = [];
      for (let k = i; k < Math.min(count, i + chunk); k++) ps.push(pool.run('noop', [k]));
      await Promise.all(ps);
    }
  };
  await round(20_000);
  await pool.run('reset');
  profile.reset();
  const t0 = performance.now();
  await round(n);
  const wall = ((performance.now() - t0) * 1e6) / n;
  const main = perOp(profile.report(), n);
  const worker = perOp(await pool.run('report'), n);
  await pool.close();
  return { two: { wall, caller: main, callee: worker } };
}

// ---- the report ----

const STEPS = {
  request: 'build the request (argument checks, id)', encode: 'encode (codec)', receipt: 'receipt (reply slot) made',
  alloc: 'message node: alloc + copy in', send: 'core send (queue, wake)', recv: 'core receive', read: 'copy out + free the node',
  decode: 'decode (codec)', run: 'run the call (dedup record, the function)', replyEncode: 'encode the reply',
  replyAlloc: 'reply node: alloc + copy in', settle: 'settle the receipt (wake the caller)', wait: 'wait for the reply',
  take: 'take the reply, drop the receipt', replyDecode: 'copy out, decode the reply', submit: 'task record, promise',
  settleTask: 'settle the task (books, resolve)', idle: 'idle (waiting for work)',
};
const fmt = (x) => (x === undefined ? '' : x.toFixed(0));

function table(name, r) {
  const lines = [`### ${name}`, ''];
  const cols = [];
  if (r.one) cols.push(['one thread', r.one.caller]);
  if (r.two) cols.push(['caller / main', r.two.caller], ['callee / worker', r.two.callee]);
  lines.push(`| step | ${cols.map((c) => c[0]).join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`);
  for (const [k, label] of Object.entries(STEPS)) {
    if (!cols.some(([, s]) => s[k] !== undefined)) continue;
    lines.push(`| ${label} | ${cols.map(([, s]) => fmt(s[k])).join(' | ')} |`);
  }
  const work = (s) => Object.entries(s).filter(([k]) => k !== 'wait' && k !== 'idle').reduce((a, [, v]) => a + v, 0);
  lines.push(`| **work (sum, no waits)** | ${cols.map(([, s]) => `**${fmt(work(s))}**`).join(' | ')} |`);
  const walls = [];
  if (r.one) walls.push(`one thread ${fmt(r.one.wall)} ns`);
  if (r.two) {
    walls.push(`two threads ${fmt(r.two.wall)} ns`);
    const hand = r.two.wall - work(r.two.caller) - work(r.two.callee);
    walls.push(`of which neither thread works (hand-off, wake-up, the event loop): ${fmt(Math.max(0, hand))} ns`);
  }
  lines.push('', `Wall time per op (profiled): ${walls.join('; ')}.`, '');
  return lines.join('\n');
}

async function main() {
  const rt = await Runtime.create({ size: 16 << 20, maxSize: 1 << 30 });
  const results = { 'port-call': await portCall(rt), 'rpc-call': await rpcCall(rt), 'pool-task': await poolTask() };
  rt.close();
  const head = `## Breakdown (ns per op; ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()})\n`;
  const md = [head, ...Object.entries(results).map(([k, r]) => table(k, r))].join('\n');
  console.log(md);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/breakdown.md', import.meta.url), md + '\n');
  writeFileSync(new URL('./results/breakdown.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
  process.exit(0);
}

// ---- the callee workers ----

async function serveCalls() {
  const rt = await Runtime.attach();
  const { role } = rt.data;
  const api = { add: (a, b) => a + b, reset: () => profile.reset(), report: () => profile.report() };
  if (role === 'rpc') {
    const port = rt.port('breakdown-rpc');
    parentPort.postMessage('ready');
    expose(api, port, { block: true });
  } else {
    // the port server: echo, except a 1-byte 'Z' (reset the books) or 'R' (reply with them)
    const port = rt.port('breakdown-port');
    parentPort.postMessage('ready');
    const enc = new TextEncoder();
    for (;;) {
      const m = port.receive();
      if (m.value.length === 1 && m.value[0] === 0x5a) { profile.reset(); m.reply(m.value); } else if (m.value.length === 1 && m.value[0] === 0x52) m.reply(enc.encode(JSON.stringify(profile.report())));
      else m.reply(m.value);
    }
  }
}


if (isMainThread) await main(); else await serveCalls();
