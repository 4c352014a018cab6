// Channels, many → many (bench/cases/support/flow.mjs says how every channel case counts and times):
//
//   mpmc-16B-4x4    4 producers × 4 consumers (8 threads on 2 cores), 16-byte messages.
//     wasm-ipc:     one channel (not spsc), a fresh one each repetition, closed by main once the
//                   producers are done; consumers receive until ClosedError.
//     postMessage:  16 MessageChannels, each producer posting round-robin to the 4 consumers.
import { ClosedError } from '../../dist/node/index.js';
import { flowCase, pm16, now, putU32, getU32 } from './support/flow.mjs';

export const cases = [
  flowCase({
    name: 'mpmc-16B-4x4', unit: 'msg/s', threads: 8, impls: ['wasm-ipc', 'postMessage'], producers: 4, consumers: 4,
    n: { 'wasm-ipc': 150_000, postMessage: 50_000 }, // per producer, multiples of 4
    setup(impl, h) {
      if (impl !== 'wasm-ipc') return {};
      let r = 0;
      return {
        rep() {
          // a fresh channel each repetition: close() ends the stream for good
          const name = `mpmc-${r++}`;
          const ch = h.rt.channel(name, { capacity: 4096 });
          return { params: { name }, producersDone: () => ch.close(), after: () => { ch.dispose(); h.rt.remove(name); } };
        },
      };
    },
  }),
];

// ---- worker side ----

/** wasm-ipc consumer that receives until the channel is closed and drained. */
const recvUntilClosed = (ch) => {
  let count = 0, sum = 0;
  for (;;) {
    let m;
    try { m = ch.recv(); } catch (e) {
      if (e instanceof ClosedError) break;
      throw e;
    }
    sum += getU32(m, 0);
    count++;
  }
  return { count, sum, end: now() };
};

export const roles = {
  'wasm-ipc': {
    'mpmc-16B-4x4:produce': ({ rt }) => {
      const buf = new Uint8Array(16);
      return ({ name, n, base }) => {
        const ch = rt.channel(name);
        const start = now();
        for (let i = 0; i < n; i++) { putU32(buf, 0, base + i); ch.send(buf); }
        ch.dispose();
        return { start };
      };
    },
    'mpmc-16B-4x4:consume': ({ rt }) => ({ name }) => {
      const ch = rt.channel(name);
      try { return recvUntilClosed(ch); } finally { ch.dispose(); }
    },
  },
  postMessage: {
    'mpmc-16B-4x4:produce': pm16.produce,
    'mpmc-16B-4x4:consume': pm16.consume,
  },
};
