// What the model-based fuzz files share: the run counts and seed (FUZZ_RUNS, FUZZ_SEED), a
// typed-error assertion, the command wrapper, and messages described by (length, seed).
import fc from 'fast-check';
import { expect } from 'vitest';

const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);
export const runs = (n: number): fc.Parameters<unknown> => ({ numRuns: Math.ceil(n * RUNS), seed: SEED });

export type ErrorClass = abstract new (...args: never[]) => Error;
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
/** Messages up to max + 1 bytes (one too many, sometimes), mostly short ones (up to `short`). */
export const msgArb = (max: number, short = 64): fc.Arbitrary<Msg> => fc.record({
  len: fc.oneof({ weight: 4, arbitrary: fc.nat(short) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: max + 1 }) }, { weight: 1, arbitrary: fc.constantFrom(max, max + 1) }),
  seed: fc.nat(255),
});
export const label = (m: Msg): string => `${m.len}b#${m.seed}`;
export const same = (got: Uint8Array | undefined, want: Uint8Array): void => {
  expect(got).toBeInstanceOf(Uint8Array);
  expect(got!.length).toBe(want.length);
  expect(Buffer.compare(Buffer.from(got!), Buffer.from(want))).toBe(0);
};
/** Bad timeouts for the blocking forms: [value, error]. */
export const badTimeouts: [unknown, ErrorClass][] = [[-1, RangeError], [-Infinity, RangeError], [NaN, RangeError], ['10', TypeError], [null, TypeError]];
