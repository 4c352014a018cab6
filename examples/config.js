// node examples/config.js — a configuration published as a Snapshot: one writer publishes
// new versions; many readers read the current one wait-free, never a half-written one.
import { isMainThread } from 'node:worker_threads';
import { Runtime } from 'wasm-ipc';

const READERS = 4;

if (isMainThread) {
  const rt = await Runtime.create();
  const config = rt.snapshot('config');
  config.publish({ version: 1, theme: 'light', limits: { rps: 100, burst: 10 } });
  const readers = Array.from({ length: READERS }, () => rt.spawn(new URL(import.meta.url)));
  for (let v = 2; v <= 200; v++) {
    config.publish({ version: v, theme: v % 2 ? 'light' : 'dark', limits: { rps: v * 100, burst: v * 10 } });
    await new Promise((r) => setTimeout(r, 1));
  }
  config.publish({ version: 'stop' });
  const reports = await Promise.all(readers.map((w) => new Promise((r) => w.once('message', r))));
  const torn = reports.reduce((n, r) => n + r.torn, 0);
  console.log(`${READERS} readers made ${reports.reduce((n, r) => n + r.reads, 0)} lock-free reads; inconsistent versions seen: ${torn}`);
} else {
  const { parentPort } = await import('node:worker_threads');
  const rt = await Runtime.attach();
  const config = rt.snapshot('config');
  let reads = 0, torn = 0;
  for (;;) {
    const { value } = config.read();                   // wait-free: the whole current version
    reads++;
    if (value.version === 'stop') break;
    // a version is consistent when all of its fields belong to it
    if (value.version > 1 && (value.limits.rps !== value.version * 100 || value.limits.burst !== value.version * 10)) torn++;
  }
  parentPort.postMessage({ reads, torn });
}
