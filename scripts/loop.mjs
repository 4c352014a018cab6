// Run one test (or file) many times in a row under load, counting failures: the check for
// flaky concurrency tests. Extra busy processes oversubscribe the 2 cores meanwhile.
//   node scripts/loop.mjs --runs 200 --busy 8 test/port.test.ts -t "the server killed"
import { spawn, spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const take = (flag, dflt) => {
  const i = args.indexOf(flag);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return Number(v);
};
const runs = take('--runs', 50);
const busy = take('--busy', 8);
const hogs = Array.from({ length: busy }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stop = () => { for (const h of hogs) h.kill('SIGKILL'); };
process.on('exit', stop);

let failed = 0, passedTests = 0;
const t0 = Date.now();
for (let i = 1; i <= runs; i++) {
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=dot', ...args],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const m = /Tests\s+(?:(\d+) failed \| )?(\d+) passed/.exec(r.stdout);
  if (m) passedTests += Number(m[2]);
  if (r.status !== 0 || !m || m[1]) {
    failed++;
    console.log(`run ${i}: FAILED\n${(r.stdout + r.stderr).split('\n').filter((l) => /FAIL|Error|expected|×/.test(l)).slice(0, 20).join('\n')}`);
  }
  if (i % 10 === 0) console.log(`${i}/${runs} runs, ${failed} failed, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(`${runs} runs of ${args.join(' ')} with ${busy} busy processes: ${failed} failed (${passedTests} test passes)`);
stop();
process.exit(failed ? 1 : 0);
