// The RPC wire format (ts/rpc-codec.ts): small requests and replies as frames, the rest as
// msgpack, each decoded back to what was encoded.
import { describe, it, expect } from 'vitest';
import { rpcCodec, msgpackCodec } from '../dist/node/index.js';

const FRAME = 0xc1;
const roundTrip = (v: unknown): { framed: boolean; back: unknown } => {
  const bytes = rpcCodec.encode(v);
  return { framed: bytes[0] === FRAME, back: rpcCodec.decode(bytes) };
};

describe('rpc codec', () => {
  const small = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1.5, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE,
    '', 'add', 'é ü 漢字 😀', '\ud800 lone', true, false, null, undefined, [], [1, 'two', null, [] as unknown[]].slice(0, 3), ['x'.repeat(256)]];

  it('requests, replies and cancels of small values go as frames and come back equal', () => {
    for (const v of small) {
      for (const msg of [{ ok: v }, { i: '3:17', m: 'method', a: [v, v] }]) {
        const { framed, back } = roundTrip(msg);
        expect(framed, JSON.stringify(msg)).toBe(true);
        expect(back).toEqual(msg);
        if (typeof v === 'number') expect(Object.is((back as { ok?: number; a?: number[] }).ok ?? (back as { a: number[] }).a[0], v)).toBe(true);
      }
    }
    expect(roundTrip({ cancel: '9:1' })).toEqual({ framed: true, back: { cancel: '9:1' } });
    // plain values too (the pool's tasks and results): arrays nest 3 deep
    for (const v of [7, 'plain', null, [1, 'a', [2, [3, undefined]]], [42, 'noop', [1e6, -2.5], -1]]) expect(roundTrip(v)).toEqual({ framed: true, back: v });
    expect(roundTrip({ ok: [[1]] })).toEqual({ framed: true, back: { ok: [[1]] } });
    expect(roundTrip({ i: 'x', m: 'noArgs', a: [] })).toEqual({ framed: true, back: { i: 'x', m: 'noArgs', a: [] } });
  });

  it('anything else goes as msgpack and comes back equal (structured clone)', () => {
    const big = [
      { ok: { a: 1 } }, { ok: new Date(5) }, { ok: new Map([[1, 2]]) }, { ok: new Uint8Array([1, 2]) }, { ok: 10n },
      { ok: 'x'.repeat(257) }, { ok: [[[[1]]]] }, { ok: new Array(33).fill(1) }, { ok: [1, , 3] }, [[[[1]]]], [{ a: 1 }], 2n,
      { i: 'a', m: 'm', a: [{ x: 1 }] }, { i: 'a', m: 'm', a: new Array(33).fill(0) }, { i: 'a', m: 'x'.repeat(300), a: [] },
      { i: 'a', m: 'm', a: new Array(32).fill('y'.repeat(200)) },   // small values, but past the frame's 4 KiB
      { err: { name: 'TypeError', message: 'no' } }, { thrown: 42 },
    ];
    for (const msg of big) {
      const { framed, back } = roundTrip(msg);
      expect(framed, String(msg)).toBe(false);
      expect(back).toEqual(msg);
    }
  });

  it('a msgpack request from any sender is understood; a bad frame is a TypeError', () => {
    expect(rpcCodec.decode(msgpackCodec.encode({ i: '1', m: 'add', a: [1, 2] }))).toEqual({ i: '1', m: 'add', a: [1, 2] });
    expect(() => rpcCodec.decode(new Uint8Array([FRAME, 9]))).toThrow(TypeError);
    expect(() => rpcCodec.decode(new Uint8Array([FRAME, 2, 99]))).toThrow(TypeError);
  });
});
