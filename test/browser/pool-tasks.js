// Tasks for the browser pool test (every export is a task).
export const add = (a, b) => a + b;
export function spin(ms) { const t = performance.now(); while (performance.now() - t < ms); return ms; }
export function boom() { throw new RangeError('boom in a Web Worker'); }
