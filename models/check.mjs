#!/usr/bin/env node
// Model-check the Promela models of the blocking protocols (models/*.pml) with SPIN.
//
//   node models/check.mjs [--mutants] [--trails] [--jobs N] [name ...]
//
// For every model (or the ones named): spin -a, gcc -O2 pan.c, ./pan, in a temporary
// directory, once per `// run:` line of the model's header:
//
//   // run: <label> [spin=<flag>]... [cc=<flag>]... [pan=<flag>]... [expect=error|reach]
//
// spin= flags go to `spin -a` (e.g. -DNAME for the model's #ifdefs), cc= to gcc (e.g.
// -DSAFETY), pan= to ./pan (e.g. -a for acceptance cycles / ltl). A model without run
// lines gets one run with cc=-DSAFETY. A run passes when pan completes its search and says
// `errors: 0`. Two kinds of runs pass on an error instead: expect=error reproduces a known
// protocol bug (it fails once the bug is gone, so that the model header gets updated), and
// expect=reach is a witness: an assert(false) that pan must reach, showing that a case the
// model is meant to cover does occur. On an unexpected error the trail is replayed with
// `spin -t -p` (--trails: for the known bugs and witnesses too).
//
//   // mutant: <NAME> <what the bug is>
//
// With --mutants, every mutant is checked too: its runs (the ones not marked expect=error)
// are repeated with spin=-D<NAME>, and at least one must find an error: each model is
// shown to be able to fail.
//
// Exits non-zero when a run fails (or spin/gcc are missing). No dependencies.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MODELS_DIR = dirname(fileURLToPath(import.meta.url));
const PAN_DEFAULT = ['-m20000']; // search depth limit (the models stay well below); hitting it fails the run

/** True when the spin binary can be run. */
export function spinAvailable() {
  const r = spawnSync('spin', ['-V'], { encoding: 'utf8' });
  return r.status === 0 && /Spin Version/.test(r.stdout);
}

/** The .pml files of models/ (absolute paths, sorted). */
export function listModels(dir = MODELS_DIR) {
  return readdirSync(dir).filter((f) => f.endsWith('.pml')).sort().map((f) => join(dir, f));
}

/**
 * The run and mutant lines of a model's header.
 * @returns {{ runs: {label: string, spin: string[], cc: string[], pan: string[], expectError: boolean,
 *             expectReach: boolean}[], mutants: {name: string, what: string}[] }}
 */
export function parseHeader(text) {
  const runs = [];
  const mutants = [];
  for (const line of text.split('\n')) {
    let m = /^\/\/\s*run:\s*(.*)$/.exec(line);
    if (m) {
      const [label, ...opts] = m[1].trim().split(/\s+/);
      const run = { label, spin: [], cc: [], pan: [], expectError: false, expectReach: false };
      for (const o of opts) {
        const eq = o.indexOf('=');
        const key = o.slice(0, eq), value = o.slice(eq + 1);
        if (key === 'spin' || key === 'cc' || key === 'pan') run[key].push(value);
        else if (key === 'expect' && value === 'error') run.expectError = true;
        else if (key === 'expect' && value === 'reach') run.expectReach = true;
        else throw new Error(`bad run option "${o}" in: ${line}`);
      }
      runs.push(run);
      continue;
    }
    m = /^\/\/\s*mutant:\s*(\S+)\s*(.*)$/.exec(line);
    if (m) mutants.push({ name: m[1], what: m[2] });
  }
  if (runs.length === 0) runs.push({ label: 'safety', spin: [], cc: ['-DSAFETY'], pan: [], expectError: false, expectReach: false });
  return { runs, mutants };
}

function exec(cmd, args, cwd) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => resolvePromise({ code: -1, out: out + String(e) }));
    child.on('close', (code) => resolvePromise({ code, out }));
  });
}

/** The lines of a `spin -t -p` replay that show an executed statement or the final state. */
function condenseTrail(text, max = 120) {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !/\[\(1\)\]|\[\.\(goto\)\]|\[(IF|DO)\]|\[else\]|\[skip\]/.test(l));
  return lines.length > max ? ['...', ...lines.slice(-max)].join('\n') : lines.join('\n');
}

/**
 * Verify one run of a model.
 * @returns {Promise<{model: string, label: string, expectError: boolean, expectReach: boolean, errors: number,
 *   states: number, seconds: number, complete: boolean, ok: boolean, message: string, output: string, trail: string}>}
 */
export async function checkRun(file, run, { extraSpin = [], keepTrail = !run.expectError && !run.expectReach } = {}) {
  const model = basename(file, '.pml');
  const dir = mkdtempSync(join(tmpdir(), `spin-${model}-`));
  const t0 = performance.now();
  const result = { model, label: run.label, expectError: run.expectError, expectReach: run.expectReach, errors: -1, states: 0, seconds: 0, complete: false, ok: false, message: '', output: '', trail: '' };
  try {
    copyFileSync(file, join(dir, basename(file)));
    const spinArgs = [...run.spin, ...extraSpin];
    let r = await exec('spin', [...spinArgs, '-a', basename(file)], dir);
    if (r.code !== 0 || !existsSync(join(dir, 'pan.c'))) { result.message = `spin -a failed:\n${r.out}`; return result; }
    r = await exec('gcc', ['-O2', '-w', ...run.cc, '-o', 'pan', 'pan.c'], dir);
    if (r.code !== 0) { result.message = `gcc failed:\n${r.out}`; return result; }
    const pan = await exec('./pan', [...PAN_DEFAULT, ...run.pan], dir);
    result.output = pan.out;
    const errors = /errors:\s*(\d+)/.exec(pan.out);
    const states = /(\d+)\s+states, stored/.exec(pan.out);
    result.errors = errors ? Number(errors[1]) : -1;
    result.states = states ? Number(states[1]) : 0;
    // An unfinished search proves nothing: depth limit hit, or out of memory.
    result.complete = errors !== null && !/max search depth too small|out of memory/i.test(pan.out);
    if (result.errors > 0 && keepTrail && existsSync(join(dir, `${basename(file)}.trail`))) {
      const t = await exec('spin', [...spinArgs, '-t', '-p', '-g', basename(file)], dir);
      result.trail = condenseTrail(t.out);
    }
    if (result.errors < 0) result.message = `pan did not report errors:\n${pan.out}`;
    else if (!result.complete && result.errors === 0) result.message = `incomplete search:\n${pan.out}`;
    else if (run.expectReach) {
      result.ok = result.errors > 0 && /assertion violated/.test(pan.out);
      result.message = result.ok ? 'witness reached' : 'the witness state was not reached: the model no longer covers that case';
    } else if (run.expectError) {
      result.ok = result.errors > 0;
      result.message = result.ok ? 'known bug reproduced' : 'expected the known bug, found none: fixed? update the model header';
    } else {
      result.ok = result.errors === 0;
      result.message = result.ok ? '' : (pan.out.split('\n').find((l) => /^pan:\d|violated|invalid end state|acceptance cycle|non-progress/.test(l)) ?? 'errors');
    }
    return result;
  } finally {
    result.seconds = (performance.now() - t0) / 1000;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A limiter: limit(fn) runs fn once fewer than `jobs` limited calls are in flight (FIFO). */
export function makeLimiter(jobs) {
  let active = 0;
  const queue = [];
  const next = () => {
    if (active >= jobs || queue.length === 0) return;
    active++;
    const { fn, resolve: res, reject } = queue.shift();
    fn().then(res, reject).finally(() => { active--; next(); });
  };
  return (fn) => new Promise((res, reject) => { queue.push({ fn, resolve: res, reject }); next(); });
}

/**
 * Verify every run of a model. `limit` (from makeLimiter) shares the cores between the
 * models checked at once; by default the runs of this model go one at a time.
 */
export function checkModel(file, { limit = makeLimiter(1), trails = false } = {}) {
  const { runs } = parseHeader(readFileSync(file, 'utf8'));
  return Promise.all(runs.map((run) => limit(() => checkRun(file, run, trails ? { keepTrail: true } : {}))));
}

/** Check that each mutant of a model makes at least one of its runs fail. */
export async function checkMutants(file) {
  const { runs, mutants } = parseHeader(readFileSync(file, 'utf8'));
  const out = [];
  for (const mutant of mutants) {
    let caught = null;
    const t0 = performance.now();
    for (const run of runs.filter((r) => !r.expectError && !r.expectReach)) {
      const r = await checkRun(file, run, { extraSpin: [`-D${mutant.name}`], keepTrail: false });
      if (r.errors > 0) { caught = r; break; }
    }
    out.push({ model: basename(file, '.pml'), mutant: mutant.name, what: mutant.what, caught: caught !== null,
      how: caught ? `${caught.label}: ${caught.message.replace(/^pan:\d+:\s*/, '').slice(0, 60)}` : 'no run found an error', seconds: (performance.now() - t0) / 1000 });
  }
  return out;
}

/** Run tasks with at most `jobs` in flight, keeping the order of the results. */
export async function pool(items, jobs, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, async () => {
    while (next < items.length) { const i = next++; results[i] = await fn(items[i], i); }
  }));
  return results;
}

export function formatRun(r) {
  const what = r.expectError || r.expectReach ? (r.ok ? r.message : `FAIL ${r.message}`) : r.ok ? 'ok' : `FAIL ${r.message}`;
  return `${`${r.model}/${r.label}`.padEnd(28)} errors: ${String(r.errors).padEnd(3)} ${String(r.states).padStart(10)} states ${r.seconds.toFixed(1).padStart(6)} s  ${what}`;
}

async function main(argv) {
  const mutants = argv.includes('--mutants');
  const trails = argv.includes('--trails');
  const ji = argv.indexOf('--jobs');
  const jobs = ji >= 0 ? Number(argv[ji + 1]) : 2;
  const names = argv.filter((a, i) => !a.startsWith('--') && !(ji >= 0 && i === ji + 1));
  if (!spinAvailable()) {
    console.error('spin not found: install it with `apt-get install spin`');
    return 2;
  }
  let files = listModels();
  if (names.length) files = files.filter((f) => names.includes(basename(f, '.pml')));
  const t0 = performance.now();
  let failed = 0;
  const limit = makeLimiter(jobs);
  const results = (await Promise.all(files.map((f) => checkModel(f, { limit, trails })))).flat();
  for (const r of results) {
    console.log(formatRun(r));
    if (!r.ok) failed++;
    if (r.trail && (!r.ok || trails)) console.log(`--- trail (spin -t -p) ---\n${r.trail}\n---`);
  }
  if (mutants) {
    const all = (await pool(files, jobs, (f) => checkMutants(f))).flat();
    for (const m of all) {
      console.log(`${`${m.model}/-D${m.mutant}`.padEnd(40)} ${m.caught ? 'caught' : 'NOT CAUGHT'} (${m.how}) ${m.seconds.toFixed(1)} s  — ${m.what}`);
      if (!m.caught) failed++;
    }
  }
  console.log(`${failed === 0 ? 'all passed' : `${failed} failed`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
