// What the model-based fuzz files share: the run counts and seed (FUZZ_RUNS, FUZZ_SEED), a
// typed-error assertion, the command wrapper, and messages described by (length, seed).
import fc from 'fast-check';

const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);
export const runs = (n: number): fc.Parameters<unknown> => ({ numRuns: Math.ceil(n * RUNS), seed: SEED });

type ErrorClass = abstract new (...args: never[]) => Error;
/** fn must throw an instance of one of `classes` (all typed: TypeError, RangeError, IpcError). */
export function throws(fn: () => unknown, ...classes: ErrorClass[]): Error {
  let thrown: unknown;
  try { fn(); } catch (e) { thrown = e; }
  const want = classes.map((c) => c.name).join(' or ');
  if (thrown === undefined) throw new Error(`expected ${want}, but nothing was thrown`);
  if (!classes.some((c) => thrown instanceof c)) throw new Error(`expected ${want}, got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`);
  return thrown as Error;
}

/** A command: `run` checks the real object against the model and updates the model; then the invariants. */
export function command<M extends object, R>(label: string, run: (m: M, r: R) => void, invariants: (m: M, r: R) => void, check: (m: Readonly<M>) => boolean = () => true): fc.Command<M, R> {
  return { check, run: (m, r) => { run(m, r); invariants(m, r); }, toString: () => label };
}

/** A message: its length and a seed for its bytes (so long ones cost nothing to generate or shrink). */
export interface Msg { len: number; seed: number }
export const bytesOf = ({ len, seed }: Msg): Uint8Array => {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (seed + i * 131 + (i >> 8)) & 255;
  return b;
};
