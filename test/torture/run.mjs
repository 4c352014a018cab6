// npm run torture: the seeded fault-injection runs (harness.mjs).
//   npm run torture                       1000 runs, seeds 1..1000
//   npm run torture -- --seed 42          one run, reported in full (reproduce a failing seed)
//   npm run torture -- --runs 200 --from 5000 --workload channel --scale 0.5 --deadline 20000 --verbose
// Runs go in batches, each batch in a child process (--batch runs, default 100): a crash of the
// process itself is reported with the seed it was running, and the rest go on. Exits non-zero
// on any violation or crash.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runSeed, summarize, plan, WORKLOADS, LIB } from './harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i < 0 ? dflt : args[i + 1]; };
const seedArg = opt('seed');
const runs = Number(opt('runs', 1000));
const from = Number(opt('from', 1));
const scale = Number(opt('scale', 1));
const deadlineMs = Number(opt('deadline', 20_000));
const batch = Number(opt('batch', 100));
const only = opt('workload');
const verbose = args.includes('--verbose');
if (only !== undefined && !WORKLOADS.includes(only)) { console.error(`--workload must be one of ${WORKLOADS.join(', ')}`); process.exit(2); }

const show = (r) => {
  const { roles, kills, ...rest } = r.plan;
  console.log(`seed ${r.seed}: ${r.workload}, ${Math.round(r.ms)} ms`);
  console.log('  plan:', JSON.stringify(rest));
  roles.forEach((x, i) => console.log(`  worker ${i}: ${x.role} ${JSON.stringify(x.data)}`));
  console.log('  kill plan:', JSON.stringify(kills));
  for (const k of r.kills) console.log(`  killed ${k.role}#${k.index} at ${k.at.toFixed(1)} ms in ${k.phase}${k.effective ? '' : ' (already done)'}${k.inflight ? `, holding up to ${k.inflight}` : ''}`);
  for (const v of r.violations) console.log(`  VIOLATION: ${v}`);
};

// ---- a child: run the seeds given, one line per run on stdout ----
if (args.includes('--child')) {
  for (const seed of opt('seeds').split(',').map(Number)) {
    process.stdout.write(`START ${seed}\n`);
    const r = await runSeed(seed, { scale, deadlineMs });
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  }
  process.exit(0);
}

/** Run seeds in a child process: their results, and the crash that ended it early, if any. */
function child(seeds, onResult) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', '--seeds', seeds.join(','), '--scale', String(scale), '--deadline', String(deadlineMs)], {
      env: { ...process.env, TORTURE_LIB: LIB }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let running;
    let buf = '';
    p.stdout.on('data', (chunk) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('START ')) running = Number(line.slice(6));
        else if (line.startsWith('RESULT ')) { onResult(JSON.parse(line.slice(7))); running = undefined; }
        else if (line) console.log(line);
      }
    });
    p.on('exit', (code, signal) => resolve(code === 0 && running === undefined ? undefined : { seed: running, how: signal ?? `exit code ${code}` }));
  });
}

const t0 = performance.now();
const results = [];
const crashes = [];
if (seedArg !== undefined) {
  const r = await runSeed(Number(seedArg), { scale, deadlineMs });
  results.push(r);
  show(r);
} else {
  const seeds = [];
  for (let seed = from; seeds.length < runs; seed++) if (!only || plan(seed, scale).workload === only) seeds.push(seed);
  const onResult = (r) => {
    results.push(r);
    if (verbose) console.log(`seed ${r.seed}: ${r.workload}, ${Math.round(r.ms)} ms, ${r.kills.length} kills, ${r.violations.length} violations`);
    if (r.violations.length) show(r);
    if (results.length % 50 === 0) {
      const s = summarize(results);
      console.log(`${s.runs} runs, ${s.effectiveKills} kills, ${s.violations} violations, ${crashes.length} crashes (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  for (let i = 0; i < seeds.length;) {
    const part = seeds.slice(i, i + batch);
    const crash = await child(part, onResult);
    if (!crash) { i += part.length; continue; }
    crashes.push(crash);
    console.log(`CRASH: the process running seed ${crash.seed} died (${crash.how})`);
    i = crash.seed === undefined ? i + part.length : seeds.indexOf(crash.seed) + 1;
  }
}
const s = summarize(results);
const wall = (performance.now() - t0) / 1000;
console.log('\nby workload:');
for (const [w, b] of Object.entries(s.byWorkload)) console.log(`  ${w.padEnd(10)} ${String(b.runs).padStart(5)} runs ${String(b.kills).padStart(5)} kills ${String(b.violations).padStart(4)} violations`);
console.log('kill points (role:phase when killed):');
for (const [k, n] of Object.entries(s.byPhase).sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(22)} ${n}`);
console.log(`\nruns: ${s.runs}, kills: ${s.effectiveKills} (${s.kills - s.effectiveKills} more landed after the victim finished), violations: ${s.violations}, crashes: ${crashes.length}, wall time: ${wall.toFixed(1)} s`);
const failing = [...s.failing, ...crashes.map((c) => c.seed).filter((x) => x !== undefined)];
if (failing.length) {
  console.log(`failing seeds: ${s.failing.join(' ') || '-'}${crashes.length ? `; crashed: ${crashes.map((c) => `${c.seed} (${c.how})`).join(' ')}` : ''}`);
  console.log(`reproduce one: npm run torture -- --seed ${failing[0]}${scale !== 1 ? ` --scale ${scale}` : ''}`);
}
process.exit(s.violations || crashes.length ? 1 : 0);
