// The Promela models of the blocking protocols (models/*.pml), checked with SPIN: one test
// per model, each running every `// run:` of the model's header through models/check.mjs
// (spin -a, gcc, ./pan). A plain run must end with `errors: 0`; a run marked expect=error
// reproduces a known protocol bug, expect=reach a witness state, and must find it.
import { describe, it, expect } from 'vitest';
import { basename } from 'node:path';
import { listModels, checkModel, spinAvailable, formatRun } from '../models/check.mjs';

const spinInstalled = spinAvailable();
const SPIN_MISSING = 'the SPIN model checker is not installed: apt-get install spin (and gcc)';

describe('Promela models (SPIN)', () => {
  const files = listModels();

  it('finds the models', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  for (const file of files) {
    it(basename(file, '.pml'), async () => {
      expect(spinInstalled, SPIN_MISSING).toBe(true);
      const results = await checkModel(file, { jobs: 2 });
      const report = results.map((r) => formatRun(r) + (r.ok ? '' : `\n${r.message}\n${r.trail}`)).join('\n');
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) {
        expect(r.complete, `incomplete search\n${report}`).toBe(true);
        if (r.expectError || r.expectReach) expect(r.errors, `${r.label}: ${r.message}\n${report}`).toBeGreaterThan(0);
        else expect(r.errors, `${r.label}: SPIN found an error\n${report}`).toBe(0);
        expect(r.ok, report).toBe(true);
      }
    }, 120_000);
  }
});
