// Debian's Chromium, driven by playwright-core: never a downloaded browser. A machine
// without it fails each browser test with the set-up step's message (scripts/setup.mjs).
import { chromium } from 'playwright-core';
import { which, missingMessage, NEEDS } from '../../scripts/setup.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launch() {
  if (!which(CHROMIUM)) throw new Error(`cannot run the browser tests: ${missingMessage(NEEDS.filter((n) => n.pkg === 'chromium'))}`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--autoplay-policy=no-user-gesture-required',
    ],
  });
}
