// The examples run, and say what they should.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = async (name: string): Promise<string> => (await promisify(execFile)(process.execPath, [`examples/${name}`], { timeout: 30_000 })).stdout;

describe('examples', () => {
  it('hello.mjs', async () => {
    const out = await run('hello.mjs');
    expect(out).toMatch(/slot 0: hello from thread \d+/);
    expect(out).toMatch(/after the workers exited: 1 thread\(s\), 0 object\(s\)/);
  });

  it('services.mjs', async () => {
    const out = await run('services.mjs');
    expect(out).toContain('2 + 3 = 5');
    expect(out).toMatch(/kv says \{ colour: 'teal' \}/);
    expect(out).toContain('after the kill: DeadPeerError');
    expect(out).toMatch(/the new server says \{ colour: null \}/);
  });
});
