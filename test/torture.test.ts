// A fast subset of the seeded fault-injection runs (test/torture/harness.mjs): a few seeds
// of every workload, each terminating workers at random points; `npm run torture` runs 1000.
import { describe, it, expect } from 'vitest';
// @ts-expect-error: plain ESM without types
import { runSeed, plan, WORKLOADS } from './torture/harness.mjs';
import { Runtime } from '../dist/node/index.js';

const PER_WORKLOAD = 3;
const SCALE = 0.5;

/** The first PER_WORKLOAD seeds from 1 whose plan picks each workload. */
function seeds(): number[] {
  const left = new Map<string, number>((WORKLOADS as string[]).map((w) => [w, PER_WORKLOAD]));
  const out: number[] = [];
  for (let seed = 1; out.length < left.size * PER_WORKLOAD; seed++) {
    const w = plan(seed, SCALE).workload as string;
    if (left.get(w)! > 0) { left.set(w, left.get(w)! - 1); out.push(seed); }
  }
  return out;
}

describe('torture: workers terminated at random points', () => {
  it(`${PER_WORKLOAD} seeds of each workload: no deadlock, owner death reported, nothing committed lost or duplicated, nothing torn`, async () => {
    const failures: string[] = [];
    let kills = 0;
    for (const seed of seeds()) {
      const r = await runSeed(seed, { scale: SCALE, deadlineMs: 15_000 });
      kills += r.kills.filter((k: { effective: boolean }) => k.effective).length;
      for (const v of r.violations) failures.push(`seed ${seed} (${r.workload}): ${v}  [npm run torture -- --seed ${seed} --scale ${SCALE}]`);
    }
    expect(failures).toEqual([]);
    expect(kills).toBeGreaterThan(PER_WORKLOAD * WORKLOADS.length / 2);
  }, 120_000);

  it('the checks notice a receiver that loses, duplicates or stops, and a torn message', async () => {
    let seed = 1;   // a channel run whose producers send whole messages (where 'tear' applies)
    while (plan(seed, SCALE).workload !== 'channel' || !plan(seed, SCALE).roles.some((r: any) => r.role === 'chProducer' && r.data.modes.some((m: string) => ['send', 'async', 'try'].includes(m)))) seed++;
    const caught = async (mutate?: string) => (await runSeed(seed, { scale: SCALE, deadlineMs: 3000, mutate })).violations.join('\n');
    expect(await caught()).toBe('');
    expect(await caught('lose')).toMatch(/lost \d+ committed messages/);
    expect(await caught('twice')).toMatch(/dup: [1-9]/);
    expect(await caught('tear')).toMatch(/torn: [1-9]/);
    expect(await caught('hang')).toMatch(/deadlock: .* not done after 3000 ms/);
  }, 60_000);
});

describe('torture findings: a channel slot held by a killed thread', () => {
  const hold = async (rt: Runtime, data: object) => {
    const w = rt.spawn(new URL('./torture/hold.mjs', import.meta.url), { data: { name: 'c', ...data } }) as import('node:worker_threads').Worker;
    await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await w.terminate();
  };

  for (const [what, len] of [['inline', 16], ['in a heap block', 300]] as const) {
    it(`a sender killed between reserve() and commit() (${what}) leaves a tombstone, not a stalled ring`, async () => {
      const rt = await Runtime.create();
      const ch = rt.channel('c', { capacity: 2 });
      await hold(rt, { role: 'reserve', len });
      for (let i = 0; i < 5; i++) {               // laps over the slot it held
        ch.send(new Uint8Array([i]), 2000);
        expect(Array.from(ch.recv(2000))).toEqual([i]);
      }
    });
  }

  it('a receiver killed holding a recvView() slot: the slot is released (its message lost), senders go on', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel('c', { capacity: 2 });
    ch.send(new Uint8Array([1]));
    await hold(rt, { role: 'view' });
    for (let i = 2; i < 8; i++) {
      ch.send(new Uint8Array([i]), 2000);
      expect(Array.from(ch.recv(2000))).toEqual([i]);
    }
  });

  it('unbounded: a sender killed with a reservation out does not hold back the end of stream', async () => {
    const rt = await Runtime.create();
    const ch = rt.channel('c', { capacity: Infinity });
    ch.send(new Uint8Array([1]));
    await hold(rt, { role: 'reserve', len: 8 });
    ch.close();
    expect(Array.from(ch.recv(2000))).toEqual([1]);
    expect(() => ch.recv(2000)).toThrow(/end of stream/);
  });
});
