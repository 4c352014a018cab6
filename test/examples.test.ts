// The examples run, and say what they should.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = async (name: string): Promise<string> => (await promisify(execFile)(process.execPath, [`examples/${name}`], { timeout: 60_000 })).stdout;

describe('examples', () => {
  it('hello.mjs', async () => {
    const out = await run('hello.mjs');
    expect(out).toMatch(/slot 0: hello from thread \d+/);
    expect(out).toMatch(/after the workers exited: 1 thread\(s\), 0 object\(s\)/);
  });

  it('demo.mjs (npm start): the frame pipeline, the ipcs table, the postMessage comparison', async () => {
    const out = await run('demo.mjs');
    expect(out).toMatch(/wasm-ipc: 20000 frames of 64 KiB through 3 transform workers, 0 bad, \d+ frames\/s/);
    expect(out).toMatch(/postMessage \(transfer\): 20000 frames, 0 bad, \d+ frames\/s/);
    expect(out).toContain("'framepool'");
    expect(out).toMatch(/wasm-ipc is [\d.]+x postMessage on this pipeline/);
  });

  it('cluster.mjs (a producer and two worker processes through bridged channels and a bridged pool, over its own nats-server)', async () => {
    const out = await run('cluster.mjs');
    expect(out).toContain('2000 jobs, each done once by one of 2 worker processes: ok');
    expect(out).toContain('pool: 1000003 is prime; 46 primes below 200');
  });

  it('services.mjs (ports, call, a service and its fail-over)', async () => {
    const out = await run('services.mjs');
    expect(out).toContain('2 + 3 = 5');
    expect(out).toMatch(/kv says \{ colour: 'teal' \}/);
    expect(out).toContain('after the kill: DeadPeerError');
    expect(out).toMatch(/the new server says \{ colour: null \}/);
  });

  it('spooler.js: the race loses jobs, the mutex loses none', async () => {
    const out = await run('spooler.js');
    expect(out).toMatch(/without a lock: \d+ of 80000 jobs in the spooler \(\d+ lost\)/);
    expect(out).toContain('with a mutex:   80000 of 80000 jobs in the spooler\n');
  });

  it('semaphores.js, bounded-buffer.js, pipeline.js, barrier.js, config.js', async () => {
    expect(await run('semaphores.js')).toContain('every item exactly once');
    expect(await run('bounded-buffer.js')).toContain('took 3000 items in order: true');
    expect(await run('pipeline.js')).toBe('alpha.js\nbeta.js\nmango.js\nzebra.js\n');
    expect(await run('barrier.js')).toMatch(/after 200 steps: 100\.0 9\d\.\d/);
    expect(await run('config.js')).toMatch(/inconsistent versions seen: 0/);
  });
});
