// Corruption containment: a victim object's fields are overwritten with garbage again and
// again while its operations keep running. Canary regions laid around it in the segment must
// never change, no operation may trap (a wasm RuntimeError would leave internal locks held)
// or outlast its timeout, and a witness object of the same kind must keep working.
import { expect } from 'vitest';
import { Runtime, IpcError, CorruptedError } from '../../dist/node/index.js';
import { mulberry32 as prng } from '../torture/common.mjs';

/** The torture suite's seeded PRNG (mulberry32): every run reproducible from its seed. */
export { prng };

export interface ContainmentCase<T> {
  kind: string;
  make(rt: Runtime, name: string): T;
  /** Operations on the victim: try forms or short timeouts only. Errors are expected. */
  ops: Record<string, (o: T, rnd: () => number) => unknown>;
  /** A full, checked round trip on a healthy object; throws if anything is wrong. */
  witness(o: T): void;
}

export interface ContainmentReport {
  rounds: number;
  ops: number;
  errors: Record<string, number>;
  corrupted: number;
}

const OP_LIMIT_MS = 3000;   // an op given a 1 ms timeout that takes this long is a hang

export async function contain<T>(c: ContainmentCase<T>, seed: number, rounds = 300): Promise<ContainmentReport> {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const rt = await Runtime.create({ size: 2 << 20, maxSize: 32 << 20 });
  const seg = rt.segment();
  // canaries around the victim: shm regions of assorted sizes, each filled with its own pattern
  const canaries: { bytes: Uint8Array; region: ReturnType<Runtime['shm']> }[] = [];
  const canary = (i: number): void => {
    const region = rt.shm(`canary-${i}`, { size: 64 + int(8192) });
    const bytes = Uint8Array.from({ length: region.size }, () => int(256));
    region.bytes.set(bytes);
    canaries.push({ bytes, region });
  };
  for (let i = 0; i < 12; i++) canary(i);
  const victim = c.make(rt, 'victim');
  for (let i = 12; i < 24; i++) canary(i);
  const witness = c.make(rt, 'witness');
  const info = rt.list().find((o) => o.name === 'victim')!;
  expect(info.kind).toBe(c.kind);
  const first = info.offset + 16, end = info.offset + info.size;   // the fields; the header stays
  const pristine = seg.view(first, end - first).slice();
  const targets = (): number[] => [
    int(2 ** 32), int(64), 0, 0xffffffff, info.offset, info.offset + 8 * int(64),
    canaries[int(canaries.length)]!.region.dataOffset + 8 * int(4),  // a canary's address
    seg.stats().top - 8 * int(128), 8 * int(seg.stats().top / 8),
  ];
  const report: ContainmentReport = { rounds, ops: 0, errors: {}, corrupted: 0 };
  const run = (name: string, f: () => unknown): void => {
    const t0 = performance.now();
    try { f(); } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) throw new Error(`${c.kind} op ${name} trapped (seed ${seed}): ${e.message}`);
      if (!(e instanceof Error)) throw e;
      const key = e instanceof IpcError ? e.constructor.name : `${e.constructor.name}`;
      report.errors[key] = (report.errors[key] ?? 0) + 1;
      if (e instanceof CorruptedError) {
        report.corrupted++;
        expect(e.message).toMatch(/victim/);                       // the error names the object
      }
    }
    report.ops++;
    const took = performance.now() - t0;
    if (took > OP_LIMIT_MS) throw new Error(`${c.kind} op ${name} took ${took.toFixed(0)} ms (seed ${seed})`);
  };
  const checkCanaries = (round: number): void => {
    for (const [i, k] of canaries.entries()) {
      const now = k.region.bytes;
      for (let j = 0; j < k.bytes.length; j++) {
        if (now[j] !== k.bytes[j]) throw new Error(`${c.kind}: canary ${i} byte ${j} changed in round ${round} (seed ${seed})`);
      }
    }
  };
  const ops = Object.entries(c.ops);
  for (let i = 0; i < 30; i++) for (const [name, op] of ops) run(name, () => op(victim, rnd));   // some state first
  for (let round = 0; round < rounds; round++) {
    if (round % 8 === 0) seg.view(first, end - first).set(pristine);      // fields back, state not
    for (let k = 1 + int(4); k > 0; k--) {
      const at = first + 4 * int((end - first) / 4);
      const values = targets();
      seg.dv.setUint32(at, values[int(values.length)]! >>> 0, true);
    }
    for (const [name, op] of ops) run(name, () => op(victim, rnd));
    run('list', () => rt.list());
    if (round % 16 === 0) {                     // a thread dies: every object's death hook runs
      const tid = seg.core.thread_register(0);
      if (tid > 0) seg.threadExited(tid);
    }
    checkCanaries(round);
    if (round % 10 === 0) c.witness(witness);
  }
  run('remove', () => rt.remove('victim'));
  checkCanaries(rounds);
  c.witness(witness);
  expect(rt.list().map((o) => o.name)).toContain('witness');
  return report;
}
