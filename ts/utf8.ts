// UTF-8 for every thread: TextEncoder / TextDecoder where the global scope has them, and a
// plain loop where it does not (an AudioWorkletGlobalScope has neither).

export interface Utf8 {
  encode(s: string): Uint8Array;
  /** bytes must not be a view of shared memory (browsers' TextDecoder refuses those). */
  decode(bytes: Uint8Array): string;
}

function encodeLoop(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;           // a lone surrogate, as TextEncoder does
    if (c < 0x80) out[n++] = c;
    else if (c < 0x800) { out[n++] = 0xc0 | (c >> 6); out[n++] = 0x80 | (c & 63); }
    else if (c < 0x10000) { out[n++] = 0xe0 | (c >> 12); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63); }
    else { out[n++] = 0xf0 | (c >> 18); out[n++] = 0x80 | ((c >> 12) & 63); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63); }
  }
  return out.slice(0, n);
}

// The WHATWG UTF-8 decoder: a leading BOM is dropped, each maximal ill-formed subsequence
// becomes one U+FFFD (so the result is TextDecoder's, byte for byte).
function decodeLoop(b: Uint8Array): string {
  const parts: string[] = [];
  let codes: number[] = [];
  const emit = (c: number): void => { codes.push(c); if (codes.length >= 4096) { parts.push(String.fromCodePoint(...codes)); codes = []; } };
  let need = 0, seen = 0, cp = 0, lower = 0x80, upper = 0xbf;
  let i = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  for (; i < b.length; i++) {
    const x = b[i]!;
    if (need === 0) {
      if (x < 0x80) emit(x);
      else if (x >= 0xc2 && x <= 0xdf) { need = 1; cp = x & 0x1f; }
      else if (x >= 0xe0 && x <= 0xef) { if (x === 0xe0) lower = 0xa0; if (x === 0xed) upper = 0x9f; need = 2; cp = x & 0xf; }
      else if (x >= 0xf0 && x <= 0xf4) { if (x === 0xf0) lower = 0x90; if (x === 0xf4) upper = 0x8f; need = 3; cp = x & 7; }
      else emit(0xfffd);
      continue;
    }
    if (x < lower || x > upper) {          // the sequence ends here: one U+FFFD, and x starts afresh
      need = seen = cp = 0; lower = 0x80; upper = 0xbf;
      emit(0xfffd);
      i--;
      continue;
    }
    lower = 0x80; upper = 0xbf;
    cp = (cp << 6) | (x & 0x3f);
    if (++seen === need) { emit(cp); need = seen = cp = 0; }
  }
  if (need !== 0) emit(0xfffd);
  parts.push(String.fromCodePoint(...codes));
  return parts.join('');
}

const g = globalThis as { TextEncoder?: typeof TextEncoder; TextDecoder?: typeof TextDecoder };
const te = g.TextEncoder ? new g.TextEncoder() : undefined;
const td = g.TextDecoder ? new g.TextDecoder() : undefined;

export const utf8: Utf8 = {
  encode: te ? (s) => te.encode(s) : encodeLoop,
  decode: td ? (b) => td.decode(b) : decodeLoop,
};

/** The loops themselves, for tests against the native codec. */
export const utf8Loop: Utf8 = { encode: encodeLoop, decode: decodeLoop };
