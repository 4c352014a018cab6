// What the soak driver (soak.mjs) and its workers (worker.mjs) share: the objects and their
// options, the layout of the plain shared cells, the message format and the checksums.

/** Every named object of the soak: rt[method](name, options), the same options everywhere. */
export const OBJECTS = {
  ctl: ['shm', { size: 4096 }],                  // stop flags and each worker's heartbeat
  data: ['shm', { size: 16384 }],                // plain cells guarded by the locks (layout below)
  track: ['shm', (workers) => ({ size: STREAMS.length * workers * TRACK_WORDS * 4 })],   // exactly-once bitmaps
  mtx0: ['mutex', {}], mtx1: ['mutex', {}], spin: ['spinLock', {}], ticket: ['ticketLock', {}],
  tally0: ['atomic', {}], tally1: ['atomic', {}], tally2: ['atomic', {}], tally3: ['atomic', {}],
  robust: ['mutex', {}], recovered: ['atomic', {}],
  semW: ['semaphore', { initial: 3, max: 3 }], semF: ['semaphore', { initial: 2, max: 2, fair: true }],
  insideW: ['atomic', {}], insideF: ['atomic', {}],
  mon: ['monitor', {}], cvm: ['mutex', {}], cv: ['condVar', {}],
  rw: ['rwLock', {}], insideRw: ['atomic', {}],
  bar: ['barrier', (workers) => ({ parties: workers })],
  gen: ['atomic', {}],
  evA: ['event', { initial: true }], evHolders: ['atomic', {}], evM: ['event', { manual: true }], evmM: ['mutex', {}],
  tickets: ['atomic', {}], casCount: ['atomic', {}], xchg: ['atomic', {}], wide: ['atomic64', {}],
  snap: ['snapshot', { codec: 'bytes' }],
  chB: ['channel', { capacity: 64, maxMessageSize: 4096 }],
  chU: ['channel', { capacity: Infinity, maxMessageSize: 512 }],
  chR: ['channel', { capacity: 0, maxMessageSize: 64 }],
  mq: ['messageQueue', { maxMessages: 16, maxMessageSize: 256 }],
  topicB: ['topic', { capacity: 256, maxMessageSize: 256 }],
  topicO: ['topic', { capacity: 32, maxMessageSize: 256, policy: 'overwrite' }],
  frames: ['framePool', { slots: 6, frameSize: 2048, metaSize: 64, codec: 'json' }],
};
/** Named per worker i: its port (created by the worker, which holds the receive right) and its pipe. */
export const portName = (i) => `port-${i}`;
export const pipeName = (i) => `pipe-${i}`;
export const PIPE_OPTIONS = { capacity: 16 };
export const PORT_OPTIONS = { backlog: 64 };

export function openObject(rt, name, workers) {
  const [method, options] = OBJECTS[name];
  return rt[method](name, typeof options === 'function' ? options(workers) : options);
}

// ---- the "ctl" region (Int32Array indices) ----
export const CTL_STOP = 0;          // set by the driver: finish the current generation and quiesce
export const CTL_STOP_GEN = 1;      // the generation after which every worker stops (barrier leader)
export const CTL_STATUS = 16;       // per worker: [op][heartbeat][generation][-]
export const statusAt = (i) => CTL_STATUS + 4 * i;

// ---- the "data" region (Int32Array indices) ----
export const D_LOCK = 0;            // 4 counters, one per lock stripe
export const D_LOCK_TAG = 8;        // 4 owner tags (0 = free)
export const D_ROBUST_A = 16;       // the robust mutex's transaction: A++ then B++; A == B when consistent
export const D_ROBUST_B = 17;
export const D_RW = 32;             // 16 cells a writer sets to one value; readers must never see two
export const RW_CELLS = 16;
export const D_MON = 64;            // monitor buffer: [count][head][tail][-] + CAP items of [pid][seq]
export const D_CVB = 96;            // condvar buffer, the same layout
export const BUF_CAP = 8;
export const D_EVM_FLAG = 128;      // the manual event's expected state (changed only under evmM)
export const D_BAR_LOG = 136;       // arrivals per generation, modulo 4
export const D_HOLDER = 160;        // frame pool: the thread holding each slot (0: nobody)

// ---- streams tracked for exactly-once (Tracker) ----
export const STREAMS = ['chB', 'chU', 'chR', 'mq0', 'mq1', 'mq2', 'mq3', 'mq4', 'mq5', 'mq6', 'mq7', 'frames', 'mon', 'cvb'];
export const TRACK_BITS = 1 << 16;  // per (stream, worker producer): a window of 65536 sequence numbers
export const TRACK_WORDS = TRACK_BITS >>> 5;

// ---- messages ----
// [pid u32][seq u32][len u32][aux u32][check u32][payload: byte i = (pid*131 + seq*31 + i) & 255]
export const HEADER = 20;
export const TAG_MSG = 1;
export const TAG_CALL = 2;
export const TAG_REPLY = 3;

const mix = (a) => { a = Math.imul(a ^ (a >>> 16), 0x85ebca6b); a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35); return (a ^ (a >>> 16)) >>> 0; };
const checkOf = (pid, seq, len, aux) => mix(mix(mix(pid + 0x9e3779b9) ^ seq) ^ (len * 65599 + aux));

/** The per-sequence hash summed (mod 2^32) on both sides: a set of sequence numbers' fingerprint. */
export const seqHash = (seq) => mix(seq + 0x632be5ab);
/** Sum of seqHash(s) for s in [0, n). */
export function expectedHash(n) {
  let h = 0;
  for (let s = 0; s < n; s++) h = (h + seqHash(s)) >>> 0;
  return h;
}

export function encode(pid, seq, len, aux = 0, into) {
  const m = into ?? new Uint8Array(len);
  const dv = new DataView(m.buffer, m.byteOffset, len);
  dv.setUint32(0, pid, true);
  dv.setUint32(4, seq, true);
  dv.setUint32(8, len, true);
  dv.setUint32(12, aux, true);
  dv.setUint32(16, checkOf(pid, seq, len, aux), true);
  const base = pid * 131 + seq * 31;
  for (let i = HEADER; i < len; i++) m[i] = (base + i) & 255;
  return m;
}

/** The header of a message, or { error } naming what is wrong with it. */
export function decode(m) {
  if (!(m instanceof Uint8Array)) return { error: `not bytes (${typeof m})` };
  if (m.length < HEADER) return { error: `${m.length} bytes, shorter than the header` };
  const dv = new DataView(m.buffer, m.byteOffset, m.length);
  const pid = dv.getUint32(0, true), seq = dv.getUint32(4, true), len = dv.getUint32(8, true), aux = dv.getUint32(12, true);
  if (len !== m.length) return { error: `length field ${len} but ${m.length} bytes arrived (pid ${pid} seq ${seq})` };
  if (dv.getUint32(16, true) !== checkOf(pid, seq, len, aux)) return { error: `header checksum mismatch (pid ${pid} seq ${seq} len ${len})` };
  const base = pid * 131 + seq * 31;
  for (let i = HEADER; i < len; i++) if (m[i] !== ((base + i) & 255)) return { error: `payload byte ${i} is ${m[i]}, not ${(base + i) & 255} (pid ${pid} seq ${seq} len ${len})` };
  return { pid, seq, len, aux };
}

/** A small seeded generator (xorshift32), so that a run can be repeated. */
export function rng(seed) {
  let x = (seed >>> 0) || 0x1234567;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));   // inclusive
  next.pick = (arr) => arr[Math.floor(next() * arr.length)];
  return next;
}

/** Accumulate received (or sent) sequence numbers per key: count and hash sum. */
export function tally(map, key, seq) {
  const t = map[key] ?? (map[key] = { n: 0, h: 0 });
  t.n++;
  t.h = (t.h + seqHash(seq)) >>> 0;
}

/** The worker's step kinds, and what its status word can say it is doing (the watchdog names it). */
export const STEP_KINDS = ['lock', 'robust', 'semaphore', 'buffer', 'rwlock', 'event', 'atomics', 'snapshot', 'channel', 'pipe', 'mqueue', 'port', 'call', 'topic', 'frames', 'shm'];
export const OPS = ['init', 'barrier', 'quiesce', 'drain', 'report', ...STEP_KINDS];
