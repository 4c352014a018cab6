// The synckit worker of rpc-sync-rtt (bench/cases/rpc.mjs): createSyncFn() in the caller starts
// this file in a worker of its own. add(a, b) returns a + b and counts the call and the sum of
// its `a`s; called as ('stats') it returns { count, sum } since the last 'stats' and resets them.
import { runAsWorker } from 'synckit';

let count = 0, sum = 0;
runAsWorker(async (a, b) => {
  if (a === 'stats') {
    const s = { count, sum };
    count = 0; sum = 0;
    return s;
  }
  count++;
  sum += a;
  return a + b;
});
