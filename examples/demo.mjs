// npm start: a frame pipeline through wasm-ipc, then the same pipeline over postMessage.
//
//   producer ──frame pool──▶ N transform workers ──channel "done"──▶ consumer (main thread)
//
// The producer writes each 64 KiB frame in place in a FramePool slot; a transform worker
// takes the next frame, transforms it in place (no copy), checksums it, sends a small record
// on the "done" channel, and releases the slot. Main shows live counters and an ipcs-style
// table while it runs, and compares with postMessage (transferring ArrayBuffers) at the end.
// `npm start -- --view` also serves the live IPC view (a page on 127.0.0.1) and runs 10x longer.
import { isMainThread, Worker, MessageChannel, parentPort, workerData } from 'node:worker_threads';
import { Runtime, serveView } from 'wasm-ipc';

const VIEW = process.argv.includes('--view');
const FRAMES = VIEW ? 200_000 : 20_000, SIZE = 64 << 10, TRANSFORMS = 3;
const checksum = (u32) => { let s = 0; for (let i = 0; i < u32.length; i += 61) s = (s + u32[i]) >>> 0; return s; };
const fill = (u32, n) => { for (let i = 0; i < u32.length; i += 61) u32[i] = n + i; };
const transform = (u32) => { for (let i = 0; i < u32.length; i += 61) u32[i] = ~u32[i] >>> 0; };
const expected = (n) => { let s = 0; for (let i = 0; i < SIZE / 4; i += 61) s = (s + (~(n + i) >>> 0)) >>> 0; return s; };

if (isMainThread && !workerData) {
  const rt = await Runtime.create({ size: 4 << 20, maxSize: 64 << 20 });
  rt.framePool('frames', { slots: 16, frameSize: SIZE });
  const done = rt.channel('done', { capacity: 1024, codec: 'msgpack' });
  const spawn = (role) => rt.spawn(new URL(import.meta.url), { data: { role } });
  const view = VIEW ? await serveView(rt) : undefined;
  if (view) console.log(`live IPC view: ${view.url}`);
  const t0 = performance.now();
  const workers = [spawn('producer'), ...Array.from({ length: TRANSFORMS }, () => spawn('transform'))];
  let got = 0, bad = 0;
  const perWorker = new Map();
  const tty = process.stdout.isTTY;
  let lastShow = 0;
  const show = (final) => {
    const rate = Math.round(got / ((performance.now() - t0) / 1000));
    const bar = '#'.repeat(Math.round((30 * got) / FRAMES)).padEnd(30, '.');
    const line = `[${bar}] ${got}/${FRAMES} frames, ${rate} frames/s, by worker ${[...perWorker.values()].join('/')}`;
    if (tty) process.stdout.write(`\r${line}${final ? '\n' : ''}`); else if (final) console.log(line);
  };
  for (let shown = 0; got < FRAMES; ) {
    const { n, sum, by } = done.tryRecv() ?? await done.recvAsync();   // drain, await only when empty
    if (sum !== expected(n)) bad++;
    perWorker.set(by, (perWorker.get(by) ?? 0) + 1);
    got++;
    if (performance.now() - lastShow > 200) { lastShow = performance.now(); show(false); }
    if (shown === 0 && got >= FRAMES / 2) {            // one ipcs snapshot mid-run
      shown = 1;
      if (tty) process.stdout.write('\n');
      console.table(rt.list().filter((o) => o.name).map(({ name, kind, state }) => ({ name, kind, ...state })));
    }
  }
  show(true);
  const ours = FRAMES / ((performance.now() - t0) / 1000);
  await Promise.all(workers.map((w) => w.terminate()));
  await view?.close();
  console.log(`wasm-ipc: ${FRAMES} frames of ${SIZE >> 10} KiB through ${TRANSFORMS} transform workers, ${bad} bad, ${Math.round(ours)} frames/s`);

  // the same pipeline over postMessage: producer → transforms (round robin) → main, transferring buffers
  const t1 = performance.now();
  const ts = Array.from({ length: TRANSFORMS }, () => new Worker(new URL(import.meta.url), { workerData: { role: 'pm-transform' } }));
  const prod = new Worker(new URL(import.meta.url), { workerData: { role: 'pm-producer' } });
  const ports = ts.map((t) => { const { port1, port2 } = new MessageChannel(); t.postMessage({ port: port2 }, [port2]); return port1; });
  prod.postMessage({ ports }, ports);
  let pmGot = 0, pmBad = 0;
  await new Promise((resolve) => ts.forEach((t) => t.on('message', ({ n, sum }) => {
    if (sum !== expected(n)) pmBad++;
    if (++pmGot === FRAMES) resolve();
  })));
  const theirs = FRAMES / ((performance.now() - t1) / 1000);
  await Promise.all([prod, ...ts].map((w) => w.terminate()));
  console.log(`postMessage (transfer): ${FRAMES} frames, ${pmBad} bad, ${Math.round(theirs)} frames/s`);
  console.log(`wasm-ipc is ${(ours / theirs).toFixed(1)}x postMessage on this pipeline`);
  rt.close();
} else if (workerData?.role === 'pm-producer') {
  parentPort.once('message', ({ ports }) => {
    for (let n = 0; n < FRAMES; n++) {
      const u = new Uint32Array(SIZE / 4);
      fill(u, n);
      ports[n % ports.length].postMessage({ n, buf: u.buffer }, [u.buffer]);
    }
  });
} else if (workerData?.role === 'pm-transform') {
  parentPort.once('message', ({ port }) => {
    port.on('message', ({ n, buf }) => { const u = new Uint32Array(buf); transform(u); parentPort.postMessage({ n, sum: checksum(u) }); });
  });
} else {
  const rt = await Runtime.attach();
  const pool = rt.framePool('frames');
  if (rt.data.role === 'producer') {
    for (let n = 0; n < FRAMES; n++) {
      const f = pool.acquire();
      fill(f.as(Uint32Array), n);                      // written in place
      pool.publish(f, n);
    }
  } else {
    const done = rt.channel('done', { codec: 'msgpack' });
    for (;;) {
      const f = pool.next();
      const u = f.as(Uint32Array);
      transform(u);                                     // in place: no copy
      done.send({ n: f.meta, sum: checksum(u), by: rt.threadId });
      pool.release(f);
    }
  }
}
