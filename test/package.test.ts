// Package hygiene: what a user gets from npm. `npm pack` makes the tarball, a clean project in a
// temporary directory installs only it, and then (1) a Node script there creates a runtime,
// spawns a worker and moves a message each way, and (2) a page bundled there with esbuild from
// the installed package does the same with a Web Worker in Chromium. This is what proves the
// `exports` map, the `files` list and the wasm loading work outside this repository.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import type { Browser } from 'playwright-core';
import { serve } from '../scripts/serve.mjs';
import { launch } from './browser/chromium.mjs';

const repo = new URL('../', import.meta.url).pathname;
const fixture = (name: string) => new URL(`./package/${name}`, import.meta.url).pathname;
const npm = (args: string[], cwd: string) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-ipc-pack-'));
  const tarball = npm(['pack', '--pack-destination', dir], repo).trim().split('\n').pop()!;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  npm(['install', '--prefer-offline', join(dir, tarball)], dir);
  for (const f of ['main.mjs', 'page.js', 'worker.js']) copyFileSync(fixture(f), join(dir, f));
}, 120_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('the packed package, installed in a clean project', () => {
  it('holds the builds and types, not the sources or tests', () => {
    const files = execFileSync('tar', ['-tzf', join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!)], { encoding: 'utf8' }).split('\n');
    for (const f of ['package/dist/node/index.js', 'package/dist/node/pool-worker.js', 'package/dist/browser/index.js',
      'package/dist/browser/slim.js', 'package/dist/browser/wasm-ipc.wasm', 'package/dist/types/index.d.ts', 'package/README.md']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^package\/(ts|test|assembly|bench)\//.test(f))).toEqual([]);
  });

  it('works in Node: a runtime, a spawned worker, a message each way', () => {
    const out = execFileSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.reply).toEqual({ from: 'worker', n: 42, tid: expect.any(Number) });
    expect(r.reply.tid).not.toBe(r.main);
    expect(r.kinds).toEqual(['channel', 'channel']);
  });

  it('works bundled by esbuild in Chromium: a page, a Web Worker, a message each way', async () => {
    for (const entry of ['page', 'worker']) {
      await esbuild.build({ absWorkingDir: dir, entryPoints: [`${entry}.js`], bundle: true, format: 'esm', platform: 'browser', outfile: `out/${entry}.js`, logLevel: 'error' });
    }
    writeFileSync(join(dir, 'out/index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
    const server = await serve(0, join(dir, 'out'));
    let browser: Browser | undefined;
    try {
      browser = await launch();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => (window as any).result !== undefined, null, { timeout: 20_000 });
      const r = await page.evaluate(() => (window as any).result);
      expect(r).toEqual({ reply: { from: 'web worker', n: 42, tid: expect.any(Number) }, isolated: true });
      expect(errors).toEqual([]);
    } finally {
      await browser?.close();
      await server.close();
    }
  });
});
