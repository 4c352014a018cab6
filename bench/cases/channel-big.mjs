// Channels, big messages (bench/cases/support/flow.mjs says how every channel case counts and times):
//
//   spsc-64KB       64 KiB messages 1 → 1.
//     wasm-ipc:     capacity 64, maxMessageSize 65536 (the messages travel in heap blocks);
//                   send(u8) / recv().
//     postMessage-copy: the same Uint8Array posted (cloned).
//     postMessage-transfer: a new ArrayBuffer per message, in the transfer list.
//   spsc-64KB-zero-copy  the same messages with no copy on the way: the producer reserve()s 64 KiB
//                   in the channel (blocking while full), writes its payload into it (one set() of
//                   a 64 KiB array of 7s: making the message, as the transfer peer's producer makes
//                   a new zeroed ArrayBuffer) and its counter, and commits; the consumer takes
//                   recvView(), a view of the message where it lies, valid until its next receive.
//     postMessage-transfer: as above.
import { flowCase, namedChannel, sendCounted, portProducer, portConsumer, now, putU32, getU32 } from './support/flow.mjs';

const BIG = 65536;

export const cases = [
  flowCase({
    name: 'spsc-64KB', unit: 'GB/s', threads: 2, impls: ['wasm-ipc', 'postMessage-copy', 'postMessage-transfer'], size: BIG,
    n: { 'wasm-ipc': 12_000, 'postMessage-copy': 12_000, 'postMessage-transfer': 30_000 },
    setup: namedChannel('big', { capacity: 64, maxMessageSize: BIG }),
  }),
  flowCase({
    name: 'spsc-64KB-zero-copy', unit: 'GB/s', threads: 2, impls: ['wasm-ipc', 'postMessage-transfer'], size: BIG,
    n: { 'wasm-ipc': 30_000, 'postMessage-transfer': 30_000 },
    setup: namedChannel('big0', { capacity: 64, maxMessageSize: BIG }),
  }),
];

// ---- worker side ----

const consume = portConsumer((d, acc) => { acc.sum += getU32(d, 0); acc.bytes += d.length; });

export const roles = {
  'wasm-ipc': {
    'spsc-64KB:produce': sendCounted(BIG, 7),
    'spsc-64KB:consume': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      return ({ total }) => {
        let sum = 0, bytes = 0;
        for (let i = 0; i < total; i++) { const m = ch.recv(); sum += getU32(m, 0); bytes += m.length; }
        return { count: total, sum, bytes, end: now() };
      };
    },
    'spsc-64KB-zero-copy:produce': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      const payload = new Uint8Array(BIG).fill(7);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i++) {
          const r = ch.reserve(BIG);
          r.bytes.set(payload);
          putU32(r.bytes, 0, base + i);
          r.commit();
        }
        return { start };
      };
    },
    'spsc-64KB-zero-copy:consume': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      return ({ total }) => {
        let sum = 0, bytes = 0;
        for (let i = 0; i < total; i++) { const m = ch.recvView(); sum += getU32(m, 0); bytes += m.length; }
        return { count: total, sum, bytes, end: now() };
      };
    },
  },
  'postMessage-copy': {
    'spsc-64KB:produce': portProducer(() => {
      const buf = new Uint8Array(BIG).fill(7);
      return (port, v) => { putU32(buf, 0, v); port.postMessage(buf); };
    }),
    'spsc-64KB:consume': consume,
  },
  'postMessage-transfer': {
    'spsc-64KB:produce': portProducer(() => (port, v) => {
      const u8 = new Uint8Array(BIG); // a new buffer per message: the last one was given away
      putU32(u8, 0, v);
      port.postMessage(u8, [u8.buffer]);
    }),
    'spsc-64KB:consume': consume,
    'spsc-64KB-zero-copy:produce': portProducer(() => (port, v) => {
      const u8 = new Uint8Array(BIG);
      putU32(u8, 0, v);
      port.postMessage(u8, [u8.buffer]);
    }),
    'spsc-64KB-zero-copy:consume': consume,
  },
};
