// Shared set-up of the Chromium tests: a COOP/COEP server on 127.0.0.1 and Debian's Chromium,
// started before the file's tests and stopped after; open() loads a page that imports the
// browser bundle and fails the test on any page error. When Chromium cannot start, every
// test of the file fails with the reason (a failed beforeAll would only mark them skipped).
import { beforeAll, beforeEach, afterAll, expect } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';
import { launch } from './chromium.mjs';

export function useChromium(): { open(path?: string): Promise<Page> } {
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let cannot: unknown;
  beforeAll(async () => {
    server = await serve();
    try { browser = await launch(); } catch (e) { cannot = e; }
  });
  beforeEach(() => { if (cannot) throw cannot; });
  afterAll(async () => { await browser?.close(); await server?.close(); });
  return {
    async open(path = '/test/browser/basic.html') {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('close', () => expect(errors).toEqual([]));
      await page.goto(server.url + path);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, null, { timeout: 20_000 });
      return page;
    },
  };
}
