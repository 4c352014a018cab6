// The benchmark harness: real worker_threads, warm-up, >= 5 timed repetitions with the
// implementations alternated (A B A B ...), medians, every run kept, ratios against ours.
//
// A case module (bench/cases/*.mjs) exports:
//   cases: [{ name, unit, metric, threads, better: 'higher' | 'lower', impls: [...],
//             prepare(impl, h) -> { rep(): Promise<{ value, ok, detail? }>, close() } }]
//   roles: { [impl]: { [role]: (ctx) => (params) => result } }   the worker side
// h.workers(impl, role, count, init) starts workers running roles[impl][role]; a worker
// answers each h.call(...) with its role function's result.
import { Worker } from 'node:worker_threads';
import { Runtime } from '../dist/node/index.js';

const WORKER = new URL('./worker.mjs', import.meta.url);

export class Team {
  constructor(workers) { this.workers = workers; }
  /** Send params to every worker (or one per element of an array); resolve with all results. */
  call(params) {
    return Promise.all(this.workers.map((w, i) => new Promise((resolve, reject) => {
      const onMessage = (m) => { w.off('error', reject); m.error ? reject(new Error(m.error)) : resolve(m.result); };
      w.once('message', onMessage);
      w.once('error', reject);
      w.postMessage(Array.isArray(params) ? params[i] : params);
    })));
  }
  async close() { await Promise.all(this.workers.map((w) => w.terminate())); }
}

export async function makeHelpers(caseFile, rt) {
  const teams = [];
  return {
    rt,
    /** Start `count` workers for roles[impl][role]; `init(i)` is each one's data. Attached to rt if given. */
    async workers(impl, role, count, init = () => undefined, { attach = true } = {}) {
      const workers = [];
      for (let i = 0; i < count; i++) {
        const data = { caseFile: caseFile.href, impl, role, index: i, init: init(i) };
        const w = attach && rt ? rt.spawn(WORKER, { data }) : new Worker(WORKER, { workerData: { __plain: data } });
        await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
        workers.push(w);
      }
      const team = new Team(workers);
      teams.push(team);
      return team;
    },
    async closeAll() { await Promise.all(teams.map((t) => t.close())); },
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Run one case: every impl prepared, warmed up, then reps alternated. Returns JSON rows. */
export async function runCase(c, caseFile, { reps = 5 } = {}) {
  const rt = await Runtime.create({ size: 16 << 20, maxSize: 1 << 30 });
  const h = await makeHelpers(caseFile, rt);
  const prepared = {};
  const runs = Object.fromEntries(c.impls.map((i) => [i, []]));
  const problems = [];
  try {
    for (const impl of c.impls) prepared[impl] = await c.prepare(impl, h);
    for (const impl of c.impls) await prepared[impl].rep(); // warm-up
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? c.impls : [...c.impls].reverse();
      for (const impl of order) {
        const { value, ok, detail } = await prepared[impl].rep();
        if (!ok) problems.push(`${c.name}/${impl} rep ${r}: check failed${detail ? ': ' + detail : ''}`);
        runs[impl].push(value);
      }
    }
  } finally {
    for (const p of Object.values(prepared)) await p.close?.();
    await h.closeAll();
    rt.close();
  }
  const rows = c.impls.map((impl) => ({
    case: c.name, impl, metric: c.metric, unit: c.unit, median: round(median(runs[impl])),
    min: round(Math.min(...runs[impl])), max: round(Math.max(...runs[impl])),
    runs: runs[impl].map(round), threads: c.threads,
  }));
  return { rows, problems };
}

const round = (x) => (x >= 100 ? Math.round(x) : Math.round(x * 1000) / 1000);

/** "how many times better ours is": >1 means ours wins, whichever direction the unit goes. */
export function advantage(c, ours, peer) {
  return c.better === 'lower' ? peer / ours : ours / peer;
}

// ---- wiring the postMessage peers ----

/** A worker's next message. */
export const once = (w) => new Promise((r) => w.once('message', r));

/** One MessageChannel between two workers: each gets { port } and answers once. */
export async function linkPair(a, b) {
  const { port1, port2 } = new MessageChannel();
  const ready = [once(a), once(b)];
  a.postMessage({ port: port1 }, [port1]);
  b.postMessage({ port: port2 }, [port2]);
  await Promise.all(ready);
}

/** A MessageChannel from every producer to every consumer: each worker gets { ports } and answers once. */
export async function wire(prod, cons) {
  const toCons = cons.workers.map(() => []);
  const fromProd = prod.workers.map(() => []);
  for (let p = 0; p < prod.workers.length; p++) {
    for (let c = 0; c < cons.workers.length; c++) {
      const { port1, port2 } = new MessageChannel();
      fromProd[p].push(port1);
      toCons[c].push(port2);
    }
  }
  const all = [...prod.workers.map((w, i) => [w, fromProd[i]]), ...cons.workers.map((w, i) => [w, toCons[i]])];
  await Promise.all(all.map(([w, ports]) => { const done = once(w); w.postMessage({ ports }, ports); return done; }));
}
