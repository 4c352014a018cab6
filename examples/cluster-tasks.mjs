// The tasks of examples/cluster.mjs's bridged pool, run in the worker processes' threads.
export const isPrime = (n) => { if (n < 2) return false; for (let d = 2; d * d <= n; d++) if (n % d === 0) return false; return true; };
