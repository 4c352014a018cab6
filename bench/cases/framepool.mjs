// Frame pools: handing large frames (video) from one worker thread to another.
//
//   frame-8MB       1 producer → 1 consumer (2 threads), 8 MiB frames. The figure is frames handed
//                   over per second. Only the hand-over is measured: the producer writes the frame
//                   counter into the first 4 and the last 4 bytes of each frame and nothing else (it
//                   does NOT fill the 8 MiB), and the consumer reads just those 8 bytes, so filling
//                   and reading a frame, equal for every impl, does not hide what moving it costs.
//     wasm-ipc:     main creates h.rt.framePool('bench-frames', { slots: 4, frameSize: 8 << 20 })
//                   (32 MiB of frames: the runtime's 16 MiB segment grows) before the workers start;
//                   both workers open it by name with rt.framePool('bench-frames'). Producer, per
//                   frame: f = pool.acquire() (blocking while all 4 slots are in use), the counter
//                   into f.bytes in place, pool.publish(f, counter) (the meta, JSON codec). Consumer,
//                   per frame: f = pool.next() (blocking while none is published), checks f.meta and
//                   the 8 bytes in place, pool.release(f). Nothing is copied or allocated but the meta.
//     postMessage-transfer: a MessageChannel between the two workers. The producer allocates a new
//                   8 MiB ArrayBuffer per frame (the last one was given away), writes the 8 bytes and
//                   posts a Uint8Array over it with its buffer in the transfer list.
//     postMessage-copy: the same MessageChannel; the producer posts the same 8 MiB Uint8Array each
//                   time, and structured clone copies all of it.
//                   Neither postMessage impl has back-pressure: the producer may queue all of its
//                   frames before the consumer catches up. The consumer's handler stays installed
//                   between repetitions, so a repetition's first frames that arrive before main's
//                   call that starts it still count for it.
//
// Frame i of repetition r carries the counter base + i (u32 at bytes 0 and frameSize - 4), with a
// fresh base per repetition, so a stale frame cannot pass. The consumer reports its count and
// the sum of the counters, and counts as bad a frame whose length is not 8 MiB, whose two
// counters differ or are not the one expected next (one producer, one consumer: frames arrive in
// publishing order), or (wasm-ipc) whose meta is not its counter. A repetition is ok only if the
// consumer got exactly n frames summing to n·base + n(n-1)/2 with nothing bad (and, wasm-ipc, all
// 4 slots acquirable again afterwards: none leaked). Time: from the producer's start to the
// consumer's end, both taken in the workers (performance.timeOrigin + performance.now()), so the
// harness's own messages that start the workers are not counted.
import { linkPair } from '../harness.mjs';
const FRAME = 8 << 20;
const SLOTS = 4;
const NAME = 'bench-frames';

// frames per repetition, chosen for ~100–400 ms a repetition on 2 cores (at least 10)
const N = { 'wasm-ipc': 200_000, 'postMessage-transfer': 300, 'postMessage-copy': 50 };

const now = () => performance.timeOrigin + performance.now();
const putU32 = (u8, at, v) => { u8[at] = v; u8[at + 1] = v >>> 8; u8[at + 2] = v >>> 16; u8[at + 3] = v >>> 24; };
const getU32 = (u8, at) => (u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24)) >>> 0;
/** Write the counter into a frame's first and last 4 bytes. */
const stamp = (u8, v) => { putU32(u8, 0, v); putU32(u8, u8.length - 4, v); };
/** A frame's counter, or -1 if it is not a whole 8 MiB frame with the same counter at both ends. */
const counterOf = (u8) => {
  if (u8?.length !== FRAME) return -1;
  const v = getU32(u8, 0);
  return getU32(u8, FRAME - 4) === v ? v : -1;
};

export const cases = [{
  name: 'frame-8MB', unit: 'frames/s', metric: 'frames', threads: 2, better: 'higher',
  impls: ['wasm-ipc', 'postMessage-transfer', 'postMessage-copy'],
  async prepare(impl, h) {
    // wasm-ipc: the pool exists before any worker opens it (and main keeps a handle until close)
    const pool = impl === 'wasm-ipc' ? h.rt.framePool(NAME, { slots: SLOTS, frameSize: FRAME }) : undefined;
    const prod = await h.workers(impl, 'produce', 1);
    const cons = await h.workers(impl, 'consume', 1);
    if (impl !== 'wasm-ipc') await linkPair(prod.workers[0], cons.workers[0]);
    const n = N[impl];
    let r = 0;
    return {
      async rep() {
        const base = (r++ + 1) * 1_000_000;
        const consumed = cons.call({ n, base });
        const [{ start }] = await prod.call({ n, base });
        const [got] = await consumed;
        const span = (got.end - start) / 1000;
        const wantSum = n * base + (n * (n - 1)) / 2;
        let ok = got.count === n && got.sum === wantSum && got.bad === 0;
        let detail = `count ${got.count}/${n}, sum ${got.sum}/${wantSum}, bad ${got.bad}`;
        if (pool) {
          // every slot free again: acquire all 4 without waiting, then give them back
          const held = [];
          for (let f; held.length < SLOTS && (f = pool.tryAcquire()); ) held.push(f);
          for (const f of held) pool.release(f);
          ok &&= held.length === SLOTS;
          detail += `, free slots after ${held.length}/${SLOTS}`;
        }
        return { value: n / span, ok, detail };
      },
      close: async () => { await Promise.all([prod.close(), cons.close()]); pool?.dispose(); },
    };
  },
}];

// ---- worker side ----

/**
 * A postMessage consumer: counts the frames arriving on its port until the repetition's n.
 * The handler stays installed between repetitions (see above).
 */
const portConsumer = () => {
  const fresh = () => ({ count: 0, sum: 0, bad: 0, end: 0, first: -1 });
  let acc = fresh(), want = -1, base = -1, done = null;
  const finish = () => {
    acc.end = now();
    if (acc.first !== base) acc.bad++; // the run did not start at this repetition's base
    const [d, a] = [done, acc];
    acc = fresh(); want = -1; base = -1; done = null;
    d({ count: a.count, sum: a.sum, bad: a.bad, end: a.end });
  };
  const onmessage = (e) => {
    const v = counterOf(e.data);
    if (acc.count === 0) acc.first = v;
    else if (v !== acc.first + acc.count) acc.bad++; // in order, each one whole
    if (v < 0) acc.bad++;
    else acc.sum += v;
    if (++acc.count === want) finish();
  };
  return (msg) => {
    if (msg.port) { msg.port.onmessage = onmessage; return 'ok'; }
    return new Promise((resolve) => {
      done = resolve;
      want = msg.n;
      base = msg.base;
      if (acc.count >= want) finish(); // all of it came before the call (then `end` is late)
    });
  };
};

/** A postMessage producer; makePost() gives post(port, v), which sends frame v. */
const portProducer = (makePost) => () => {
  const post = makePost();
  let port;
  return (msg) => {
    if (msg.port) { port = msg.port; return 'ok'; }
    const { n, base } = msg;
    const start = now();
    for (let i = 0; i < n; i++) post(port, base + i);
    return { start };
  };
};

export const roles = {
  'wasm-ipc': {
    produce: ({ rt }) => {
      const pool = rt.framePool(NAME);
      return ({ n, base }) => {
        const start = now();
        for (let i = 0; i < n; i++) {
          const f = pool.acquire();
          stamp(f.bytes, base + i);
          pool.publish(f, base + i);
        }
        return { start };
      };
    },
    consume: ({ rt }) => {
      const pool = rt.framePool(NAME);
      return ({ n, base }) => {
        let count = 0, sum = 0, bad = 0;
        for (let i = 0; i < n; i++) {
          const f = pool.next();
          const v = counterOf(f.bytes);
          if (v !== base + i || f.meta !== v) bad++;
          if (v >= 0) sum += v;
          pool.release(f);
          count++;
        }
        return { count, sum, bad, end: now() };
      };
    },
  },
  'postMessage-transfer': {
    produce: portProducer(() => (port, v) => {
      const u8 = new Uint8Array(FRAME); // a new buffer per frame: the last one was given away
      stamp(u8, v);
      port.postMessage(u8, [u8.buffer]);
    }),
    consume: portConsumer,
  },
  'postMessage-copy': {
    produce: portProducer(() => {
      const u8 = new Uint8Array(FRAME); // the producer's one frame, cloned by every post
      return (port, v) => { stamp(u8, v); port.postMessage(u8); };
    }),
    consume: portConsumer,
  },
};
