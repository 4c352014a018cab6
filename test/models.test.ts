// The Promela models of the blocking protocols (models/*.pml), checked with SPIN: one test
// per model, each running every `// run:` of the model's header through models/check.mjs
// (spin -a, gcc, ./pan). A plain run must end with `errors: 0`; a run marked expect=error
// reproduces a known protocol bug, and one marked expect=reach a witness state: those must
// find it. All runs start at once, two at a time (the machine's cores); each test awaits
// its model's.
import { describe, it, expect } from 'vitest';
import { basename } from 'node:path';
import { listModels, checkModel, spinAvailable, formatRun, makeLimiter } from '../models/check.mjs';
import { missingMessage, NEEDS } from '../scripts/setup.mjs';

const SPIN_MISSING = `cannot run the model checks: ${missingMessage(NEEDS.filter((n) => n.pkg === 'spin' || n.pkg === 'gcc'))}`;
const spinInstalled = spinAvailable();
const files = listModels();
const limit = makeLimiter(2);
const checks = new Map(spinInstalled ? files.map((f) => [f, checkModel(f, { limit })] as const) : []);
for (const p of checks.values()) p.catch(() => {}); // reported by its own test

describe('Promela models (SPIN)', () => {
  it('finds the models', () => {
    expect(files.map((f) => basename(f, '.pml'))).toEqual(expect.arrayContaining(
      ['barrier', 'channel', 'condvar', 'mutex', 'peterson', 'rwlock', 'semaphore_fair', 'semaphore_weak', 'ticketlock']));
  });

  for (const file of files) {
    it(basename(file, '.pml'), async () => {
      expect(spinInstalled, SPIN_MISSING).toBe(true);
      const results = await checks.get(file)!;
      const report = results.map((r) => formatRun(r) + (r.ok ? '' : `\n${r.message}\n${r.trail}`)).join('\n');
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) {
        expect(r.complete, `${r.label}: incomplete search\n${report}`).toBe(true);
        if (r.expectError || r.expectReach) expect(r.errors, `${r.label}: ${r.message}\n${report}`).toBeGreaterThan(0);
        else expect(r.errors, `${r.label}: SPIN found an error\n${report}`).toBe(0);
        expect(r.ok, report).toBe(true);
      }
    }, 600_000); // generous: under a loaded CI machine the model runs queue behind the stress tests
  }
});
