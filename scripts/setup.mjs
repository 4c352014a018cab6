// The one set-up step of the tests, run first by `npm test` and by `.ci/run`: the system
// programs the suite needs, from Debian's packages (never a downloaded browser or binary).
//   chromium     the browser tests (playwright-core drives it; CHROMIUM_PATH overrides)
//   spin, gcc    the model checks (SPIN writes a C verifier, gcc compiles it)
//   nats-server  the tests across processes (started on 127.0.0.1 by the tests themselves)
// Missing ones are installed with apt-get when this runs as root on a machine that has it;
// otherwise it stops at once with one message naming the command to run.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const NEEDS = [
  { program: process.env.CHROMIUM_PATH ?? 'chromium', pkg: 'chromium', for: 'the browser tests' },
  { program: 'spin', pkg: 'spin', for: 'the model checks' },
  { program: 'gcc', pkg: 'gcc', for: 'the model checks (SPIN\'s verifiers)' },
  { program: 'nats-server', pkg: 'nats-server', for: 'the tests across processes' },
];

/**
 * The absolute path of an executable program (a path, or a name looked up in PATH and then in
 * /usr/sbin and /sbin, where Debian puts nats-server and where a user's PATH may not look), or null.
 */
export function which(program) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin'];
  const candidates = program.includes('/') ? [program] : dirs.map((d) => join(d, program));
  for (const c of candidates) {
    try { accessSync(c, constants.X_OK); return c; } catch { /* next */ }
  }
  return null;
}

export function missing() {
  return NEEDS.filter((n) => which(n.program) === null);
}

/** The message a test that cannot run fails with: what is missing and the command that installs it. */
export function missingMessage(list = missing()) {
  const pkgs = [...new Set(list.map((n) => n.pkg))].join(' ');
  const what = list.map((n) => `${n.program} (${n.for})`).join(', ');
  return `missing: ${what}. Install with: sudo apt-get install -y ${pkgs}   (or run npm test as root, which installs them)`;
}

function main() {
  const need = missing();
  if (need.length === 0) return;
  const pkgs = [...new Set(need.map((n) => n.pkg))];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !which('apt-get')) {
    console.error(`wasm-ipc test set-up: ${missingMessage(need)}`);
    process.exit(1);
  }
  console.log(`wasm-ipc test set-up: installing ${pkgs.join(' ')} from Debian's packages (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
  } catch (e) {
    console.error(`wasm-ipc test set-up: apt-get failed (${e.message}). ${missingMessage(need)}`);
    process.exit(1);
  }
  const still = missing();
  if (still.length) {
    console.error(`wasm-ipc test set-up: still ${missingMessage(still)}`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
