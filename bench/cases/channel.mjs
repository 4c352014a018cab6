// Channels: message throughput between worker threads.
//
//   spsc-16B        1 producer → 1 consumer, 16-byte messages, one message per call.
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
//   mpmc-16B-4x4    4 producers × 4 consumers (8 threads on 2 cores). wasm-ipc: one channel (not
//                   spsc), a fresh one each repetition, closed by main once the producers are done;
//                   consumers receive until ClosedError. postMessage: 16 MessageChannels, each
//                   producer posting round-robin to the 4 consumers.
//   spsc-64KB       64 KiB messages 1 → 1. wasm-ipc: capacity 64, maxMessageSize 65536 (the
//                   messages travel in heap blocks); send(u8) / recv(). postMessage-copy: the same
//                   Uint8Array posted (cloned). postMessage-transfer: a new ArrayBuffer per
//                   message, in the transfer list.
//   objects-msgpack { id, name, tags, t: Date } 1 → 1. wasm-ipc: rt.channel(name, { codec: 'msgpack' })
//                   (default options: 1024 slots; ~40 encoded bytes, inline). postMessage: clone.
//
// Every message carries a counter (a u32 at byte 0, or the object's id); a producer sends
// base .. base + n - 1. Consumers report count and sum (and bytes); the repetition checks them
// against the expected totals. Time: from the earliest producer start to the latest consumer
// end, both taken in the workers (performance.timeOrigin + performance.now()), so the harness's
// own messages to start the workers are not counted.
// postMessage has no back-pressure: a producer may queue all of its messages before the
// consumer catches up (wasm-ipc blocks when the ring is full).
import { RingBuffer } from 'ringbuf.js';
import { ClosedError } from '../../dist/node/index.js';
import { wire } from '../harness.mjs';

// messages per repetition (per producer), chosen for ~100–400 ms a repetition on 2 cores
const N = {
  'spsc-16B': { 'wasm-ipc': 2_000_000, 'ringbuf.js': 2_500_000, postMessage: 200_000 },
  'spsc-16B-batch': { 'wasm-ipc': 2_560_000, 'ringbuf.js': 16_384_000 }, // multiples of BATCH
  'spsc-16B-packed': { 'wasm-ipc': 10_240_000, 'ringbuf.js': 16_384_000 },
  'mpmc-16B-4x4': { 'wasm-ipc': 150_000, postMessage: 50_000 }, // per producer, multiples of 4
  'spsc-64KB': { 'wasm-ipc': 12_000, 'postMessage-copy': 12_000, 'postMessage-transfer': 30_000 },
  'objects-msgpack': { 'wasm-ipc': 150_000, postMessage: 150_000 },
};
const BATCH = 256;
const SPIN = 1000;
const BIG = 65536;

const now = () => performance.timeOrigin + performance.now();
const putU32 = (u8, at, v) => { u8[at] = v; u8[at + 1] = v >>> 8; u8[at + 2] = v >>> 16; u8[at + 3] = v >>> 24; };
const getU32 = (u8, at) => (u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24)) >>> 0;
const makeObject = (i) => ({ id: i, name: 'x' + i, tags: ['a', 'b'], t: new Date(i) });
/** An object arrived whole: its fields agree with its id. */
const objectOk = (o) => o.name === 'x' + o.id && o.tags.length === 2 && o.tags[1] === 'b' && o.t instanceof Date && o.t.getTime() === o.id;

/**
 * A throughput case: `producers` × `consumers` workers running roles[impl][name + ':produce' /
 * ':consume']. setup(impl, h) may give { init, rep() -> { params, producersDone?, after? } }.
 */
function flowCase({ name, unit, threads, impls, producers = 1, consumers = 1, size, setup = () => ({}) }) {
  return {
    name, unit, metric: unit === 'GB/s' ? 'throughput' : 'messages', threads, better: 'higher', impls,
    async prepare(impl, h) {
      const s = setup(impl, h);
      const prod = await h.workers(impl, `${name}:produce`, producers, () => s.init);
      const cons = await h.workers(impl, `${name}:consume`, consumers, () => s.init);
      if (impl.startsWith('postMessage')) await wire(prod, cons);
      const n = N[name][impl];
      if (name.endsWith('-batch') && n % BATCH) throw new RangeError(`${name}: N must be a multiple of ${BATCH}`);
      return {
        async rep() {
          const r = s.rep?.() ?? {};
          const total = n * producers;
          const consumed = cons.call(Array.from({ length: consumers }, () => ({ ...r.params, total, consumers })));
          const produced = await prod.call(Array.from({ length: producers }, (_, p) => ({ ...r.params, n, base: p * n })));
          r.producersDone?.();
          const got = await consumed;
          r.after?.();
          const span = (Math.max(...got.map((c) => c.end)) - Math.min(...produced.map((p) => p.start))) / 1000;
          const count = got.reduce((a, c) => a + c.count, 0);
          const sum = got.reduce((a, c) => a + c.sum, 0);
          const bad = got.reduce((a, c) => a + (c.bad ?? 0), 0);
          const bytes = got.reduce((a, c) => a + (c.bytes ?? 0), 0);
          const wantSum = (total * (total - 1)) / 2;
          let ok = count === total && sum === wantSum && bad === 0;
          let detail = `count ${count}/${total}, sum ${sum}/${wantSum}, bad ${bad}, per consumer ${got.map((c) => c.count).join('/')}`;
          if (size) {
            ok &&= bytes === total * size;
            detail += `, bytes ${bytes}/${total * size}`;
          }
          return { value: unit === 'GB/s' ? (total * size) / span / 1e9 : total / span, ok, detail };
        },
        close: () => s.close?.(),
      };
    },
  };
}

/** A channel made by main and opened by name in the workers. */
const namedChannel = (name, options) => (impl, h) => {
  if (impl !== 'wasm-ipc') return {};
  const ch = h.rt.channel(name, options);
  return { init: { name }, close: () => ch.dispose() };
};

/** ringbuf.js: a ring of `bytes` bytes. */
const ring = (bytes) => (impl) => (impl === 'ringbuf.js' ? { init: { sab: RingBuffer.getStorageForCapacity(bytes, Uint8Array) } } : {});

export const cases = [
  flowCase({
    name: 'spsc-16B', unit: 'msg/s', threads: 2, impls: ['wasm-ipc', 'ringbuf.js', 'postMessage'],
    setup: (impl, h) => ({ ...namedChannel('spsc', { capacity: 4096, spsc: true })(impl, h), ...ring(4096 * 16)(impl) }),
  }),
  flowCase({
    name: 'spsc-16B-batch', unit: 'msg/s', threads: 2, impls: ['wasm-ipc', 'ringbuf.js'],
    setup: (impl, h) => ({ ...namedChannel('spsc', { capacity: 4096, spsc: true })(impl, h), ...ring(4096 * 16)(impl) }),
  }),
  flowCase({
    name: 'spsc-16B-packed', unit: 'msg/s', threads: 2, impls: ['wasm-ipc', 'ringbuf.js'],
    setup: (impl, h) => ({ ...namedChannel('spsc', { capacity: 4096, spsc: true })(impl, h), ...ring(4096 * 16)(impl) }),
  }),
  flowCase({
    name: 'mpmc-16B-4x4', unit: 'msg/s', threads: 8, impls: ['wasm-ipc', 'postMessage'], producers: 4, consumers: 4,
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
  flowCase({
    name: 'spsc-64KB', unit: 'GB/s', threads: 2, impls: ['wasm-ipc', 'postMessage-copy', 'postMessage-transfer'], size: BIG,
    setup: namedChannel('big', { capacity: 64, maxMessageSize: BIG }),
  }),
  flowCase({
    name: 'objects-msgpack', unit: 'msg/s', threads: 2, impls: ['wasm-ipc', 'postMessage'],
    setup: namedChannel('objects', {}),
  }),
];

// ---- worker side ----

/** postMessage roles: the first message brings the ports; then run(ports, params). */
const withPorts = (run) => () => {
  let ports;
  return (msg) => {
    if (msg.ports) { ports = msg.ports; return 'ok'; }
    return run(ports, msg);
  };
};

/**
 * A postMessage consumer: handle(data, acc) per message until `total / consumers` arrived.
 * The handler stays installed between repetitions: a repetition's first messages can arrive
 * (on the producers' ports) before main's call that starts it (on parentPort), and must count
 * for it, not for the finished one.
 */
const portConsumer = (handle) => () => {
  const fresh = () => ({ count: 0, sum: 0, bytes: 0, bad: 0, end: 0 });
  let acc = fresh(), want = -1, done = null;
  const finish = () => {
    acc.end = now();
    const [d, a] = [done, acc];
    acc = fresh(); want = -1; done = null;
    d(a);
  };
  const onmessage = (e) => {
    handle(e.data, acc);
    if (++acc.count === want) finish();
  };
  return (msg) => {
    if (msg.ports) { for (const p of msg.ports) p.onmessage = onmessage; return 'ok'; }
    return new Promise((resolve) => {
      done = resolve;
      want = msg.total / msg.consumers;
      if (acc.count >= want) finish(); // all of it came before the call (then `end` is late)
    });
  };
};

/** A postMessage producer: message i goes to consumer i mod the number of ports. makePost() gives post(port, v). */
const portProducer = (makePost) => () => {
  const post = makePost();
  return withPorts((ports, { n, base }) => {
    const start = now();
    const k = ports.length;
    for (let i = 0; i < n; i++) post(ports[i % k], base + i);
    return { start };
  })();
};

const pm16 = {
  produce: portProducer(() => {
    const buf = new Uint8Array(16);
    return (port, v) => { putU32(buf, 0, v); port.postMessage(buf); };
  }),
  consume: portConsumer((d, acc) => { acc.sum += getU32(d, 0); }),
};

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

/** ringbuf.js: wait until `ready()` (spin, then nap between polls). */
const napWord = new Int32Array(new SharedArrayBuffer(4));
const until = (ready) => {
  for (let k = 0; !ready(); k++) if (k >= SPIN) Atomics.wait(napWord, 0, 0, 0.02);
};

export const roles = {
  'wasm-ipc': {
    'spsc-16B:produce': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      const buf = new Uint8Array(16);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i++) { putU32(buf, 0, base + i); ch.send(buf); }
        return { start };
      };
    },
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
    'spsc-64KB:produce': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      const buf = new Uint8Array(BIG).fill(7);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i++) { putU32(buf, 0, base + i); ch.send(buf); }
        return { start };
      };
    },
    'spsc-64KB:consume': ({ rt, init }) => {
      const ch = rt.channel(init.name);
      return ({ total }) => {
        let sum = 0, bytes = 0;
        for (let i = 0; i < total; i++) { const m = ch.recv(); sum += getU32(m, 0); bytes += m.length; }
        return { count: total, sum, bytes, end: now() };
      };
    },
    'objects-msgpack:produce': ({ rt, init }) => {
      const ch = rt.channel(init.name, { codec: 'msgpack' });
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i++) ch.send(makeObject(base + i));
        return { start };
      };
    },
    'objects-msgpack:consume': ({ rt, init }) => {
      const ch = rt.channel(init.name, { codec: 'msgpack' });
      return ({ total }) => {
        let sum = 0, bad = 0;
        for (let i = 0; i < total; i++) { const o = ch.recv(); sum += o.id; if (!objectOk(o)) bad++; }
        return { count: total, sum, bad, end: now() };
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
    'mpmc-16B-4x4:produce': pm16.produce,
    'mpmc-16B-4x4:consume': pm16.consume,
    'objects-msgpack:produce': portProducer(() => (port, v) => port.postMessage(makeObject(v))),
    'objects-msgpack:consume': portConsumer((o, acc) => { acc.sum += o.id; if (!objectOk(o)) acc.bad++; }),
  },
  'postMessage-copy': {
    'spsc-64KB:produce': portProducer(() => {
      const buf = new Uint8Array(BIG).fill(7);
      return (port, v) => { putU32(buf, 0, v); port.postMessage(buf); };
    }),
    'spsc-64KB:consume': portConsumer((d, acc) => { acc.sum += getU32(d, 0); acc.bytes += d.length; }),
  },
  'postMessage-transfer': {
    'spsc-64KB:produce': portProducer(() => (port, v) => {
      const u8 = new Uint8Array(BIG); // a new buffer per message: the last one was given away
      putU32(u8, 0, v);
      port.postMessage(u8, [u8.buffer]);
    }),
    'spsc-64KB:consume': portConsumer((d, acc) => { acc.sum += getU32(d, 0); acc.bytes += d.length; }),
  },
};

// the packed case runs ringbuf.js exactly as the batch case does
for (const side of ['produce', 'consume']) roles['ringbuf.js'][`spsc-16B-packed:${side}`] = roles['ringbuf.js'][`spsc-16B-batch:${side}`];
