// Channels, one producer → one consumer, 16-byte messages (bench/cases/support/flow.mjs says
// how every channel case counts and times):
//
//   spsc-16B        one message per call.
//     wasm-ipc:     rt.channel(name, { capacity: 4096, spsc: true }); send(u8) / recvInto(out) (bytes
//                   codec; like ringbuf.js's pop(out), no allocation). The sender reuses one array.
//     ringbuf.js:   RingBuffer<Uint8Array> of 4096 × 16 bytes; push / pop 16 bytes per call. It is
//                   wait-free with no blocking form and its README says nothing about waiting (its
//                   own tests poll available_write() and retry on setTimeout, which would cost ~1 ms
//                   a stall). Here a side that finds the ring full / empty polls available_write() /
//                   available_read() SPIN times, then naps 20 us (Atomics.wait on a private word with
//                   a timeout) between polls: as fast as pure spinning when each side has a core, and
//                   it does not collapse when the machine is oversubscribed (pure spinning measured
//                   0.3–30 M msg/s from run to run here while other processes were busy).
//     postMessage:  a MessageChannel between the two workers; a 16-byte Uint8Array per message,
//                   structured clone.
//   spsc-16B-batch  the same, 256 messages per call: wasm-ipc sendMany(256 arrays) / recvMany(256);
//                   ringbuf.js one push / pop of 256 × 16 bytes.
//   spsc-16B-packed the same 256 messages per call, without an array per message: wasm-ipc
//                   sendPacked(4096 bytes, 256 lengths) / recvPacked(into a reused array and
//                   Uint32Array), against the same ringbuf.js push / pop of 256 × 16 bytes.
import { RingBuffer } from 'ringbuf.js';
import { flowCase, namedChannel, sendCounted, pm16, now, putU32, getU32 } from './support/flow.mjs';

const BATCH = 256;
const SPIN = 1000;

/** The wasm-ipc channel or the ringbuf.js ring (4096 × 16 bytes) a case's workers share. */
const setup = (impl, h) => ({
  ...namedChannel('spsc', { capacity: 4096, spsc: true })(impl, h),
  ...(impl === 'ringbuf.js' ? { init: { sab: RingBuffer.getStorageForCapacity(4096 * 16, Uint8Array) } } : {}),
});

// messages per repetition, chosen for ~100–400 ms a repetition on 2 cores (batches: multiples of BATCH)
export const cases = [
  flowCase({
    name: 'spsc-16B', unit: 'msg/s', threads: 2, impls: ['wasm-ipc', 'ringbuf.js', 'postMessage'], setup,
    n: { 'wasm-ipc': 2_000_000, 'ringbuf.js': 2_500_000, postMessage: 200_000 },
  }),
  flowCase({
    name: 'spsc-16B-batch', unit: 'msg/s', threads: 2, impls: ['wasm-ipc', 'ringbuf.js'], setup,
    n: { 'wasm-ipc': 2_560_000, 'ringbuf.js': 16_384_000 }, multipleOf: BATCH,
  }),
  flowCase({
    name: 'spsc-16B-packed', unit: 'msg/s', threads: 2, impls: ['wasm-ipc', 'ringbuf.js'], setup,
    n: { 'wasm-ipc': 10_240_000, 'ringbuf.js': 16_384_000 },
  }),
];

// ---- worker side ----

/** ringbuf.js: wait until `ready()` (spin, then nap between polls). */
const napWord = new Int32Array(new SharedArrayBuffer(4));
const until = (ready) => {
  for (let k = 0; !ready(); k++) if (k >= SPIN) Atomics.wait(napWord, 0, 0, 0.02);
};

export const roles = {
  'wasm-ipc': {
    'spsc-16B:produce': sendCounted(16),
    'spsc-16B:consume': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      const out = new Uint8Array(16); // like ringbuf.js's pop(out): recvInto copies without allocating
      return ({ total }) => {
        let sum = 0;
        for (let i = 0; i < total; i++) { ch.recvInto(out); sum += getU32(out, 0); }
        return { count: total, sum, end: now() };
      };
    },
    'spsc-16B-batch:produce': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      const batch = Array.from({ length: BATCH }, () => new Uint8Array(16));
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i += BATCH) {
          for (let j = 0; j < BATCH; j++) putU32(batch[j], 0, base + i + j);
          ch.sendMany(batch);
        }
        return { start };
      };
    },
    'spsc-16B-batch:consume': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      return ({ total }) => {
        let count = 0, sum = 0;
        while (count < total) {
          const ms = ch.recvMany(Math.min(BATCH, total - count));
          for (let j = 0; j < ms.length; j++) sum += getU32(ms[j], 0);
          count += ms.length;
        }
        return { count, sum, end: now() };
      };
    },
    'spsc-16B-packed:produce': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      const bytes = new Uint8Array(16 * BATCH);
      const lengths = new Array(BATCH).fill(16);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i += BATCH) {
          for (let j = 0; j < BATCH; j++) putU32(bytes, 16 * j, base + i + j);
          ch.sendPacked(bytes, lengths);
        }
        return { start };
      };
    },
    'spsc-16B-packed:consume': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      const target = new Uint8Array(16 * BATCH);
      const lengths = new Uint32Array(BATCH);
      return ({ total }) => {
        let count = 0, sum = 0;
        while (count < total) {
          const got = ch.recvPacked(target, lengths.length <= total - count ? lengths : lengths.subarray(0, total - count));
          for (let j = 0; j < got; j++) sum += getU32(target, 16 * j);
          count += got;
        }
        return { count, sum, end: now() };
      };
    },
  },
  'ringbuf.js': {
    'spsc-16B:produce': ({ init }) => {
      const rb = new RingBuffer(init.sab, Uint8Array);
      const buf = new Uint8Array(16);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i++) {
          putU32(buf, 0, base + i);
          until(() => rb.available_write() >= 16); // full: spin, then nap
          rb.push(buf);
        }
        return { start };
      };
    },
    'spsc-16B:consume': ({ init }) => {
      const rb = new RingBuffer(init.sab, Uint8Array);
      const out = new Uint8Array(16);
      return ({ total }) => {
        let sum = 0;
        for (let i = 0; i < total; i++) {
          until(() => rb.available_read() >= 16); // empty: spin, then nap
          rb.pop(out);
          sum += getU32(out, 0);
        }
        return { count: total, sum, end: now() };
      };
    },
    'spsc-16B-batch:produce': ({ init }) => {
      const rb = new RingBuffer(init.sab, Uint8Array);
      const buf = new Uint8Array(BATCH * 16);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i += BATCH) {
          for (let j = 0; j < BATCH; j++) putU32(buf, j * 16, base + i + j);
          until(() => rb.available_write() >= buf.length);
          rb.push(buf);
        }
        return { start };
      };
    },
    'spsc-16B-batch:consume': ({ init }) => {
      const rb = new RingBuffer(init.sab, Uint8Array);
      const out = new Uint8Array(BATCH * 16);
      return ({ total }) => {
        let sum = 0;
        for (let i = 0; i < total; i += BATCH) {
          until(() => rb.available_read() >= out.length);
          rb.pop(out);
          for (let j = 0; j < BATCH; j++) sum += getU32(out, j * 16);
        }
        return { count: total, sum, end: now() };
      };
    },
  },
  postMessage: {
    'spsc-16B:produce': pm16.produce,
    'spsc-16B:consume': pm16.consume,
  },
};

// the packed case runs ringbuf.js exactly as the batch case does
for (const side of ['produce', 'consume']) roles['ringbuf.js'][`spsc-16B-packed:${side}`] = roles['ringbuf.js'][`spsc-16B-batch:${side}`];
