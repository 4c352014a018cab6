// pingpong-rtt: two worker threads hand a turn back and forth; the figure is the round trip.
//   wasm-ipc:     two eventcounts in the core (spin, then park in memory.atomic.wait32)
//   atomics-wait: the same turn-taking with plain Atomics.wait / Atomics.notify
//   postMessage:  a MessageChannel between the two workers
import { linkPair } from '../harness.mjs';
const N = { 'wasm-ipc': 200_000, 'atomics-wait': 10_000, postMessage: 10_000 };

export const cases = [{
  name: 'pingpong-rtt', unit: 'us', metric: 'round trip', threads: 2, better: 'lower',
  impls: ['wasm-ipc', 'postMessage', 'atomics-wait'],
  async prepare(impl, h) {
    let init;
    let seqs = () => ({});
    if (impl === 'wasm-ipc') {
      // two eventcounts, a cache line apart; each rep starts from their current sequences
      const region = h.rt.shm('pingpong', { size: 128 });
      const core = region.segment.core;
      init = () => region.toData();
      seqs = () => ({ a0: core.ec_seq(region.dataOffset), b0: core.ec_seq(region.dataOffset + 64) });
    } else if (impl === 'atomics-wait') {
      const sab = new SharedArrayBuffer(8);
      init = () => sab;
    }
    const [a, b] = [await h.workers(impl, 'ping', 1, init), await h.workers(impl, 'pong', 1, init)];
    if (impl === 'postMessage') await linkPair(a.workers[0], b.workers[0]);
    return {
      async rep() {
        const n = N[impl];
        const params = { n, ...seqs() };
        const [[pong], [ping]] = await Promise.all([b.call(params), a.call(params)]);
        return { value: (ping.ms * 1000) / n, ok: ping.count === n && pong.count === n, detail: `${ping.count}/${pong.count} of ${n}` };
      },
    };
  },
}];

// pingpong-channel-rtt: the same round trip through two channels (one each way): what a user
// of the channel API sees. postMessage is the same peer as above.
cases.push({
  name: 'pingpong-channel-rtt', unit: 'us', metric: 'round trip', threads: 2, better: 'lower',
  impls: ['wasm-ipc', 'postMessage'],
  async prepare(impl, h) {
    if (impl === 'postMessage') return cases[0].prepare('postMessage', h);
    h.rt.channel('ping', { capacity: 16, spsc: true });
    h.rt.channel('pong', { capacity: 16, spsc: true });
    const [a, b] = [await h.workers(impl, 'channelPing', 1), await h.workers(impl, 'channelPong', 1)];
    return {
      async rep() {
        const n = 100_000;
        const [[pong], [ping]] = await Promise.all([b.call({ n }), a.call({ n })]);
        return { value: (ping.ms * 1000) / n, ok: ping.count === n && pong.count === n, detail: `${ping.count}/${pong.count} of ${n}` };
      },
    };
  },
});


export const roles = {
  'wasm-ipc': {
    channelPing: ({ rt }) => {
      const [out, back] = [rt.channel('ping'), rt.channel('pong')];
      const msg = new Uint8Array(8);
      const buf = new Uint8Array(8);
      return ({ n }) => {
        const t0 = performance.now();
        let count = 0;
        for (let i = 0; i < n; i++) { out.send(msg); back.recvInto(buf); count++; }
        return { ms: performance.now() - t0, count };
      };
    },
    channelPong: ({ rt }) => {
      const [inp, back] = [rt.channel('ping'), rt.channel('pong')];
      const buf = new Uint8Array(8);
      return ({ n }) => {
        let count = 0;
        for (let i = 0; i < n; i++) { inp.recvInto(buf); back.send(buf); count++; }
        return { count };
      };
    },
    ping: ({ rt, init }) => {
      const r = rt.open(init);
      const core = r.segment.core;
      const [a, b] = [r.dataOffset, r.dataOffset + 64];
      return ({ n, b0 }) => {
        let seen = b0;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          core.ec_signal(a);
          while (core.ec_seq(b) === seen) core.ec_wait(b, seen, -1);
          seen++;
        }
        return { ms: performance.now() - t0, count: n };
      };
    },
    pong: ({ rt, init }) => {
      const r = rt.open(init);
      const core = r.segment.core;
      const [a, b] = [r.dataOffset, r.dataOffset + 64];
      return ({ n, a0 }) => {
        let seen = a0;
        let count = 0;
        for (let i = 0; i < n; i++) {
          while (core.ec_seq(a) === seen) core.ec_wait(a, seen, -1);
          seen++;
          count++;
          core.ec_signal(b);
        }
        return { count };
      };
    },
  },
  'atomics-wait': {
    ping: ({ init }) => {
      const turn = new Int32Array(init);
      return ({ n }) => {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          Atomics.store(turn, 0, 1);
          Atomics.notify(turn, 0);
          while (Atomics.load(turn, 0) === 1) Atomics.wait(turn, 0, 1);
        }
        return { ms: performance.now() - t0, count: n };
      };
    },
    pong: ({ init }) => {
      const turn = new Int32Array(init);
      return ({ n }) => {
        let count = 0;
        for (let i = 0; i < n; i++) {
          while (Atomics.load(turn, 0) === 0) Atomics.wait(turn, 0, 0);
          count++;
          Atomics.store(turn, 0, 0);
          Atomics.notify(turn, 0);
        }
        return { count };
      };
    },
  },
  postMessage: {
    ping: () => {
      let port;
      return async (msg) => {
        if (msg.port) { port = msg.port; return 'ok'; }
        const t0 = performance.now();
        let count = 0;
        await new Promise((done) => {
          port.onmessage = () => (++count === msg.n ? done() : port.postMessage(count));
          port.postMessage(0);
        });
        return { ms: performance.now() - t0, count };
      };
    },
    // One handler for every repetition, counting in total: a repetition's first ping may
    // arrive before the harness's message that starts it (a handler installed per repetition
    // let the previous one answer it, and the new one then waited for ever).
    pong: () => {
      let port;
      let total = 0;
      let target = 0;
      let wake = null;
      return async (msg) => {
        if (msg.port) {
          port = msg.port;
          port.onmessage = (e) => {
            port.postMessage(e.data);
            if (++total >= target && wake) { const w = wake; wake = null; w(); }
          };
          return 'ok';
        }
        const start = target;
        target += msg.n;
        if (total < target) await new Promise((done) => { wake = done; });
        return { count: total - start };
      };
    },
  },
};
