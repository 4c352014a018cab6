// Codecs: how a channel turns values into bytes and back. Chosen per channel, pluggable.
// decode() always receives a private (non-shared) copy: browsers' TextDecoder refuses views
// of shared memory, and a decoded value must not change under the caller's feet.
import { Packr } from 'msgpackr';
import { describe } from './errors';
import { utf8 } from './utf8';

export interface Codec<T = unknown> {
  readonly name: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}


export const bytesCodec: Codec<Uint8Array> = {
  name: 'bytes',
  encode(v) {
    if (!(v instanceof Uint8Array)) throw new TypeError(`a bytes channel sends Uint8Array values, got ${describe(v)}`);
    return v;
  },
  decode: (b) => b,
};

export const stringCodec: Codec<string> = {
  name: 'string',
  encode(v) {
    if (typeof v !== 'string') throw new TypeError(`a string channel sends strings, got ${describe(v)}`);
    return utf8.encode(v);
  },
  decode: (b) => utf8.decode(b),
};

export const jsonCodec: Codec<unknown> = {
  name: 'json',
  encode(v) {
    const s = JSON.stringify(v);
    if (s === undefined) throw new TypeError(`value is not JSON-serialisable: ${describe(v)}`);
    return utf8.encode(s);
  },
  decode: (b) => JSON.parse(utf8.decode(b)),
};

const packr = new Packr({ structuredClone: true, moreTypes: true });
export const msgpackCodec: Codec<unknown> = {
  name: 'msgpack',
  encode: (v) => packr.pack(v),
  decode: (b) => packr.unpack(b),
};

const builtin: Record<string, Codec<any>> = { bytes: bytesCodec, string: stringCodec, json: jsonCodec, msgpack: msgpackCodec };

export type CodecName = 'bytes' | 'string' | 'json' | 'msgpack';

export function resolveCodec(codec: CodecName | Codec<any> | undefined): Codec<any> {
  if (codec === undefined) return bytesCodec;
  if (typeof codec === 'string') {
    const c = builtin[codec];
    if (!c) throw new TypeError(`codec must be one of ${Object.keys(builtin).join(', ')} or a { encode, decode } object, got ${describe(codec)}`);
    return c;
  }
  if (codec && typeof codec.encode === 'function' && typeof codec.decode === 'function') return codec;
  throw new TypeError(`codec must be a name or a { encode, decode } object, got ${describe(codec)}`);
}
