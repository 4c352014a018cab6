// NATS cases: wasm-ipc/nats against the NATS client (nats.js 3.4, @nats-io/*) used directly,
// on the same server and the same path, in the same run. One real `nats-server -js` on
// 127.0.0.1 (scripts/nats-server.mjs) is started for the NATS cases and stopped after them;
// every connection below is its own TCP connection to it, in the bench's main thread (the
// client lives on an event loop), so sender and receiver share one process and one core.
//
//   nats-channel-1x1-16B / -1KiB  one sender connection → one receiver connection through a
//                   JetStream work-queue stream (file storage), N messages per repetition.
//     wasm-ipc:     bridge.channel(): sendAsync() awaited one by one (each waits for the
//                   stream's ack; msg id set), recvAsync() (pull of up to 16, ackAck before
//                   returning) until N arrived.
//                   Each bridge on a runtime of its own (as two processes).
//     nats.js:      js.publish(subject, bytes, { msgID }) awaited one by one; the receiver
//                   consumer.consume({ max_messages: 16 }) and await m.ackAck() on each message.
//   nats-channel-local-1x1-16B  the same with both bridges on one runtime (two threads of one
//                   process would be the same): a send to the waiting receiver is handed over
//                   in shared memory (ts/bridge/handoff.ts); nats.js has no such path and goes
//                   through the stream as in nats-channel-1x1-16B.
//   nats-rpc-rtt    one call at a time, 16-byte-ish argument, µs per call.
//     wasm-ipc:     wrap(bridge.port()).add(i, 1) against expose() on another connection, each
//                   bridge on a runtime of its own (as two processes).
//   nats-rpc-local-rtt  the same with both bridges on one runtime (two threads of one process
//                   would be the same): the call goes through shared memory; nats.js has no
//                   such path and makes the same NATS round trip as in nats-rpc-rtt.
//     nats.js:      nc.request(subject, msgpack([i, 1])) against a subscription that replies.
//   nats-topic-1x3  one publisher connection, three subscriber connections, 16-byte messages (a
//                   fresh array each: the client keeps a reference until it writes it out);
//                   msg/s published, until all three have all N.
//     wasm-ipc:     bridge.topic().publish() / (await topic.subscribe()): tryReceive(), else await receiveAsync();
//                   each bridge on a runtime of its own (four segments, as four processes: the
//                   bridges of one segment would hand the messages over in shared memory)
//     nats.js:      nc.publish() / nc.subscribe() with a callback, on the subjects the bridge uses
//                   (`wipc.topic.<name>.<key>`, subscribed as `wipc.topic.<name>.>`: the same path)
//     nats.js-short-subject: the same on `raw.topic` (what the bridge's longer subject costs)
//   nats-topic-block-1x3  a topic with policy 'block' (a JetStream stream, interest retention,
//                   discard new, max_msgs 1024): one publisher, publishes awaited one by one,
//                   three subscriber connections; msg/s published, until all three have all N.
//     wasm-ipc:     topic.publishAsync() / subscription.receiveAsync() (one message out at a time, ackAck);
//                   each bridge on a runtime of its own
//     nats.js:      js.publish(msgID) awaited / a durable consumer each (deliver new,
//                   max_ack_pending 1 as the bridge's), consumer.next() and await m.ackAck() per message
//     nats.js-ack-window: the same with the default ack window (1000) and consume({ max_messages: 16 }):
//                   faster, but a redelivery (a failed ack, a reconnect) then comes after later messages
// Each repetition checks every message arrived exactly once (and in order where promised).
import { Runtime, msgpackCodec } from '../../dist/node/index.js';
import { Bridge, expose, wrap } from '../../dist/node/nats.js';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy, RetentionPolicy, DiscardPolicy, StorageType } from '@nats-io/jetstream';
import { startNatsServer } from '../../scripts/nats-server.mjs';

let server;
let users = 0;
async function acquire() { users++; server ??= await startNatsServer(); return server; }
async function release() { if (--users === 0) { await server.stop(); server = undefined; } }

const now = () => performance.now();
const u32 = (u8, at) => (u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24)) >>> 0;
const put = (u8, v) => { u8[0] = v; u8[1] = v >>> 8; u8[2] = v >>> 16; u8[3] = v >>> 24; };
let reps = 0;

function channelCase(size, label, oneSegment = false) {
  const N = 2000;
  return {
    name: `nats-channel-${oneSegment ? 'local-' : ''}1x1-${label}`, unit: 'msg/s', metric: 'messages', threads: 1, better: 'higher', impls: ['wasm-ipc', 'nats.js'],
    async prepare(impl) {
      const s = await acquire();
      const stream = `bench_${impl === 'wasm-ipc' ? 'w' : 'r'}_${oneSegment ? 'l' : ''}${label}`;
      const conns = [];
      let send, recv;
      if (impl === 'wasm-ipc') {
        const rtA = await Runtime.create({ size: 1 << 20 });
        const rtB = oneSegment ? rtA : await Runtime.create({ size: 1 << 20 });
        const a = await Bridge.connect(rtA, { servers: s.url });
        const b = await Bridge.connect(rtB, { servers: s.url });
        conns.push(() => a.close(), () => b.close(), () => { rtA.close(); if (rtB !== rtA) rtB.close(); });
        const tx = await a.channel(stream, { capacity: 1 << 20 });
        const rx = await b.channel(stream);
        send = (bytes) => tx.sendAsync(bytes);
        recv = () => rx.recvAsync();
      } else {
        const a = await connect({ servers: s.url });
        const b = await connect({ servers: s.url });
        conns.push(() => a.close(), () => b.close());
        const jsm = await jetstreamManager(a);
        await jsm.streams.add({ name: stream, subjects: [`raw.${stream}`], retention: RetentionPolicy.Workqueue, discard: DiscardPolicy.New, max_msgs: 1 << 20, storage: StorageType.File });
        await jsm.consumers.add(stream, { durable_name: 'receivers', ack_policy: AckPolicy.Explicit, ack_wait: 30e9 });
        const js = jetstream(a);
        const consumer = await jetstream(b).consumers.get(stream, 'receivers');
        let n = 0;
        send = (bytes) => js.publish(`raw.${stream}`, bytes, { msgID: `r${++n}` });
        const messages = await consumer.consume({ max_messages: 16 });
        conns.unshift(() => messages.stop());
        const iter = messages[Symbol.asyncIterator]();
        recv = async () => {
          const { value: m } = await iter.next();
          await m.ackAck();
          return m.data;
        };
      }
      return {
        async rep() {
          const base = ++reps * 1_000_000;
          const bytes = new Uint8Array(size);
          const t = now();
          const sender = (async () => { for (let i = 0; i < N; i++) { put(bytes, base + i); await send(bytes); } })();
          let bad = 0;
          for (let i = 0; i < N; i++) { const m = await recv(); if (m.length !== size || u32(m, 0) !== base + i) bad++; }
          await sender;
          return { value: N / ((now() - t) / 1000), ok: bad === 0, detail: bad ? `${bad} out of order or wrong` : undefined };
        },
        async close() { for (const c of conns) await c(); await release(); },
      };
    },
  };
}

const rpcCase = (name, oneSegment) => ({
  name, unit: 'µs', metric: 'round trip', threads: 1, better: 'lower', impls: ['wasm-ipc', 'nats.js'],
  async prepare(impl) {
    const s = await acquire();
    const N = 3000;
    const conns = [];
    let call;
    if (impl === 'wasm-ipc') {
      // a runtime each, as two processes would have; or one (nats-rpc-local-rtt: caller and
      // exposer in one process, the call goes through shared memory)
      const rtA = await Runtime.create({ size: 1 << 20 });
      const rtB = oneSegment ? rtA : await Runtime.create({ size: 1 << 20 });
      const a = await Bridge.connect(rtA, { servers: s.url });
      const b = await Bridge.connect(rtB, { servers: s.url });
      conns.push(() => a.close(), () => b.close(), () => { rtA.close(); if (rtB !== rtA) rtB.close(); });
      expose({ add: (x, y) => x + y }, b.port('bench-rpc'));
      await b.nc.flush();
      const api = wrap(a.port('bench-rpc'));
      call = (i) => api.add(i, 1);
    } else {
      const a = await connect({ servers: s.url });
      const b = await connect({ servers: s.url });
      conns.push(() => a.close(), () => b.close());
      b.subscribe('raw.rpc', { queue: 'q', callback: (_, m) => { const [x, y] = msgpackCodec.decode(m.data); m.respond(msgpackCodec.encode(x + y)); } });
      await b.flush();
      call = async (i) => msgpackCodec.decode((await a.request('raw.rpc', msgpackCodec.encode([i, 1]), { timeout: 5000 })).data);
    }
    return {
      async rep() {
        let bad = 0;
        const t = now();
        for (let i = 0; i < N; i++) if (await call(i) !== i + 1) bad++;
        return { value: ((now() - t) * 1000) / N, ok: bad === 0 };
      },
      async close() { for (const c of conns) await c(); await release(); },
    };
  },
});

const topicCase = {
  name: 'nats-topic-1x3', unit: 'msg/s', metric: 'messages', threads: 1, better: 'higher', impls: ['wasm-ipc', 'nats.js', 'nats.js-short-subject'],
  async prepare(impl) {
    const s = await acquire();
    const N = 50_000;
    const conns = [];
    let publish, subscribers;   // subscribers: () => Promise<bad count>[] for one repetition
    if (impl === 'wasm-ipc') {
      // a runtime per connection, as four processes would have: one runtime's bridges share
      // its segment, and their subscribers would take the messages from shared memory
      const rts = await Promise.all([0, 1, 2, 3].map(() => Runtime.create({ size: 4 << 20 })));
      const a = await Bridge.connect(rts[0], { servers: s.url });
      conns.push(() => a.close());
      const subs = [];
      for (let k = 1; k <= 3; k++) {
        const b = await Bridge.connect(rts[k], { servers: s.url });
        conns.push(() => b.close());
        subs.push(await b.topic('bench-topic').subscribe());
      }
      conns.push(() => { for (const rt of rts) rt.close(); });
      const topic = a.topic('bench-topic');
      publish = (u8) => topic.publish(u8);
      subscribers = (base) => subs.map(async (sub) => {
        let bad = 0;
        for (let i = 0; i < N; i++) { const { value } = sub.tryReceive() ?? await sub.receiveAsync(); if (u32(value, 0) !== base + i) bad++; }
        return bad;
      });
    } else {
      const a = await connect({ servers: s.url });
      conns.push(() => a.close());
      const handlers = [];
      for (let k = 0; k < 3; k++) {
        const b = await connect({ servers: s.url });
        conns.push(() => b.close());
        b.subscribe(impl === 'nats.js' ? 'wipc.topic.raw-topic.>' : 'raw.topic', { callback: (_, m) => handlers[k](m.data) });
        await b.flush();
      }
      const subject = impl === 'nats.js' ? 'wipc.topic.raw-topic.0' : 'raw.topic';
      publish = (u8) => a.publish(subject, u8);
      subscribers = (base) => [0, 1, 2].map((k) => new Promise((resolve) => {
        let i = 0, bad = 0;
        handlers[k] = (d) => { if (u32(d, 0) !== base + i) bad++; if (++i === N) resolve(bad); };
      }));
    }
    return {
      async rep() {
        const base = ++reps * 1_000_000;
        const t = now();
        const done = subscribers(base);
        for (let i = 0; i < N; i++) { const u8 = new Uint8Array(16); put(u8, base + i); publish(u8); if ((i & 1023) === 0) await null; }
        const bad = (await Promise.all(done)).reduce((x, y) => x + y, 0);
        return { value: N / ((now() - t) / 1000), ok: bad === 0, detail: bad ? `${bad} wrong` : undefined };
      },
      async close() { for (const c of conns) await c(); await release(); },
    };
  },
};

const blockingTopicCase = {
  name: 'nats-topic-block-1x3', unit: 'msg/s', metric: 'messages', threads: 1, better: 'higher', impls: ['wasm-ipc', 'nats.js', 'nats.js-ack-window'],
  async prepare(impl) {
    const s = await acquire();
    const N = 1000, capacity = 1024;
    const conns = [];
    let publish, receivers;   // receivers: one () => Promise<Uint8Array> per subscriber
    if (impl === 'wasm-ipc') {
      const rts = await Promise.all([0, 1, 2, 3].map(() => Runtime.create({ size: 1 << 20 })));
      const bridges = [];
      for (const rt of rts) bridges.push(await Bridge.connect(rt, { servers: s.url }));
      conns.push(...bridges.map((b) => () => b.close()), () => { for (const rt of rts) rt.close(); });
      const subs = [];
      for (const b of bridges.slice(1)) subs.push(await b.topic('bench-btopic', { policy: 'block', capacity }).subscribe());
      const topic = bridges[0].topic('bench-btopic', { policy: 'block', capacity });
      publish = (u8) => topic.publishAsync(u8);
      receivers = subs.map((sub) => async () => (await sub.receiveAsync()).value);
    } else {
      const a = await connect({ servers: s.url });
      conns.push(() => a.close());
      const jsm = await jetstreamManager(a);
      const stream = `bench_raw_btopic_${impl === 'nats.js' ? 'o' : 'w'}`, subject = `raw.${stream}`;   // a stream per impl: one server for both
      await jsm.streams.add({ name: stream, subjects: [`${subject}.*`], retention: RetentionPolicy.Interest, discard: DiscardPolicy.New, max_msgs: capacity, storage: StorageType.File });
      receivers = [];
      for (let k = 0; k < 3; k++) {
        const b = await connect({ servers: s.url });
        conns.push(() => b.close());
        const inOrder = impl === 'nats.js';   // the bridge's consumer: one message out at a time
        await jsm.consumers.add(stream, { durable_name: `s${k}`, ack_policy: AckPolicy.Explicit, deliver_policy: 'new', filter_subject: `${subject}.*`, ack_wait: 30e9, ...(inOrder ? { max_ack_pending: 1 } : {}) });
        const consumer = await jetstream(b).consumers.get(stream, `s${k}`);
        if (inOrder) {
          // one pull per message (a pull for more than max_ack_pending is refused)
          receivers.push(async () => { for (;;) { const m = await consumer.next({ expires: 1000 }); if (m) { await m.ackAck(); return m.data; } } });
        } else {
          const messages = await consumer.consume({ max_messages: 16 });
          conns.unshift(() => messages.stop());
          const iter = messages[Symbol.asyncIterator]();
          receivers.push(async () => { const { value: m } = await iter.next(); await m.ackAck(); return m.data; });
        }
      }
      const js = jetstream(a);
      let n = 0;
      publish = (u8) => js.publish(`${subject}.0`, u8, { msgID: `r${++n}` });
    }
    return {
      async rep() {
        const base = ++reps * 1_000_000;
        const t = now();
        const done = receivers.map(async (recv) => {
          let bad = 0;
          for (let i = 0; i < N; i++) if (u32(await recv(), 0) !== base + i) bad++;
          return bad;
        });
        for (let i = 0; i < N; i++) { const u8 = new Uint8Array(16); put(u8, base + i); await publish(u8); }
        const bad = (await Promise.all(done)).reduce((x, y) => x + y, 0);
        return { value: N / ((now() - t) / 1000), ok: bad === 0, detail: bad ? `${bad} wrong` : undefined };
      },
      async close() { for (const c of conns) await c(); await release(); },
    };
  },
};

export const cases = [channelCase(16, '16B'), channelCase(1024, '1KiB'), channelCase(16, '16B', true), rpcCase('nats-rpc-rtt', false), rpcCase('nats-rpc-local-rtt', true), topicCase, blockingTopicCase];
export const roles = {};
