// Channels on a browser main thread: strings decode although Chromium's TextDecoder refuses
// views of shared memory; for-await and select work; blocking forms say WouldBlockError.
import { describe, it, expect } from 'vitest';
import { useChromium } from './browser/harness';

const chromium = useChromium();

describe('in Chromium, channels', () => {
  it('carry strings and structured values from a worker to the page', async () => {
    const page = await chromium.open();
    const out = await page.evaluate(async () => {
      const { Runtime, selectAsync, select } = (window as any).ipc;
      const rt = await Runtime.create();
      const words = rt.channel('words', { codec: 'string' });
      const objs = rt.channel('objs', { codec: 'msgpack' });
      let sharedDecodeRefused = false;
      try { new TextDecoder().decode(new Uint8Array(rt.segment().memory.buffer, 0, 4)); } catch { sharedDecodeRefused = true; }
      let blocking = '';
      try { words.recv(); } catch (e: any) { blocking = e.name; }
      const worker = rt.spawn('/test/browser/channel-worker.js');
      const got: string[] = [];
      for await (const w of words) got.push(w.length > 100 ? `${w[0]}×${w.length}` : w);
      const picked = await selectAsync([objs]);
      worker.terminate();
      let selectBlocking = 'returned';
      try { select([rt.channel('empty')], 10); } catch (e: any) { selectBlocking = e.name; }
      return { got, sharedDecodeRefused, blocking, selectBlocking, obj: { ...picked.value, when: picked.value.when.toISOString() } };
    });
    expect(out.sharedDecodeRefused).toBe(true); // the browser quirk the codecs must work around
    expect(out.blocking).toBe('WouldBlockError');
    expect(out.selectBlocking).toBe('WouldBlockError');
    expect(out.got).toEqual(['héllo', 'wörld', '✓ 日本語', 'x×5000']);
    expect(out.obj).toEqual({ n: 1, when: '1970-01-01T00:00:00.000Z', list: [1, 2, 3] });
    await page.close();
  });
});
