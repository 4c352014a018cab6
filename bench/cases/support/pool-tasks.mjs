// The tasks of the pool cases (bench/cases/pool.mjs), one module for every pool: wasm-ipc's
// WorkerPool calls an export with run()'s argument array spread, piscina and tinypool call the
// export named by `name` with run()'s one argument; here every task takes one number.

/** pool-noop: the argument back, nothing else. */
export const noop = (x) => x;

/** pool-cpu-1ms: busy-spin for 1 ms (a performance.now() loop), then the argument back. */
export const spin1ms = (x) => {
  const end = performance.now() + 1;
  while (performance.now() < end);
  return x;
};
