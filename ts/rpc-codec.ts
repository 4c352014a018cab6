// The RPC wire format: what expose()/wrap() put in a port message, and the worker pool's
// tasks and results. Requests, replies and values made of small scalars (numbers, short
// strings, booleans, null, undefined, and short arrays of those, nested up to 3 deep) go as
// a compact frame written by hand; everything else as msgpack (structured clone). The frame
// costs a few tens of ns each way where msgpack costs a few hundred (docs/DESIGN.md, the
// budget), and most calls and tasks are of that shape.
//
// A frame starts with 0xc1, the one byte msgpack never emits, so decode() tells them apart
// by the first byte and a msgpack request from any sender is still understood.
//
//   frame   := 0xc1 type body
//   type    := 1 request (id: str, method: str, argc: u8, argc × value)
//            | 2 ok reply (value) | 3 cancel (id: str) | 4 a plain value (value)
//   value   := 0 undefined | 1 null | 2 false | 3 true | 4 i32 (4 B) | 5 f64 (8 B)
//            | 6 str | 7 array (count: u8, count × value; 3 levels at most)
//   str     := length: u16, UTF-16 code units (2 B each): no UTF-8 pass either way
//
// A frame is written into a scratch buffer and copied out at the end (a pool keeps the bytes
// of a task it cannot queue yet, so encode() hands out bytes of their own).
import type { Codec } from './codec';
import { msgpackCodec } from './codec';

const FRAME = 0xc1;
const REQUEST = 1, OK = 2, CANCEL = 3, VALUE = 4;
const UNDEF = 0, NULL = 1, FALSE = 2, TRUE = 3, I32 = 4, F64 = 5, STR = 6, ARR = 7;
/** Past these, a value is not "small": msgpack handles it. */
const MAX_STR = 256, MAX_ARR = 32, MAX_ARGS = 32, MAX_DEPTH = 3, CAP = 4096;

const scratch = new ArrayBuffer(CAP);
const out = new Uint8Array(scratch);
const view = new DataView(scratch);
let n = 0;

/** Put one small value; false if it is not one (the caller falls back to msgpack). */
function put(v: unknown, depth: number): boolean {
  if (n + 9 > CAP) return false;
  switch (typeof v) {
    case 'number':
      if ((v | 0) === v && !Object.is(v, -0)) { out[n] = I32; view.setInt32(n + 1, v, true); n += 5; } else { out[n] = F64; view.setFloat64(n + 1, v, true); n += 9; }
      return true;
    case 'string': return putStr(v, STR);
    case 'boolean': out[n++] = v ? TRUE : FALSE; return true;
    case 'undefined': out[n++] = UNDEF; return true;
    case 'object':
      if (v === null) { out[n++] = NULL; return true; }
      if (depth >= MAX_DEPTH || !Array.isArray(v) || v.length > MAX_ARR || Object.getPrototypeOf(v) !== Array.prototype) return false;
      out[n] = ARR; out[n + 1] = v.length; n += 2;
      for (let i = 0; i < v.length; i++) if (!(i in v) || !put(v[i], depth + 1)) return false;   // a hole is not undefined
      return true;
    default: return false;
  }
}

function putStr(s: string, tag: number): boolean {
  const len = s.length;
  if (len > MAX_STR || n + 3 + 2 * len > CAP) return false;
  if (tag >= 0) out[n++] = tag;
  view.setUint16(n, len, true);
  n += 2;
  for (let i = 0; i < len; i++, n += 2) view.setUint16(n, s.charCodeAt(i), true);
  return true;
}

/** The frame of a request, reply, cancel or plain value, or undefined when it must go as msgpack. */
function frame(v: unknown): Uint8Array | undefined {
  n = 0;
  out[n++] = FRAME;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    out[n++] = VALUE;
    return put(v, 0) ? out.slice(0, n) : undefined;
  }
  const o = v as Record<string, unknown>;
  if ('ok' in o) {
    out[n++] = OK;
    if (!put(o.ok, 0)) return undefined;
  } else if (typeof o.i === 'string' && typeof o.m === 'string' && Array.isArray(o.a)) {
    const a = o.a;
    if (a.length > MAX_ARGS) return undefined;
    out[n++] = REQUEST;
    if (!putStr(o.i, -1) || !putStr(o.m, -1)) return undefined;
    out[n++] = a.length;
    for (let k = 0; k < a.length; k++) if (!put(a[k], 1)) return undefined;
  } else if (typeof o.cancel === 'string') {
    out[n++] = CANCEL;
    if (!putStr(o.cancel, -1)) return undefined;
  } else {
    return undefined;
  }
  return out.slice(0, n);
}

// ---- decoding: a cursor over the frame ----
// Byte by byte, not through a DataView: a small Uint8Array lives on V8's heap, and asking for
// its .buffer (to make a view) moves it off, which costs more than the whole decode.

let at = 0;
let src: Uint8Array = out;
const f64 = new Float64Array(1);
const f64bytes = new Uint8Array(f64.buffer);

const u16 = (): number => { const v = src[at]! | (src[at + 1]! << 8); at += 2; return v; };

function getStr(): string {
  const len = u16();
  if (len === 0) return '';
  const codes = new Array<number>(len);
  for (let i = 0; i < len; i++) codes[i] = u16();
  return String.fromCharCode.apply(null, codes);
}

/**
 * A method or task name (and any string value of up to 32 code units): the same string object
 * as last time for the same code units. A fresh string used as a property key is first looked
 * up in V8's string table, every call; a name seen before skips that (and the string's making).
 */
const names = new Map<number, string>();
const codes = new Array<number>(MAX_STR);
function getName(): string {
  const len = u16();
  let h = len;
  for (let i = 0; i < len; i++) { codes[i] = u16(); h = Math.imul(h ^ codes[i]!, 0x01000193); }
  const known = names.get(h);
  if (known !== undefined && known.length === len) {
    let same = true;
    for (let i = 0; i < len && same; i++) same = known.charCodeAt(i) === codes[i];
    if (same) return known;
  }
  const s = String.fromCharCode.apply(null, codes.slice(0, len));
  if (names.size < 1024) names.set(h, s);
  return s;
}

function get(): unknown {
  const tag = src[at++];
  switch (tag) {
    case UNDEF: return undefined;
    case NULL: return null;
    case FALSE: return false;
    case TRUE: return true;
    case I32: at += 4; return src[at - 4]! | (src[at - 3]! << 8) | (src[at - 2]! << 16) | (src[at - 1]! << 24);
    case F64: for (let k = 0; k < 8; k++) f64bytes[k] = src[at++]!; return f64[0];
    case STR: return src[at]! + (src[at + 1]! << 8) <= 32 ? getName() : getStr();
    case ARR: {
      const a = new Array(src[at++]);
      for (let i = 0; i < a.length; i++) a[i] = get();
      return a;
    }
    default: throw new TypeError(`an RPC frame with an unknown value tag ${tag}`);
  }
}

function unframe(b: Uint8Array): unknown {
  src = b;
  at = 2;
  switch (b[1]) {
    case OK: return { ok: get() };
    case VALUE: return get();
    case REQUEST: {
      const i = getStr(), m = getName();
      const a = new Array(src[at++]);
      for (let k = 0; k < a.length; k++) a[k] = get();
      return { i, m, a };
    }
    case CANCEL: return { cancel: getStr() };
    default: throw new TypeError(`an RPC frame of unknown type ${b[1]}`);
  }
}

/** The codec of RPC ports: frames for small calls and replies, msgpack for the rest. */
export const rpcCodec: Codec<unknown> = {
  name: 'rpc',
  encode: (v) => frame(v) ?? msgpackCodec.encode(v),
  decode: (b) => (b[0] === FRAME ? unframe(b) : msgpackCodec.decode(b)),
};
