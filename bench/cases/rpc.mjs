// RPC: a caller worker calls add(a, b) => a + b, exposed by a callee thread.
//
//   rpc-sync-rtt    the caller makes N synchronous calls, one at a time (each blocks until its
//                   result); the figure is the mean time per call (µs). 2 threads: the caller and
//                   the callee (the harness's main thread waits meanwhile).
//     wasm-ipc:     a callee worker (started first) creates the port with rt.port('bench-rpc'), so it
//                   holds the receive right, and right after it reported ready calls
//                   expose(api, port, { block: true }) (msgpack; between calls the callee spins 50 µs
//                   with tryReceive, then blocks in receive(): the callee's event loop stays blocked
//                   from then on, it answers only RPC). The caller worker, started after it, opens
//                   the port by name and calls `wrapSync(port).add(x, 1)` N times.
//     synckit:      the caller worker calls createSyncFn(support/synckit-add.mjs) once when it starts
//                   (synckit starts that file in a worker of its own, the callee, which calls
//                   runAsWorker(async (a, b) => ...)) and then the sync function N times as add(x, 1):
//                   a postMessage to the callee and Atomics.wait for its postMessage back. The
//                   callee is a child of the caller worker: it ends when the harness terminates it.
//   rpc-async       the caller makes N asynchronous calls, IN_FLIGHT (256) at a time: 256 loops each
//                   await one call, then start the next, until N calls were made; the figure is
//                   calls/s. 2 threads: the caller worker and the callee worker.
//     wasm-ipc:     the callee worker as in rpc-sync-rtt (expose with { block: true }: the callee
//                   does nothing but serve); the caller calls `wrap(port).add(x, 1)` (promises,
//                   port.callAsync underneath, no timeout or signal).
//     comlink:      a MessageChannel from main, one end to each worker; the callee calls
//                   Comlink.expose(api, nodeEndpoint(port)), the caller `Comlink.wrap(nodeEndpoint(port))`
//                   and `await remote.add(x, 1)` (comlink/dist/esm: comlink.mjs, node-adapter.mjs).
//   The callees' api (the same for every impl): add(a, b) counts the call and adds `a` to a sum,
//   and returns a + b; stats() returns { count, sum } since the previous stats() and resets them.
//
// Call i of repetition r is add(base + i, 1), with a fresh base per repetition, so a stale result
// cannot pass. The caller checks each result (= base + i + 1) and adds it up; after its timed calls
// it asks the callee for stats() through the same RPC (untimed). A repetition is ok only if the
// caller made N calls, none rejected and none with a wrong result, the results sum to
// N·base + N(N-1)/2 + N, and the callee counted N add() calls whose `a`s sum to N·base + N(N-1)/2.
// Time: measured in the caller worker (performance.now()) around its N calls; main's messages that
// start the workers are not counted. Cleanup: the harness terminates the workers (the wasm-ipc
// callee while it blocks in receive(); synckit's callee goes with its parent, the caller).
import { expose, wrap, wrapSync } from '../../dist/node/index.js';
import { linkPair } from '../harness.mjs';

const NAME = 'bench-rpc';
const IN_FLIGHT = 256;
const SYNCKIT_WORKER = new URL('./support/synckit-add.mjs', import.meta.url);

// calls per repetition, chosen for ~100–400 ms a repetition on 2 cores
const N = {
  'rpc-sync-rtt': { 'wasm-ipc': 30_000, synckit: 5_000 },
  'rpc-async': { 'wasm-ipc': 50_000, comlink: 20_000 },
};

const wantAs = (n, base) => n * base + (n * (n - 1)) / 2;

/** The api every callee exposes. */
function makeApi() {
  let count = 0, sum = 0;
  return {
    add(a, b) { count++; sum += a; return a + b; },
    stats() { const s = { count, sum }; count = 0; sum = 0; return s; },
  };
}

/** A case: roles[impl].serve (if the impl has a callee worker of ours) and roles[impl][call]. */
function rpcCase({ name, unit, metric, better, impls, call, value }) {
  return {
    name, unit, metric, threads: 2, better, impls,
    async prepare(impl, h) {
      // the callee first: for wasm-ipc it creates (and owns) the port before the caller opens it
      const server = impl === 'synckit' ? undefined : await h.workers(impl, 'serve', 1);
      const client = await h.workers(impl, call, 1);
      if (impl === 'comlink') await linkPair(server.workers[0], client.workers[0]);
      const n = N[name][impl];
      let r = 0;
      return {
        async rep() {
          const base = (r++ + 1) * 1_000_000;
          const [cli] = await client.call({ n, base });
          const wantSum = wantAs(n, base) + n;
          const ok = cli.count === n && cli.bad === 0 && cli.failed === 0 && cli.sum === wantSum
            && cli.served.count === n && cli.served.sum === wantAs(n, base);
          return {
            value: value(cli.ms, n), ok,
            detail: `calls ${cli.count}/${n}, wrong ${cli.bad}, rejected ${cli.failed}${cli.error ? ` (${cli.error})` : ''}, `
              + `sum ${cli.sum}/${wantSum}; callee counted ${cli.served.count}/${n}, sum ${cli.served.sum}/${wantAs(n, base)}`,
          };
        },
        close: () => Promise.all([server?.close(), client.close()]),
      };
    },
  };
}

export const cases = [
  rpcCase({
    name: 'rpc-sync-rtt', unit: 'us', metric: 'round trip', better: 'lower', impls: ['wasm-ipc', 'synckit'],
    call: 'callSync', value: (ms, n) => (ms * 1000) / n,
  }),
  rpcCase({
    name: 'rpc-async', unit: 'calls/s', metric: 'calls', better: 'higher', impls: ['wasm-ipc', 'comlink'],
    call: 'callAsync', value: (ms, n) => n / (ms / 1000),
  }),
];

// ---- worker side ----

/** N blocking calls of add(base + i, 1) through `add`, then stats() (untimed). */
function syncCaller(add, stats) {
  return ({ n, base }) => {
    let count = 0, sum = 0, bad = 0, failed = 0, error;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      let v;
      try { v = add(base + i, 1); } catch (e) { failed++; error ??= e?.message ?? String(e); continue; }
      count++;
      sum += v;
      if (v !== base + i + 1) bad++;
    }
    const ms = performance.now() - t0;
    return { ms, count, sum, bad, failed, error, served: stats() };
  };
}

/** N async calls of add(base + i, 1), IN_FLIGHT at a time, then stats() (untimed). */
function asyncCaller(add, stats) {
  return async ({ n, base }) => {
    let count = 0, sum = 0, bad = 0, failed = 0, error, next = 0;
    const lane = async () => {
      for (let i = next++; i < n; i = next++) {
        let v;
        try { v = await add(base + i, 1); } catch (e) { failed++; error ??= e?.message ?? String(e); continue; }
        count++;
        sum += v;
        if (v !== base + i + 1) bad++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    const ms = performance.now() - t0;
    return { ms, count, sum, bad, failed, error, served: await stats() };
  };
}

export const roles = {
  'wasm-ipc': {
    serve: ({ rt }) => {
      const port = rt.port(NAME); // created here: this thread holds the receive right
      if (!port.isOwner) throw new Error(`${NAME}: the callee does not own the port`);
      // after worker.mjs has posted 'ready': from then on this thread blocks serving
      setImmediate(() => expose(makeApi(), port, { block: true }));
      return () => { throw new Error('the wasm-ipc callee serves RPC only'); };
    },
    callSync: ({ rt }) => {
      const port = rt.port(NAME); // opened by name: a send right
      if (port.isOwner) throw new Error(`${NAME}: the caller opened a new port instead of the callee's`);
      const api = wrapSync(port);
      return syncCaller((a, b) => api.add(a, b), () => api.stats());
    },
    callAsync: ({ rt }) => {
      const port = rt.port(NAME);
      if (port.isOwner) throw new Error(`${NAME}: the caller opened a new port instead of the callee's`);
      const api = wrap(port);
      return asyncCaller((a, b) => api.add(a, b), () => api.stats());
    },
  },
  synckit: {
    callSync: async () => {
      const { createSyncFn } = await import('synckit');
      const add = createSyncFn(SYNCKIT_WORKER);
      return syncCaller(add, () => add('stats'));
    },
  },
  comlink: {
    serve: async () => {
      const Comlink = await import('comlink/dist/esm/comlink.mjs');
      const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
      return ({ port }) => { Comlink.expose(makeApi(), nodeEndpoint(port)); return 'ok'; };
    },
    callAsync: async () => {
      const Comlink = await import('comlink/dist/esm/comlink.mjs');
      const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
      let api, run;
      return (msg) => {
        if (msg.port) {
          api = Comlink.wrap(nodeEndpoint(msg.port));
          run = asyncCaller((a, b) => api.add(a, b), () => api.stats());
          return 'ok';
        }
        return run(msg);
      };
    },
  },
};
