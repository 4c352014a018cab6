// An AudioWorklet in an OfflineAudioContext, fed by a Web Worker through a wait-free SPSC
// ring (left channel) and a frame pool (right channel). The worklet has no fetch and may not
// block: it gets the compiled core and the memories through processorOptions and uses only
// the try forms. The rendering is suspended every 16 blocks until the worker has refilled,
// so the ring and the pool are smaller than the sound and the worker really runs alongside.
import { describe, it, expect } from 'vitest';
import { useChromium } from './browser/harness';

const chromium = useChromium();
const SAMPLE = 'Math.fround(0.5 * Math.sin((i * 128 + j) * (ch ? 0.013 : 0.007)))';

describe('in Chromium, an AudioWorklet', () => {
  it('renders exactly the samples a worker sent through a ring and a frame pool', async () => {
    const page = await chromium.open();
    const out = await page.evaluate(async (sampleExpr: string) => {
      const { Runtime } = (window as any).ipc;
      const blocks = 400, step = 16, rate = 48_000;
      const rt = await Runtime.create();
      const ring = rt.channel('audio-ring', { capacity: 32, spsc: true, inlineSize: 512, maxMessageSize: 512 });
      const pool = rt.framePool('audio-frames', { slots: 32, frameSize: 512 });
      const ctx = new OfflineAudioContext({ numberOfChannels: 2, length: blocks * 128, sampleRate: rate });
      await ctx.audioWorklet.addModule('/test/browser/audio-processor.js');
      const node = new AudioWorkletNode(ctx, 'feed', {
        numberOfInputs: 0, outputChannelCount: [2], processorOptions: { handle: rt.handle() },
      });
      const ask = () => new Promise<any>((r) => { node.port.onmessage = (e) => r(e.data); });
      const hello = await ask();
      if (hello.error) return { error: hello.error };
      node.connect(ctx.destination);
      const worker = rt.spawn('/test/browser/audio-worker.js', { data: { blocks, sample: sampleExpr } });
      const sent = new Promise<any>((r) => { worker.onmessage = (e: MessageEvent) => r(e.data); });
      // until the next `step` blocks are in both the ring and the pool
      const refilled = async (from: number) => {
        const need = Math.min(step, blocks - from);
        const t0 = performance.now();
        while (ring.depth < need || pool.state.ready < need) {
          if (performance.now() - t0 > 20_000) throw new Error(`no refill at block ${from}`);
          await new Promise((r) => setTimeout(r, 1));
        }
      };
      for (let b = step; b < blocks; b += step) {
        ctx.suspend((b * 128) / rate).then(() => refilled(b)).then(() => ctx.resume());
      }
      await refilled(0);
      const rendered = await ctx.startRendering();
      const stats = await (node.port.postMessage('stats'), ask());
      const sample = new Function('i', 'j', 'ch', `return ${sampleExpr}`);
      const wrong = [0, 1].map((ch) => {
        const data = rendered.getChannelData(ch);
        let bad = 0;
        for (let k = 0; k < data.length; k++) if (data[k] !== sample(k >> 7, k & 127, ch)) bad++;
        return bad;
      });
      const loud = rendered.getChannelData(0).some((x: number) => Math.abs(x) > 0.4);
      return { hello, stats, wrong, loud, sent: await sent, left: ring.depth, length: rendered.length };
    }, SAMPLE);
    expect(out.error).toBeUndefined();
    expect(out.hello).toMatchObject({ ready: true, blocking: 'WouldBlockError' });
    expect(out.hello.threadId).toBeGreaterThan(0);
    expect(out.sent).toEqual({ sent: 400 });
    expect(out.length).toBe(400 * 128);
    expect(out.stats).toEqual({ underruns: 0, blocks: 400 });
    expect(out.wrong).toEqual([0, 0]);
    expect(out.loud).toBe(true);
    expect(out.left).toBe(0);
    await page.close();
  });
});
