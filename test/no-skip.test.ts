// The suite never skips a test without failing: test/no-skip-reporter.ts (in vitest.config.ts)
// turns any skipped or todo test into a red run that names it. Checked here on a fixture.
import { it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';

it('a skipped test makes the run fail and is named', () => {
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '-c', 'test/fixtures/skip.config.mts'],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  expect(r.status, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toMatch(/1 passed/);
  expect(r.stderr).toMatch(/1 test\(s\) skipped/);
  expect(r.stderr).toMatch(/skipped\.fixture\.ts > is skipped/);
});
