// Channels, objects (bench/cases/support/flow.mjs says how every channel case counts and times):
//
//   objects-msgpack { id, name, tags, t: Date } 1 → 1.
//     wasm-ipc:     rt.channel(name, { codec: 'msgpack' }) (default options: 1024 slots; ~40
//                   encoded bytes, inline).
//     postMessage:  structured clone.
import { flowCase, namedChannel, portProducer, portConsumer, now } from './support/flow.mjs';

const makeObject = (i) => ({ id: i, name: 'x' + i, tags: ['a', 'b'], t: new Date(i) });
/** An object arrived whole: its fields agree with its id. */
const objectOk = (o) => o.name === 'x' + o.id && o.tags.length === 2 && o.tags[1] === 'b' && o.t instanceof Date && o.t.getTime() === o.id;

export const cases = [
  flowCase({
    name: 'objects-msgpack', unit: 'msg/s', threads: 2, impls: ['wasm-ipc', 'postMessage'],
    n: { 'wasm-ipc': 150_000, postMessage: 150_000 },
    setup: namedChannel('objects', {}),
  }),
];

// ---- worker side ----

export const roles = {
  'wasm-ipc': {
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
  postMessage: {
    'objects-msgpack:produce': portProducer(() => (port, v) => port.postMessage(makeObject(v))),
    'objects-msgpack:consume': portConsumer((o, acc) => { acc.sum += o.id; if (!objectOk(o)) acc.bad++; }),
  },
};
