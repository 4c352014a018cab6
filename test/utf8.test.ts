// The UTF-8 loops used where TextEncoder / TextDecoder are missing (AudioWorklets) agree with
// the native codec on every kind of input, malformed bytes included.
import { describe, it, expect } from 'vitest';
import { utf8Loop } from '../ts/utf8';

describe('utf8 fallback', () => {
  it('encodes and decodes as TextEncoder / TextDecoder do', () => {
    const te = new TextEncoder(), td = new TextDecoder();
    const samples = ['', 'ascii', 'héllo wörld', '✓ 日本語', '😀 \u{10ffff}', 'lone \ud800 high', 'lone \udc00 low', 'end \ud83d'];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 300; i++) {
      samples.push(Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => String.fromCharCode(Math.floor(rnd() * 0x10000))).join(''));
    }
    for (const s of samples) {
      expect(utf8Loop.encode(s)).toEqual(te.encode(s));
      expect(utf8Loop.decode(te.encode(s))).toBe(td.decode(te.encode(s)));
    }
    for (let i = 0; i < 2000; i++) {          // random bytes: malformed sequences become U+FFFD alike
      const b = Uint8Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => Math.floor(rnd() * 256));
      expect(utf8Loop.decode(b)).toBe(td.decode(b));
    }
  });
});
