// What the channel cases (bench/cases/channel-*.mjs) share: flowCase, a throughput case of
// producer and consumer workers; the postMessage producer and consumer roles; the u32
// counter each message carries. (bench/run.mjs reads cases from bench/cases/*.mjs only, so
// this folder holds none.)
//
// Every message carries a counter (a u32 at byte 0, or the object's id); a producer sends
// base .. base + n - 1. Consumers report count and sum (and bytes); the repetition checks them
// against the expected totals. Time: from the earliest producer start to the latest consumer
// end, both taken in the workers (performance.timeOrigin + performance.now()), so the harness's
// own messages to start the workers are not counted.
// postMessage has no back-pressure: a producer may queue all of its messages before the
// consumer catches up (wasm-ipc blocks when the ring is full).
import { wire } from '../../harness.mjs';

export const now = () => performance.timeOrigin + performance.now();
export const putU32 = (u8, at, v) => { u8[at] = v; u8[at + 1] = v >>> 8; u8[at + 2] = v >>> 16; u8[at + 3] = v >>> 24; };
export const getU32 = (u8, at) => (u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24)) >>> 0;

/**
 * A throughput case: `producers` × `consumers` workers running roles[impl][name + ':produce' /
 * ':consume']; `n[impl]` messages per repetition (per producer), a multiple of `multipleOf`
 * if given. setup(impl, h) may give { init, rep() -> { params, producersDone?, after? } }.
 */
export function flowCase({ name, unit, threads, impls, n: counts, multipleOf, producers = 1, consumers = 1, size, setup = () => ({}) }) {
  return {
    name, unit, metric: unit === 'GB/s' ? 'throughput' : 'messages', threads, better: 'higher', impls,
    async prepare(impl, h) {
      const s = setup(impl, h);
      const prod = await h.workers(impl, `${name}:produce`, producers, () => s.init);
      const cons = await h.workers(impl, `${name}:consume`, consumers, () => s.init);
      if (impl.startsWith('postMessage')) await wire(prod, cons);
      const n = counts[impl];
      if (multipleOf && n % multipleOf) throw new RangeError(`${name}: N must be a multiple of ${multipleOf}`);
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
export const namedChannel = (name, options) => (impl, h) => {
  if (impl !== 'wasm-ipc') return {};
  const ch = h.rt.channel(name, options);
  return { init: { name }, close: () => ch.dispose() };
};

// ---- worker side ----

/** A wasm-ipc producer on the channel init.name: one `size`-byte array (filled with `fill`), its counter at byte 0. */
export const sendCounted = (size, fill = 0) => ({ rt, init }) => {
  const ch = rt.channel(init.name);
  const buf = new Uint8Array(size).fill(fill);
  return ({ n, base }) => {
    const start = now();
    for (let i = 0; i < n; i++) { putU32(buf, 0, base + i); ch.send(buf); }
    return { start };
  };
};

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
export const portConsumer = (handle) => () => {
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
export const portProducer = (makePost) => () => {
  const post = makePost();
  return withPorts((ports, { n, base }) => {
    const start = now();
    const k = ports.length;
    for (let i = 0; i < n; i++) post(ports[i % k], base + i);
    return { start };
  })();
};

/** postMessage of 16-byte Uint8Arrays (structured clone), the counter at byte 0. */
export const pm16 = {
  produce: portProducer(() => {
    const buf = new Uint8Array(16);
    return (port, v) => { putU32(buf, 0, v); port.postMessage(buf); };
  }),
  consume: portConsumer((d, acc) => { acc.sum += getU32(d, 0); }),
};
