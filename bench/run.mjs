// npm run bench [-- [--json] [--reps N] [CASE ...]]
// Runs every case (or those named), ours and the peers in the same run, and prints a table
// of medians, their spread (min–max of the runs) and of how many times better ours is. Every run writes bench/results/report.md and
// one CASE.svg chart per case run; --json also writes bench/results/latest.json.
// Each case runs in a process of its own (forked with --case-child): the heap, the threads
// and the JIT state a case leaves behind must not weigh on the next (the NATS topic case lost
// a fifth of its rate after the others had run in the same process).
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import os from 'node:os';
import { runCase, advantage } from './harness.mjs';
import { writeReport, fmt } from './report.mjs';

const args = process.argv.slice(2);
const json = args.includes('--json');
const repsAt = args.indexOf('--reps');
const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 5;
const childAt = args.indexOf('--case-child');
const wanted = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--reps' && args[i - 1] !== '--case-child');

const dir = new URL('./cases/', import.meta.url);
const all = [];
for (const f of readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()) {
  const file = new URL(f, dir);
  for (const c of (await import(file)).cases) all.push({ c, file });
}
const unknown = wanted.filter((w) => !all.some(({ c }) => c.name === w));
if (unknown.length) {
  console.error(`unknown case(s): ${unknown.join(', ')}\nknown: ${all.map(({ c }) => c.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length ? all.filter(({ c }) => wanted.includes(c.name)) : all;

if (childAt >= 0) {                      // one case, its rows to the parent
  const { c, file } = all.find(({ c }) => c.name === args[childAt + 1]);
  process.send(await runCase(c, file, { reps }), () => process.exit(0));
} else {
  console.log(`wasm-ipc bench: ${os.cpus().length} cores, Node ${process.version}, ${reps} reps per impl (median shown)\n`);
  const widths = [26, 21, 8, 12, 22, 8, 18];
  const line = (cells) => cells.map((c, i) => (i === 3 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' ');
  console.log(line(['case', 'impl', 'threads', 'median', 'min–max', 'unit', 'ours vs this']) + '\n' + '-'.repeat(116));
  const rows = [];
  const problems = [];
  /** Run case `c` in a fresh process: its rows and problems (a crash is a problem). */
  const inChild = (c) => new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--case-child', c.name, '--reps', String(reps)], { execArgv: process.execArgv });
    let res;
    child.once('message', (m) => { res = m; });
    child.once('exit', (code) => resolve(res ?? { rows: [], problems: [`${c.name}: its process exited with ${code} before reporting`] }));
  });
  for (const { c } of selected) {
    const res = await inChild(c);
    rows.push(...res.rows);
    problems.push(...res.problems);
    const ours = res.rows.find((r) => r.impl === 'wasm-ipc');
    for (const r of res.rows) {
      const adv = r.impl === 'wasm-ipc' || !ours ? '' : `${advantage(c, ours.median, r.median).toFixed(2)}x ${c.better === 'lower' ? 'faster' : 'more'}`;
      console.log(line([r.case, r.impl, String(r.threads), fmt(r.median), `${fmt(r.min)}–${fmt(r.max)}`, r.unit, adv]));
    }
  }
  if (problems.length) console.log(`\nCHECK FAILURES (figures above are not trustworthy):\n  ${problems.join('\n  ')}`);
  const results = new URL('./results/', import.meta.url);
  mkdirSync(results, { recursive: true });
  if (json) {
    writeFileSync(new URL('./latest.json', results), JSON.stringify(rows, null, 2) + '\n');
    console.log('\nwrote bench/results/latest.json');
  }
  const report = writeReport(rows, selected.map(({ c }) => c), fileURLToPath(results), {
    cores: os.cpus().length, cpu: os.cpus()[0]?.model?.trim(), platform: `${os.platform()} ${os.arch()}`,
    node: process.version, reps, date: new Date().toISOString(), problems,
  });
  console.log(`${json ? '' : '\n'}wrote ${relative(process.cwd(), report)} (and one SVG chart per case)`);
}
