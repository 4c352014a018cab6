// Message queues: POSIX-style (mq_open / mq_send / mq_receive) throughput between worker threads.
//
//   mq-1x1          1 producer → 1 consumer (2 threads), 16-byte messages, one message per call.
//   mq-4x1          4 producers → 1 consumer (5 threads on 2 cores: contention on the send side).
//     wasm-ipc:     main creates h.rt.messageQueue('bench-mq', { maxMessages: 1024, maxMessageSize: 64 })
//                   (bytes codec) before the workers start; each worker opens it by name with
//                   rt.messageQueue('bench-mq'). A producer reuses one 16-byte Uint8Array and calls
//                   mq.send(u8, priority) with priority = counter & 7 (varying priorities, as mq users
//                   do; the queue then hands out the highest priority first, so the consumer does not
//                   see the messages in sending order). The consumer calls mq.receive() → { value,
//                   priority } (a fresh Uint8Array per message) until it has the repetition's total.
//                   A producer blocks in send() while the queue holds 1024 messages.
//     postMessage:  a MessageChannel from every producer to the consumer (mq-4x1: 4 channels into
//                   the one consumer); the same 16-byte Uint8Array posted per message (structured
//                   clone), the priority only carried in the bytes: delivery stays FIFO per channel.
//                   No back-pressure: a producer may queue all of its messages before the consumer
//                   catches up.
//
// Every message carries a counter (u32 at byte 0) and its priority (byte 4 = counter & 7); a
// producer sends base .. base + n - 1. The consumer reports count and sum of the counters, and
// counts as bad a message whose length is not 16, whose byte 4 is not counter & 7, or (wasm-ipc)
// whose received priority is not byte 4. A repetition is ok only if count and sum equal the
// expected totals and nothing was bad. Time: from the earliest producer start to the consumer's
// end, both taken in the workers (performance.timeOrigin + performance.now()), so the harness's
// own messages that start the workers are not counted.
import { wire } from '../harness.mjs';
import { portConsumer, now, putU32, getU32 } from './support/flow.mjs';
const SIZE = 16;
const NAME = 'bench-mq';

// messages per repetition (per producer), chosen for ~100–400 ms a repetition on 2 cores
const N = {
  'mq-1x1': { 'wasm-ipc': 400_000, postMessage: 150_000 },
  'mq-4x1': { 'wasm-ipc': 75_000, postMessage: 40_000 },
};

/** A message's own consistency: 16 bytes, byte 4 is counter & 7. */
const wellFormed = (u8) => u8.length === SIZE && u8[4] === (getU32(u8, 0) & 7);

/** A throughput case: `producers` workers → 1 consumer worker, roles[impl]['produce' / 'consume']. */
function mqCase({ name, threads, producers }) {
  return {
    name, unit: 'msg/s', metric: 'messages', threads, better: 'higher', impls: ['wasm-ipc', 'postMessage'],
    async prepare(impl, h) {
      // wasm-ipc: the queue exists before any worker opens it (and main keeps a handle until close)
      const mq = impl === 'wasm-ipc' ? h.rt.messageQueue(NAME, { maxMessages: 1024, maxMessageSize: 64 }) : undefined;
      const prod = await h.workers(impl, 'produce', producers);
      const cons = await h.workers(impl, 'consume', 1);
      if (impl === 'postMessage') await wire(prod, cons);
      const n = N[name][impl];
      return {
        async rep() {
          const total = n * producers;
          const consumed = cons.call([{ total, consumers: 1 }]);
          const produced = await prod.call(Array.from({ length: producers }, (_, p) => ({ n, base: p * n })));
          const [got] = await consumed;
          const span = (got.end - Math.min(...produced.map((p) => p.start))) / 1000;
          const wantSum = (total * (total - 1)) / 2;
          const ok = got.count === total && got.sum === wantSum && got.bad === 0;
          const left = mq ? mq.attributes().curMessages : 0;
          return {
            value: total / span,
            ok: ok && left === 0,
            detail: `count ${got.count}/${total}, sum ${got.sum}/${wantSum}, bad ${got.bad}${mq ? `, left in queue ${left}` : ''}`,
          };
        },
        close: () => mq?.dispose(),
      };
    },
  };
}

export const cases = [
  mqCase({ name: 'mq-1x1', threads: 2, producers: 1 }),
  mqCase({ name: 'mq-4x1', threads: 5, producers: 4 }),
];

// ---- worker side ----

export const roles = {
  'wasm-ipc': {
    produce: ({ rt }) => {
      const mq = rt.messageQueue(NAME);
      const buf = new Uint8Array(SIZE);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i++) {
          const v = base + i;
          putU32(buf, 0, v);
          buf[4] = v & 7;
          mq.send(buf, v & 7);
        }
        return { start };
      };
    },
    consume: ({ rt }) => {
      const mq = rt.messageQueue(NAME);
      return ({ total }) => {
        let count = 0, sum = 0, bad = 0;
        while (count < total) {
          const { value, priority } = mq.receive();
          sum += getU32(value, 0);
          if (!wellFormed(value) || priority !== value[4]) bad++;
          count++;
        }
        return { count, sum, bad, end: now() };
      };
    },
  },
  postMessage: {
    produce: () => {
      let port;
      const buf = new Uint8Array(SIZE);
      return (msg) => {
        if (msg.ports) { [port] = msg.ports; return 'ok'; }
        const { n, base } = msg;
        const start = now();
        for (let i = 0; i < n; i++) {
          const v = base + i;
          putU32(buf, 0, v);
          buf[4] = v & 7;
          port.postMessage(buf);
        }
        return { start };
      };
    },
    // (portConsumer: its handler stays installed between repetitions)
    consume: portConsumer((d, acc) => { acc.sum += getU32(d, 0); if (!wellFormed(d)) acc.bad++; }),
  },
};
