// Worker pools: tasks submitted from the main thread to a pool of workers, results back.
//
//   pool-noop       N no-op tasks per repetition (the task returns its argument): the cost of
//                   submitting, dispatching and settling a task. Figure: tasks/s.
//   pool-cpu-1ms    400 tasks per repetition, each busy-spinning 1 ms (a performance.now() loop)
//                   and returning its argument: the best possible is 2 workers × 1000 tasks/s, so
//                   this shows how much of the workers' time the pool loses around real work.
//   pool-noop-8     pool-noop with 8 workers: 9 threads on 2 cores (idle workers must not steal the
//                   main thread's time).
//   Threads: 3 (9 for pool-noop-8) — the harness's main thread (submits, collects, settles the
//   promises) and the pool's 2 (8) workers, on 2 cores. No harness workers: everything runs on the main thread.
//   Every pool is made ONCE per impl in prepare() with its workers, waited for until its workers
//   are up, and closed in close(); all of them import the one task module
//   bench/cases/support/pool-tasks.mjs (exports noop and spin1ms).
//     wasm-ipc:     new WorkerPool({ filename, size: 2 }) from dist/node/index.js (its own runtime:
//                   tasks and results through shared-memory channels, msgpack), `await pool.ready()`;
//                   a task is pool.run(name, [x]) (no signal, no timeout); close() is pool.close().
//     piscina:      new Piscina({ filename, minThreads: 2, maxThreads: 2 }) (other options default:
//                   one task per worker at a time, unbounded queue); a task is piscina.run(x, { name });
//                   prepare() runs 2 tasks to have both workers up; close() is piscina.destroy().
//     tinypool:     new Tinypool({ filename, minThreads: 2, maxThreads: 2 }) (other options default);
//                   a task is pool.run(x, { name }); prepare() runs 2 tasks; close() is pool.destroy().
//   A repetition submits its N tasks in chunks of CHUNK (10 000): every task of a chunk is submitted
//   at once (all in flight, queued in the pool), then Promise.all awaits the chunk before the next.
//
// Task i of repetition r gets x = base + i, with a fresh base per repetition, and must return it.
// A repetition is ok only if N results arrived (no rejection), every one equal to its own x, and
// their sum is N·base + N(N-1)/2. Time: wall time on the main thread (performance.now()) from the
// first run() to the last chunk's Promise.all settling.
import { fileURLToPath } from 'node:url';
import { WorkerPool } from '../../dist/node/index.js';

const TASKS = new URL('./support/pool-tasks.mjs', import.meta.url);
const CHUNK = 10_000;

// tasks per repetition, chosen for ~100–400 ms a repetition on 2 cores
const N = {
  'pool-noop': { 'wasm-ipc': 60_000, piscina: 10_000, tinypool: 10_000 },
  'pool-noop-8': { 'wasm-ipc': 60_000, piscina: 10_000, tinypool: 10_000 },
  'pool-cpu-1ms': { 'wasm-ipc': 400, piscina: 400, tinypool: 400 },
};

/** impl → { run(name, x): Promise, close(): Promise }, its workers up. */
const pools = {
  async 'wasm-ipc'(WORKERS) {
    const pool = new WorkerPool({ filename: TASKS, size: WORKERS });
    await pool.ready();
    return { run: (name, x) => pool.run(name, [x]), close: () => pool.close() };
  },
  async piscina(WORKERS) {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: fileURLToPath(TASKS), minThreads: WORKERS, maxThreads: WORKERS });
    await Promise.all(Array.from({ length: WORKERS }, (_, i) => pool.run(i, { name: 'noop' })));
    return { run: (name, x) => pool.run(x, { name }), close: () => pool.destroy() };
  },
  async tinypool(WORKERS) {
    const { Tinypool } = await import('tinypool');
    const pool = new Tinypool({ filename: fileURLToPath(TASKS), minThreads: WORKERS, maxThreads: WORKERS });
    await Promise.all(Array.from({ length: WORKERS }, (_, i) => pool.run(i, { name: 'noop' })));
    return { run: (name, x) => pool.run(x, { name }), close: () => pool.destroy() };
  },
};

/** A pool case: `task` (an export of pool-tasks.mjs) N times per repetition. */
function poolCase({ name, task, workers = 2 }) {
  return {
    name, unit: 'tasks/s', metric: 'tasks', threads: workers + 1, better: 'higher',
    impls: ['wasm-ipc', 'piscina', 'tinypool'],
    async prepare(impl) {
      const pool = await pools[impl](workers);
      const n = N[name][impl];
      let r = 0;
      return {
        async rep() {
          const base = (r++ + 1) * 1_000_000;
          let count = 0, sum = 0, bad = 0, failed = 0, firstError;
          const t0 = performance.now();
          for (let at = 0; at < n; at += CHUNK) {
            const chunk = [];
            for (let i = at; i < Math.min(n, at + CHUNK); i++) {
              const x = base + i;
              chunk.push(pool.run(task, x).then(
                (v) => { count++; sum += v; if (v !== x) bad++; },
                (e) => { failed++; firstError ??= e; },
              ));
            }
            await Promise.all(chunk);
          }
          const ms = performance.now() - t0;
          const wantSum = n * base + (n * (n - 1)) / 2;
          const ok = count === n && sum === wantSum && bad === 0 && failed === 0;
          return {
            value: n / (ms / 1000), ok,
            detail: `results ${count}/${n}, sum ${sum}/${wantSum}, bad ${bad}, rejected ${failed}${firstError ? ` (${firstError?.message ?? firstError})` : ''}`,
          };
        },
        close: () => pool.close(),
      };
    },
  };
}

export const cases = [
  poolCase({ name: 'pool-noop', task: 'noop' }),
  poolCase({ name: 'pool-noop-8', task: 'noop', workers: 8 }),
  poolCase({ name: 'pool-cpu-1ms', task: 'spin1ms' }),
];

// no harness workers: the pools are driven from the main thread
export const roles = {};
