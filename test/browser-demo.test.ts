// npm run demo:web in Chromium: the synth (worker → ring → AudioWorklet, sound on) and the
// video pipeline (render → 2 filters → page) both run, their stats move, the canvas shows a
// picture, and the live view lists the demo's objects.
import { describe, it, expect } from 'vitest';
import { useChromium } from './browser/harness';

const chromium = useChromium();

describe('in Chromium, the web demo', () => {
  it('plays the synth and draws the video pipeline, with live stats and the IPC view', async () => {
    const page = await chromium.open('/examples/web/');
    await page.click('#audio');
    await page.waitForFunction(() => (window as any).demo.drawn >= 20 && /played [1-9]\d{2,}/.test(document.getElementById('audio-stats')!.textContent!), null, { timeout: 30_000 });
    const audio = (await page.textContent('#audio-stats'))!;
    const video = (await page.textContent('#video-stats'))!;
    const num = (text: string, key: string): number => Number(new RegExp(`${key} (\\d+)`).exec(text)![1]);
    expect(audio).toMatch(/^running at \d+ Hz/);
    expect(num(audio, 'made')).toBeGreaterThanOrEqual(num(audio, 'played'));
    expect(num(video, 'rendered')).toBeGreaterThanOrEqual(num(video, 'filtered'));
    expect(num(video, 'filtered')).toBeGreaterThanOrEqual(num(video, 'drawn'));
    const colors = await page.evaluate(() => {
      const c = (document.getElementById('video') as HTMLCanvasElement).getContext('2d')!;
      const px = new Uint32Array(c.getImageData(0, 0, 480, 270).data.buffer);
      return new Set(px).size;
    });
    expect(colors).toBeGreaterThan(100);                     // a picture, not a blank canvas
    const names = await page.$$eval('#view tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-name')));
    expect(names).toEqual(expect.arrayContaining(['raw', 'shown', 'synth-ring', 'synth-played']));
    await page.close();
  });
});
