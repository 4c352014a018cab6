// Fails the run when any test was skipped or left as a todo: a case that cannot run must
// fail with the reason (the setup step's message), never disappear from the count.
import type { Reporter, TestModule } from 'vitest/node';

export default class NoSkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'skipped' || state === 'pending') skipped.push(`${m.moduleId.replace(process.cwd() + '/', '')} > ${t.fullName}`);
      }
    }
    if (skipped.length === 0) return;
    console.error(`\n${skipped.length} test(s) skipped; wasm-ipc's suite skips nothing (a test that cannot run must fail with its reason):`);
    for (const s of skipped) console.error(`  ↓ ${s}`);
    process.exitCode = 1;
  }
}
