// Ports: request/reply round trip between two worker threads.
//
//   port-call-rtt   a client worker makes N calls, one at a time, to a server worker that echoes
//                   each request; the figure is the mean time per call (µs), 2 threads.
//     wasm-ipc:     the SERVER worker creates the port with rt.port('bench-port') (default options:
//                   bytes codec, backlog 65536) when it starts, so it holds the receive right; the
//                   client worker is started only after the server reported ready, and opens the
//                   port by the same name (a send right). Per repetition the server loops
//                   `const m = port.receive(); m.reply(m.value)` N times, and the client calls
//                   port.call(u8) N times (blocking until the server's reply: a one-shot reply port,
//                   a receipt) with one reused 16-byte Uint8Array; each reply is a fresh array.
//     postMessage:  a MessageChannel between the two workers. The client posts the 16-byte
//                   Uint8Array (structured clone) and awaits the reply message (a Promise resolved
//                   by the port's onmessage) before the next call; the server's onmessage posts the
//                   received array back. Its handler stays installed between repetitions (it
//                   echoes whatever arrives), so a request that reaches it before main's call that
//                   starts its repetition is still answered and counted for that repetition.
//
// Each request carries a counter (u32 at byte 0): repetition r's calls carry base .. base + N - 1
// with a fresh base per repetition, so a stale reply cannot pass. The client checks each reply's
// length (16) and counter (= what it sent); the server reports how many requests it answered and
// the sum of their counters. A repetition is ok only if the client made N calls with no bad reply
// and the server answered N requests whose counters sum to N·base + N(N-1)/2.
// Time: measured in the client worker (performance.timeOrigin + performance.now()) around its N
// calls; main's messages that start the workers are not counted. Cleanup: the harness terminates
// both workers (the server is idle between repetitions: it only blocks inside one).
import { linkPair } from '../harness.mjs';
const SIZE = 16;
const NAME = 'bench-port';

// calls per repetition, chosen for ~100–400 ms a repetition on 2 cores
const N = { 'wasm-ipc': 100_000, postMessage: 3_000 };

const now = () => performance.timeOrigin + performance.now();
const putU32 = (u8, at, v) => { u8[at] = v; u8[at + 1] = v >>> 8; u8[at + 2] = v >>> 16; u8[at + 3] = v >>> 24; };
const getU32 = (u8, at) => (u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24)) >>> 0;

export const cases = [{
  name: 'port-call-rtt', unit: 'us', metric: 'round trip', threads: 2, better: 'lower',
  impls: ['wasm-ipc', 'postMessage'],
  async prepare(impl, h) {
    // the server first: for wasm-ipc it creates (and owns) the port before the client opens it
    const server = await h.workers(impl, 'serve', 1);
    const client = await h.workers(impl, 'call', 1);
    if (impl === 'postMessage') await linkPair(server.workers[0], client.workers[0]);
    const n = N[impl];
    let r = 0;
    return {
      async rep() {
        const base = (r++ + 1) * 1_000_000;
        const [[srv], [cli]] = await Promise.all([server.call({ n }), client.call({ n, base })]);
        const wantSum = n * base + (n * (n - 1)) / 2;
        const ok = cli.count === n && cli.bad === 0 && srv.count === n && srv.sum === wantSum;
        return {
          value: (cli.ms * 1000) / n, ok,
          detail: `client calls ${cli.count}/${n}, bad replies ${cli.bad}; server answered ${srv.count}/${n}, sum ${srv.sum}/${wantSum}`,
        };
      },
      close: () => Promise.all([server.close(), client.close()]),
    };
  },
}];

// ---- worker side ----

export const roles = {
  'wasm-ipc': {
    serve: ({ rt }) => {
      const port = rt.port(NAME); // created here: this thread holds the receive right
      if (!port.isOwner) throw new Error(`${NAME}: the server does not own the port`);
      return ({ n }) => {
        let count = 0, sum = 0;
        for (let i = 0; i < n; i++) {
          const m = port.receive();
          sum += getU32(m.value, 0);
          m.reply(m.value);
          count++;
        }
        return { count, sum };
      };
    },
    call: ({ rt }) => {
      const port = rt.port(NAME); // opened by name: a send right
      if (port.isOwner) throw new Error(`${NAME}: the client opened a new port instead of the server's`);
      const buf = new Uint8Array(SIZE);
      return ({ n, base }) => {
        let count = 0, bad = 0;
        const t0 = now();
        for (let i = 0; i < n; i++) {
          putU32(buf, 0, base + i);
          const reply = port.call(buf);
          if (reply.length !== SIZE || getU32(reply, 0) !== base + i) bad++;
          count++;
        }
        return { ms: now() - t0, count, bad };
      };
    },
  },
  postMessage: {
    serve: () => {
      const fresh = () => ({ count: 0, sum: 0 });
      let acc = fresh(), want = -1, done = null;
      const finish = () => {
        const [d, a] = [done, acc];
        acc = fresh(); want = -1; done = null;
        d(a);
      };
      let port;
      return (msg) => {
        if (msg.port) {
          port = msg.port;
          port.onmessage = (e) => {
            acc.sum += getU32(e.data, 0);
            port.postMessage(e.data);
            if (++acc.count === want) finish();
          };
          return 'ok';
        }
        return new Promise((resolve) => {
          done = resolve;
          want = msg.n;
          if (acc.count >= want) finish();
        });
      };
    },
    call: () => {
      let port, pending = null;
      const buf = new Uint8Array(SIZE);
      const call = (v) => new Promise((resolve) => { pending = resolve; port.postMessage(v); });
      return async (msg) => {
        if (msg.port) {
          port = msg.port;
          port.onmessage = (e) => { const p = pending; pending = null; p?.(e.data); };
          return 'ok';
        }
        const { n, base } = msg;
        let count = 0, bad = 0;
        const t0 = now();
        for (let i = 0; i < n; i++) {
          putU32(buf, 0, base + i);
          const reply = await call(buf);
          if (reply.length !== SIZE || getU32(reply, 0) !== base + i) bad++;
          count++;
        }
        return { ms: now() - t0, count, bad };
      };
    },
  },
};
