// Video in Chromium: a Web Worker renders 1080p RGBA frames into a frame pool (3 slots, in
// place); the page takes each one with nextAsync, draws it into a canvas, releases the slot,
// and reads the canvas's pixels back: every pixel of every frame is the one the worker wrote.
import { describe, it, expect } from 'vitest';
import { useChromium } from './browser/harness';

const chromium = useChromium();

describe('in Chromium, video frames', () => {
  it('a worker renders 1080p frames into a frame pool, the page draws them into a canvas', async () => {
    const page = await chromium.open();
    const out = await page.evaluate(async () => {
      const { Runtime } = (window as any).ipc;
      const width = 1920, height = 1080, frames = 12;
      const rt = await Runtime.create();
      const pool = rt.framePool('video', { slots: 3, frameSize: width * height * 4 });
      const canvas = document.createElement('canvas');
      canvas.width = width; canvas.height = height;
      document.body.append(canvas);
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      const image = ctx.createImageData(width, height);   // ImageData refuses shared views: one copy
      const worker = rt.spawn('/test/browser/video-worker.js', { data: { frames, width, height } });
      const sent = new Promise<any>((r) => { worker.onmessage = (e: MessageEvent) => r(e.data); });
      const seen: number[] = [];
      const wrongPixels: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < frames; i++) {
        const f = await pool.nextAsync({ timeout: 20_000 });
        const { k } = f.meta;
        image.data.set(f.bytes);
        pool.release(f);
        ctx.putImageData(image, 0, 0);
        const px = new Uint32Array(ctx.getImageData(0, 0, width, height).data.buffer);
        let wrong = 0;
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const want = (((x + 7 * k) & 255) | (((y + 3 * k) & 255) << 8) | (((x ^ y ^ k) & 255) << 16) | (255 << 24)) >>> 0;
            if (px[y * width + x] !== want) wrong++;
          }
        }
        seen.push(k);
        wrongPixels.push(wrong);
      }
      const fps = frames / ((performance.now() - t0) / 1000);
      return { seen, wrongPixels, sent: await sent, fps, free: pool.state.free };
    });
    expect(out.sent).toEqual({ sent: 12 });
    expect(out.seen).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(out.wrongPixels).toEqual(new Array(12).fill(0));
    expect(out.free).toBe(3);
    console.log(`1080p frames drawn and checked at ${out.fps.toFixed(1)} frames/s`);
    await page.close();
  });
});
