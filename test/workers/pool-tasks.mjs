// Tasks for pool.test.ts (the pool's module: every export is a task).
import { taskSignal } from '../../dist/node/index.js';

const news = new BroadcastChannel('pool-test');   // tasks tell the test what they saw
export const add = (a, b) => a + b;
export const echo = (x) => x;
export function spin(ms) { const t = performance.now(); while (performance.now() - t < ms); return ms; }
export function mark(tag) { news.postMessage(tag); return tag; }
export function boom() { const e = new RangeError('boom'); e.detail = 7; throw e; }
export function crash() { process.exit(3); }
export function fn() { return () => 1; }
export async function sleep(ms) {
  const signal = taskSignal();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(ms), ms);
    signal.addEventListener('abort', () => { clearTimeout(t); news.postMessage(`aborted:${signal.reason?.name}`); reject(signal.reason); });
  });
}
