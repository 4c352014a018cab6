// Tasks of the bridged pool tests (run in the worker threads of a serving process).
export const add = (a, b) => a + b;
export const slow = (ms, tag) => new Promise((r) => setTimeout(() => r({ tag, pid: process.pid }), ms));
export const fail = () => { throw new RangeError('no such thing'); };
