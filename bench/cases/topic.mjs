// Topics: publish/subscribe fan-out between worker threads.
//
//   topic-1x3       1 publisher → 3 subscribers (4 threads on 2 cores), 16-byte messages, one message
//                   per call; every subscriber receives every message. The figure is messages
//                   published per second: n / span, where span runs from the publisher's start to
//                   the last subscriber's end (each message is delivered 3 times in that span).
//     wasm-ipc:     main creates h.rt.topic('bench-topic', { capacity: 4096, maxMessageSize: 16 })
//                   (policy 'block', bytes codec) before the workers start. Each subscriber worker
//                   opens it by name with rt.topic('bench-topic') and calls topic.subscribe() ONCE
//                   when it starts (a subscription only sees messages published after subscribe(),
//                   and belongs to the thread that subscribed); the publisher worker is started only
//                   after the 3 subscribers reported ready. Per repetition the publisher calls
//                   topic.publish(u8) n times with one reused 16-byte Uint8Array (blocking while
//                   the slowest subscriber is 4096 messages behind), and each subscriber calls
//                   sub.receive() → { value, key, lost } (a fresh Uint8Array per message) until it
//                   has n messages.
//     BroadcastChannel: Node's global BroadcastChannel; each of the 4 workers creates its own
//                   new BroadcastChannel('bench-topic-bc') when it starts (the subscribers before
//                   the publisher exists). The publisher posts the same 16-byte Uint8Array n times
//                   (structured clone to each of the 3 subscribers); a subscriber counts in its
//                   'message' handler. No back-pressure: the publisher may queue all of its
//                   messages before the subscribers catch up. The handler stays installed between
//                   repetitions, so a repetition's first messages that arrive before main's call
//                   that starts it still count for it.
//
// Every message carries a counter (u32 at byte 0): repetition r publishes base .. base + n - 1
// with a fresh base per repetition, so a stale message cannot pass. Each subscriber reports its
// count and the sum of the counters, and counts as bad a message whose length is not 16, whose
// counter is not the one expected next (delivery is in publishing order for both impls), or
// (wasm-ipc) whose key is not 0 or that reports lost messages. A repetition is ok only if each
// of the 3 subscribers got exactly n messages summing to n·base + n(n-1)/2 with nothing bad.
// Time: taken in the workers (performance.timeOrigin + performance.now()), so the harness's own
// messages that start the workers are not counted.
const SIZE = 16;
const NAME = 'bench-topic';
const BC_NAME = 'bench-topic-bc';
const SUBSCRIBERS = 3;

// messages per repetition, chosen for ~100–400 ms a repetition on 2 cores
const N = { 'wasm-ipc': 600_000, BroadcastChannel: 100_000 };

const now = () => performance.timeOrigin + performance.now();
const putU32 = (u8, at, v) => { u8[at] = v; u8[at + 1] = v >>> 8; u8[at + 2] = v >>> 16; u8[at + 3] = v >>> 24; };
const getU32 = (u8, at) => (u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24)) >>> 0;

export const cases = [{
  name: 'topic-1x3', unit: 'msg/s', metric: 'messages', threads: 1 + SUBSCRIBERS, better: 'higher',
  impls: ['wasm-ipc', 'BroadcastChannel'],
  async prepare(impl, h) {
    // wasm-ipc: the topic exists before any worker opens it (and main keeps a handle until close)
    const topic = impl === 'wasm-ipc' ? h.rt.topic(NAME, { capacity: 4096, maxMessageSize: SIZE }) : undefined;
    // the subscribers first: they subscribe (or join the BroadcastChannel) before anyone publishes
    const subs = await h.workers(impl, 'subscribe', SUBSCRIBERS);
    const pub = await h.workers(impl, 'publish', 1);
    const n = N[impl];
    let r = 0;
    return {
      async rep() {
        const base = (r++ + 1) * 1_000_000;
        const received = subs.call({ n, base });
        const [{ start }] = await pub.call({ n, base });
        const got = await received;
        const span = (Math.max(...got.map((s) => s.end)) - start) / 1000;
        const wantSum = n * base + (n * (n - 1)) / 2;
        const ok = got.every((s) => s.count === n && s.sum === wantSum && s.bad === 0);
        return {
          value: n / span, ok,
          detail: `per subscriber count ${got.map((s) => s.count).join('/')} of ${n}, sum ${got.map((s) => s.sum).join('/')} of ${wantSum}, bad ${got.map((s) => s.bad).join('/')}`,
        };
      },
      close: async () => { await Promise.all([subs.close(), pub.close()]); topic?.dispose(); },
    };
  },
}];

// ---- worker side ----

export const roles = {
  'wasm-ipc': {
    subscribe: ({ rt }) => {
      const topic = rt.topic(NAME);
      const sub = topic.subscribe(); // once, before the publisher starts
      return ({ n, base }) => {
        let count = 0, sum = 0, bad = 0;
        for (let i = 0; i < n; i++) {
          const { value, key, lost } = sub.receive();
          const v = getU32(value, 0);
          sum += v;
          if (value.length !== SIZE || v !== base + i || key !== 0 || lost !== 0) bad++;
          count++;
        }
        return { count, sum, bad, end: now() };
      };
    },
    publish: ({ rt }) => {
      const topic = rt.topic(NAME);
      const buf = new Uint8Array(SIZE);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i++) { putU32(buf, 0, base + i); topic.publish(buf); }
        return { start };
      };
    },
  },
  BroadcastChannel: {
    subscribe: () => {
      const bc = new BroadcastChannel(BC_NAME);
      const fresh = () => ({ count: 0, sum: 0, bad: 0, end: 0, first: -1 });
      let acc = fresh(), want = -1, base = -1, done = null;
      const finish = () => {
        acc.end = now();
        if (acc.first !== base) acc.bad++; // the run did not start at this repetition's base
        const [d, a] = [done, acc];
        acc = fresh(); want = -1; base = -1; done = null;
        d({ count: a.count, sum: a.sum, bad: a.bad, end: a.end });
      };
      bc.onmessage = (e) => {
        const d = e.data;
        const v = getU32(d, 0);
        // in order: each counter follows the first one of the repetition
        if (acc.count === 0) acc.first = v;
        else if (v !== acc.first + acc.count) acc.bad++;
        if (!(d instanceof Uint8Array) || d.length !== SIZE) acc.bad++;
        acc.sum += v;
        if (++acc.count === want) finish();
      };
      return (msg) => new Promise((resolve) => {
        done = resolve;
        want = msg.n;
        base = msg.base;
        if (acc.count >= want) finish(); // all of it came before the call (then `end` is late)
      });
    },
    publish: () => {
      const bc = new BroadcastChannel(BC_NAME);
      const buf = new Uint8Array(SIZE);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i++) { putU32(buf, 0, base + i); bc.postMessage(buf); }
        return { start };
      };
    },
  },
};
